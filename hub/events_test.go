package hub_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/events"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// subscriberCode is the population database, which subscribes to births.
const subscriberCode = events.Population

func birthEvent(t testing.TB, id string) *hubv1.PublishRequest {
	return &hubv1.PublishRequest{
		EventId: id, Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered,
		Payload: payload(t, &eventsv1.BirthRegistered{RegistrationRef: "KS-079-2026-" + id, ChildName: "Nguyễn Minh An", DateOfBirth: "2026-12-01", ProvinceCode: "079"}),
	}
}

func publish(t *testing.T, c hubv1.EventServiceClient, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := c.Publish(ctxT(t), birthEvent(t, id)); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
}

// eventStream is a test subscriber.
type eventStream struct {
	t      *testing.T
	stream hubv1.EventService_SubscribeClient
	cancel context.CancelFunc
}

func subscribe(t *testing.T, c hubv1.EventServiceClient, subscriber string, window uint32) *eventStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	stream, err := c.Subscribe(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Open{Open: &hubv1.SubscribeOpen{
		Subscriber: subscriber, Type: events.TypeBirthRegistered, Window: window,
	}}}); err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &eventStream{t: t, stream: stream, cancel: cancel}
	t.Cleanup(cancel)
	return s
}

func (s *eventStream) next() (*hubv1.Event, error) {
	resp, err := s.stream.Recv()
	return resp.GetEvent(), err
}

func (s *eventStream) ack(ev *hubv1.Event) {
	s.t.Helper()
	if err := s.stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Ack{Ack: &hubv1.EventAck{Sequence: ev.GetSequence()}}}); err != nil {
		s.t.Fatalf("ack %d: %v", ev.GetSequence(), err)
	}
}

// close ends the subscriber's side and waits for the hub to end the
// stream (after it applied every ack sent).
func (s *eventStream) close() error {
	_ = s.stream.CloseSend()
	for {
		if _, err := s.stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// receive takes n events, acknowledging each, and returns their ids.
func (s *eventStream) receive(n int) map[string]int {
	s.t.Helper()
	got := map[string]int{}
	for range n {
		ev, err := s.next()
		if err != nil {
			s.t.Fatalf("after %d events: %v", len(got), err)
		}
		got[ev.GetEventId()]++
		s.ack(ev)
	}
	return got
}

// eventsCounted is today's count of subscriber's birth-registered events.
func eventsCounted(t *testing.T, env *hubtest.Env, subscriber string) int64 {
	t.Helper()
	resp, err := env.Stats.GetStats(ctxT(t), &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range resp.GetStats().GetRows() {
		if r.GetConsumer() == subscriber && r.GetProvider() == events.CivilRegistry && r.GetService() == events.TypeBirthRegistered {
			n += r.GetCount()
		}
	}
	return n
}

func wantEventsCounted(t *testing.T, env *hubtest.Env, subscriber string, want int64) {
	t.Helper()
	hubtest.Eventually(t, 30*time.Second, func() error {
		if got := eventsCounted(t, env, subscriber); got != want {
			return fmt.Errorf("counted %d deliveries of birth-registered to %s, want %d", got, subscriber, want)
		}
		return nil
	})
}

// TestEventsSubscriberOffline: a subscriber away while 1,000 events are
// published receives all 1,000 once it is back, in order, and each
// acknowledged delivery is counted once.
func TestEventsSubscriberOffline(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	c := hubv1.NewEventServiceClient(env.Conn)
	publish(t, c, "first")
	s := subscribe(t, c, subscriberCode, 0)
	if got := s.receive(1); got["first"] != 1 {
		t.Fatalf("got %v, want the first event", got)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for i := range n {
		publish(t, c, fmt.Sprint("offline-", i))
	}
	publish(t, c, "offline-0") // published again: stored once
	s = subscribe(t, c, subscriberCode, 100)
	var last uint64
	for i := range n {
		ev, err := s.next()
		if err != nil {
			t.Fatalf("after %d events: %v", i, err)
		}
		if ev.GetEventId() != fmt.Sprint("offline-", i) || ev.GetSequence() <= last || ev.GetDelivery() != 1 {
			t.Fatalf("event %d: %s (sequence %d after %d, delivery %d); want offline-%d in order, first delivery", i, ev.GetEventId(), ev.GetSequence(), last, ev.GetDelivery(), i)
		}
		last = ev.GetSequence()
		got := &eventsv1.BirthRegistered{}
		if err := ev.GetPayload().UnmarshalTo(got); err != nil || got.GetRegistrationRef() != "KS-079-2026-"+ev.GetEventId() {
			t.Fatalf("payload %v (%v)", got, err)
		}
		s.ack(ev)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	wantEventsCounted(t, env, subscriberCode, n+1)
}

// TestEventsHubKilled: a hub that dies in the middle of a subscription
// loses no event: the subscriber goes on through another hub and gets
// every event it had not acknowledged, each counted once.
func TestEventsHubKilled(t *testing.T) {
	ns := hubtest.StartNATS(t)
	cfg := hubtest.WithHubConfig(hub.Config{Events: events.Config{AckWait: 2 * time.Second}})
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), cfg)
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), cfg)
	ca, cb := hubv1.NewEventServiceClient(a.Conn), hubv1.NewEventServiceClient(b.Conn)
	const n = 100
	for i := range n {
		publish(t, ca, fmt.Sprint("kill-", i))
	}
	s := subscribe(t, ca, subscriberCode, 20)
	got := s.receive(40)
	for range 10 { // delivered, not acknowledged when the hub dies
		if _, err := s.next(); err != nil {
			t.Fatal(err)
		}
	}
	// The acks were applied: recorded (counted), then acknowledged to
	// NATS. An event whose acknowledgement is still on its way when the
	// hub stops comes again (at least once), so the test waits for both.
	wantEventsCounted(t, a, subscriberCode, 40)
	js := hubtest.JetStream(t, ns.ClientURL())
	hubtest.Eventually(t, 30*time.Second, func() error {
		c, err := js.Consumer(ctxT(t), events.DefaultStream, events.ConsumerName(subscriberCode, events.TypeBirthRegistered))
		if err != nil {
			return err
		}
		if f := c.CachedInfo().AckFloor.Consumer; f < 40 {
			return fmt.Errorf("NATS has %d of the 40 acknowledgements", f)
		}
		return nil
	})
	a.Stop(t)
	if _, err := s.next(); err == nil {
		// It may have had one more in flight; the stream must end.
		for err == nil {
			_, err = s.next()
		}
	}
	s = subscribe(t, cb, subscriberCode, 20)
	for len(got) < n {
		ev, err := s.next()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		if got[ev.GetEventId()] > 0 {
			t.Fatalf("event %s acknowledged before came again", ev.GetEventId())
		}
		got[ev.GetEventId()]++
		s.ack(ev)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	wantEventsCounted(t, b, subscriberCode, n)
}

// TestEventsGrantRevoked: in the secure mode only a granted agency
// subscribes; a revoked grant ends the subscription, and what was
// published after waits.
func TestEventsGrantRevoked(t *testing.T) {
	grant := &hubv1.AccessGrant{Provider: events.CivilRegistry, Service: events.TypeBirthRegistered, To: &hubv1.AccessGrant_Consumer{Consumer: subscriberCode}}
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(grant))
	op := hubv1.NewEventServiceClient(env.Conn)
	publish(t, op, "granted-1")
	pop := hubv1.NewEventServiceClient(env.DialAs(t, subscriberCode))
	s := subscribe(t, pop, "", 0)
	s.receive(1)
	other := subscribe(t, hubv1.NewEventServiceClient(env.DialAs(t, "000.00.00.H01")), "", 0)
	if _, err := other.next(); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("an agency without a grant: %v, want PermissionDenied", err)
	}
	forged := &hubv1.PublishRequest{EventId: "forged", Type: events.TypeBirthRegistered, Payload: birthEvent(t, "x").GetPayload()}
	if _, err := pop.Publish(ctxT(t), forged); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("publish by another agency than the publisher: %v, want PermissionDenied", err)
	}
	wantEventsCounted(t, env, subscriberCode, 1)
	if _, err := env.Access.Revoke(ctxT(t), &hubv1.RevokeRequest{Grant: grant}); err != nil {
		t.Fatal(err)
	}
	publish(t, op, "revoked-1")
	if ev, err := s.next(); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("after the revocation: %v, %v; want PermissionDenied", ev, err)
	}
	if _, err := env.Access.Grant(ctxT(t), &hubv1.GrantRequest{Grant: grant}); err != nil {
		t.Fatal(err)
	}
	s = subscribe(t, pop, "", 0)
	if got := s.receive(1); got["revoked-1"] != 1 {
		t.Fatalf("granted again: %v, want the event that waited", got)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	wantEventsCounted(t, env, subscriberCode, 2)
}

// TestEventsBadInput: malformed publications and subscriptions are refused
// with the code and the field.
func TestEventsBadInput(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	c := hubv1.NewEventServiceClient(env.Conn)
	wrongPayload, _ := anypb.New(&eventsv1.DeathRegistered{})
	tests := []struct {
		name string
		req  *hubv1.PublishRequest
		code codes.Code
		text string
	}{
		{"no event id", &hubv1.PublishRequest{Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered, Payload: birthEvent(t, "x").GetPayload()}, codes.InvalidArgument, "event_id"},
		{"unknown type", &hubv1.PublishRequest{EventId: "e1", Publisher: events.CivilRegistry, Type: "wedding", Payload: birthEvent(t, "x").GetPayload()}, codes.NotFound, "wedding"},
		{"bad type", &hubv1.PublishRequest{EventId: "e1", Publisher: events.CivilRegistry, Type: "a.b", Payload: birthEvent(t, "x").GetPayload()}, codes.InvalidArgument, "type"},
		{"not the publisher", &hubv1.PublishRequest{EventId: "e1", Publisher: events.Population, Type: events.TypeBirthRegistered, Payload: birthEvent(t, "x").GetPayload()}, codes.PermissionDenied, events.CivilRegistry},
		{"bad publisher", &hubv1.PublishRequest{EventId: "e1", Publisher: "G02", Type: events.TypeBirthRegistered}, codes.InvalidArgument, "publisher"},
		{"wrong payload", &hubv1.PublishRequest{EventId: "e1", Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered, Payload: wrongPayload}, codes.InvalidArgument, "payload"},
		{"no payload", &hubv1.PublishRequest{EventId: "e1", Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered}, codes.InvalidArgument, "payload"},
		{"long event id", &hubv1.PublishRequest{EventId: fmt.Sprintf("%0100d", 1), Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered}, codes.InvalidArgument, "event_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Publish(ctxT(t), tt.req)
			if status.Code(err) != tt.code || !containsFold(err.Error(), tt.text) {
				t.Fatalf("got %v, want %s naming %q", err, tt.code, tt.text)
			}
		})
	}
	t.Run("ack before open", func(t *testing.T) {
		stream, err := c.Subscribe(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Ack{Ack: &hubv1.EventAck{Sequence: 1}}})
		if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument || !containsFold(err.Error(), "open") {
			t.Fatalf("got %v, want InvalidArgument naming open", err)
		}
	})
	t.Run("ack of nothing", func(t *testing.T) {
		s := subscribe(t, c, subscriberCode, 0)
		s.ack(&hubv1.Event{Sequence: 999})
		if _, err := s.next(); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("got %v, want FailedPrecondition", err)
		}
	})
	types, err := c.ListEventTypes(ctxT(t), &hubv1.ListEventTypesRequest{})
	if err != nil || len(types.GetTypes()) != len(events.DefaultTypes()) || types.GetTypes()[0].GetCode() != events.TypeBirthRegistered {
		t.Fatalf("ListEventTypes = %v, %v", types, err)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// startHubProcess runs TestHubProcess (a hub in a child process) on the
// NATS at url and returns a connection to it and the child, killed at the
// end of the test.
func startHubProcess(t *testing.T, url string) (*grpc.ClientConn, *exec.Cmd) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestHubProcess$", "-test.count=1")
	child.Env = append(os.Environ(), hubProcessEnv+"="+url)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "grpc "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("the hub process ended without serving")
		}
		return hubtest.Dial(t, a), child
	case <-time.After(time.Minute):
		t.Fatal("the hub process did not start within a minute")
	}
	return nil, nil
}

// TestEventsHubProcessKilled: a hub process killed (SIGKILL: no shutdown,
// nothing released) while it holds delivered, unacknowledged events loses
// none: after the ack wait they come again through another hub, and every
// event is counted once.
func TestEventsHubProcessKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub process")
	}
	ns := hubtest.StartNATS(t)
	conn, child := startHubProcess(t, ns.ClientURL())
	ca := hubv1.NewEventServiceClient(conn)
	const n = 50
	for i := range n {
		publish(t, ca, fmt.Sprint("hard-", i))
	}
	s := subscribe(t, ca, subscriberCode, 20)
	got := s.receive(25)
	for range 5 { // delivered, never acknowledged
		if _, err := s.next(); err != nil {
			t.Fatal(err)
		}
	}
	stats := hubv1.NewStatsServiceClient(conn)
	hubtest.Eventually(t, 30*time.Second, func() error {
		resp, err := stats.GetStats(ctxT(t), &hubv1.GetStatsRequest{Sync: true})
		if err != nil {
			return err
		}
		if c := resp.GetStats().GetCount().GetTotal(); c != 25 {
			return fmt.Errorf("counted %d, want the 25 acknowledged", c)
		}
		return nil
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(),
		hubtest.WithHubConfig(hub.Config{Events: events.Config{AckWait: 2 * time.Second}}))
	s = subscribe(t, hubv1.NewEventServiceClient(b.Conn), subscriberCode, 20)
	for len(got) < n {
		ev, err := s.next()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got[ev.GetEventId()]++
		s.ack(ev)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("event %s acknowledged %d times", id, k)
		}
	}
	wantEventsCounted(t, b, subscriberCode, n)
}

// declaringAgency publishes an event type it declares in its
// registration.
type declaringAgency struct{ hubtest.FuncAgency }

func (d *declaringAgency) Agency() *hubv1.Agency {
	a := d.FuncAgency.Agency()
	a.Events = []*hubv1.EventType{{Code: "marriage-registered", Description: "A marriage was registered.", PayloadType: "ndxp.events.v1.DeathRegistered"}}
	return a
}

// TestEventsDeclaredInRegistry: an agency declares the event types it
// publishes in its registration, like its services; they are listed,
// published (by it only, with their payload) and subscribed to.
func TestEventsDeclaredInRegistry(t *testing.T) {
	code := "000.00.99.G91"
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(&declaringAgency{hubtest.FuncAgency{
		Code: code, Handlers: map[string]node.Handler{"ping": func(context.Context, *node.Request) (proto.Message, error) { return &hubv1.Count{}, nil }},
	}})))
	c := hubv1.NewEventServiceClient(env.Conn)
	types, err := c.ListEventTypes(ctxT(t), &hubv1.ListEventTypesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, ty := range types.GetTypes() {
		listed = listed || (ty.GetCode() == "marriage-registered" && ty.GetPublisher() == code)
	}
	if !listed {
		t.Fatalf("ListEventTypes = %v; want the declared type", types)
	}
	p := payload(t, &eventsv1.DeathRegistered{RegistrationRef: "KH-1"})
	if _, err := c.Publish(ctxT(t), &hubv1.PublishRequest{EventId: "KH-1", Publisher: code, Type: "marriage-registered", Payload: p}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(ctxT(t), &hubv1.PublishRequest{EventId: "KH-2", Publisher: events.CivilRegistry, Type: "marriage-registered", Payload: p})
	wantCode(t, err, codes.PermissionDenied)
	_, err = c.Publish(ctxT(t), &hubv1.PublishRequest{EventId: "KH-3", Publisher: code, Type: "marriage-registered", Payload: birthEvent(t, "x").GetPayload()})
	wantCode(t, err, codes.InvalidArgument)
	_, err = hubv1.NewRegistryServiceClient(env.Conn).RegisterAgency(ctxT(t), &hubv1.RegisterAgencyRequest{Agency: &hubv1.Agency{
		Code: "000.00.99.G90", Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
		Events: []*hubv1.EventType{{Code: "x-happened", Publisher: code, PayloadType: "ndxp.events.v1.DeathRegistered"}},
	}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "agency.events[0].publisher") {
		t.Fatalf("declaring another agency's event: %v, want InvalidArgument naming agency.events[0].publisher", err)
	}
	stream, err := c.Subscribe(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Open{Open: &hubv1.SubscribeOpen{Subscriber: consumer, Type: "marriage-registered"}}})
	resp, err := stream.Recv()
	if err != nil || resp.GetEvent().GetEventId() != "KH-1" || resp.GetEvent().GetPublisher() != code {
		t.Fatalf("subscribed: %v, %v", resp, err)
	}
}
