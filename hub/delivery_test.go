package hub_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/delivery"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// quickDelivery retries often, so that tests wait little for a node that
// comes back, and long enough not to give up on a slow machine.
func quickDelivery(maxDeliver int) hubtest.Option {
	return hubtest.WithHubConfig(hub.Config{Delivery: delivery.Config{
		Backoff: []time.Duration{50 * time.Millisecond}, MaxDeliver: maxDeliver,
		AttemptTimeout: 10 * time.Second, AckWait: 20 * time.Second,
	}})
}

// sendLookup is a lookup of id for asynchronous delivery, counted on
// durableDay.
func sendLookup(t *testing.T, msgID, id string) *hubv1.SendRequest {
	return &hubv1.SendRequest{
		MessageId: msgID, Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
		Payload:      payload(t, &populationv1.LookupCitizenRequest{PersonalId: id}),
		BusinessTime: timestamppb.New(durableDay), Purpose: "test", UserId: "officer-1",
	}
}

func deliveryClient(env *hubtest.Env) hubv1.DeliveryServiceClient {
	return hubv1.NewDeliveryServiceClient(env.Conn)
}

// finished polls GetDelivery until msgID is no longer ACCEPTED.
func finished(t *testing.T, c hubv1.DeliveryServiceClient, msgID string) *hubv1.Delivery {
	t.Helper()
	var d *hubv1.Delivery
	hubtest.Eventually(t, 60*time.Second, func() error {
		resp, err := c.GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: msgID, Consumer: consumer})
		if err != nil {
			return err
		}
		d = resp.GetDelivery()
		if d.GetState() == hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED {
			return fmt.Errorf("%s still accepted after %d attempts", msgID, d.GetAttempts())
		}
		return nil
	})
	return d
}

func send(t *testing.T, c hubv1.DeliveryServiceClient, req *hubv1.SendRequest) *hubv1.SendResponse {
	t.Helper()
	resp, err := c.Send(ctxT(t), req)
	if err != nil {
		t.Fatalf("Send %s: %v", req.GetMessageId(), err)
	}
	if resp.GetState() != hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED || resp.GetMessageId() != req.GetMessageId() || resp.GetAcceptedAt() == nil {
		t.Fatalf("Send %s = %v, want ACCEPTED", req.GetMessageId(), resp)
	}
	return resp
}

// wantDelivered checks that d carries the citizen knownID.
func wantDelivered(t *testing.T, env *hubtest.Env, d *hubv1.Delivery) {
	t.Helper()
	if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_DELIVERED {
		t.Fatalf("delivery %v, want DELIVERED", d)
	}
	out := &populationv1.LookupCitizenResponse{}
	if err := d.GetPayload().UnmarshalTo(out); err != nil {
		t.Fatalf("answer: %v", err)
	}
	want, _ := env.Population.Population().Citizen(knownID)
	if !proto.Equal(out.GetCitizen(), want) {
		t.Fatalf("citizen = %v, want %v", out.GetCitizen(), want)
	}
}

// wantCounted checks the business day's counters: total transactions, and
// how many of them had code.
func wantCounted(t *testing.T, env *hubtest.Env, total int64, code string, n int64) {
	t.Helper()
	st := dayStats(t, env)
	if st.GetCount().GetTotal() != total {
		t.Fatalf("counted %v, want %d in total", st.GetCount(), total)
	}
	for _, b := range st.GetByCode() {
		if b.GetKey() == code {
			if b.GetCount().GetTotal() != n {
				t.Fatalf("counted %d with %s, want %d", b.GetCount().GetTotal(), code, n)
			}
			return
		}
	}
	t.Fatalf("nothing counted with %s (by code: %v), want %d", code, st.GetByCode(), n)
}

func TestSendDelivered(t *testing.T) {
	env := hubtest.Start(t, quickDelivery(0))
	c := deliveryClient(env)
	send(t, c, sendLookup(t, "async-1", knownID))
	d := finished(t, c, "async-1")
	wantDelivered(t, env, d)
	if d.GetAttempts() != 1 || d.GetConsumer() != consumer || d.GetProvider() != population.Code {
		t.Fatalf("delivery %v, want one attempt by %s to %s", d, consumer, population.Code)
	}
	wantCounted(t, env, 1, "OK", 1)
}

// TestSendWhileOffline: the provider is registered but its node is down;
// the request waits in JetStream and is delivered once the node is back,
// counted once however many attempts it took.
func TestSendWhileOffline(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), quickDelivery(100000))
	pop := population.New(population.Config{Seed: 1})
	start := func() *node.Group {
		g := hubtest.Group(pop)
		if err := g.Start(ctxT(t), env.NATSURL(), env.GRPCAddr()); err != nil {
			t.Fatal(err)
		}
		return g
	}
	if err := start().Stop(); err != nil { // registered, then offline
		t.Fatal(err)
	}
	env.Population = pop
	c := deliveryClient(env)
	send(t, c, sendLookup(t, "offline-1", knownID))
	// Wait until a few attempts have failed, so that the node really was
	// offline while the hub tried.
	hubtest.Eventually(t, 60*time.Second, func() error {
		info, err := jetStream(t, env).Consumer(ctxT(t), delivery.DefaultStream, delivery.DefaultConsumer)
		if err != nil {
			return err
		}
		if info.CachedInfo().NumRedelivered == 0 {
			return errors.New("no attempt retried yet")
		}
		return nil
	})
	resp, err := c.GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: "offline-1", Consumer: consumer})
	if err != nil || resp.GetDelivery().GetState() != hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED {
		t.Fatalf("while offline: %v, %v; want ACCEPTED", resp, err)
	}
	g := start()
	defer g.Stop()
	d := finished(t, c, "offline-1")
	wantDelivered(t, env, d)
	if d.GetAttempts() < 2 {
		t.Fatalf("delivered after %d attempts, want the failed ones too", d.GetAttempts())
	}
	wantCounted(t, env, 1, "OK", 1)
}

func TestSendTwice(t *testing.T) {
	var mu sync.Mutex
	served := 0
	code := "000.00.99.G94"
	env := hubtest.Start(t, quickDelivery(0), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: code,
		Handlers: map[string]node.Handler{"document-send": func(context.Context, *node.Request) (proto.Message, error) {
			mu.Lock()
			served++
			mu.Unlock()
			return &hubv1.Count{Total: 1}, nil
		}},
	})))
	c := deliveryClient(env)
	req := &hubv1.SendRequest{MessageId: "twice", Consumer: consumer, Provider: code, Service: "document-send", BusinessTime: timestamppb.New(durableDay)}
	first := send(t, c, req)
	again := send(t, c, req)
	if first.GetDuplicate() || !again.GetDuplicate() {
		t.Fatalf("duplicate: first %v, again %v; want false, true", first.GetDuplicate(), again.GetDuplicate())
	}
	if d := finished(t, c, "twice"); d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_DELIVERED {
		t.Fatalf("delivery %v, want DELIVERED", d)
	}
	send(t, c, req) // after delivery too
	wantCounted(t, env, 1, "OK", 1)
	// The delivery is marked DELIVERED before the request is acknowledged
	// and removed from the work queue, so wait for the removal.
	hubtest.Eventually(t, 20*time.Second, func() error {
		info, err := jetStream(t, env).Stream(ctxT(t), delivery.DefaultStream)
		if err != nil {
			return err
		}
		if st := info.CachedInfo().State; st.LastSeq != 1 || st.Msgs != 0 {
			return fmt.Errorf("stream holds %d, last sequence %d; want the request stored once and removed once delivered", st.Msgs, st.LastSeq)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if served != 1 {
		t.Fatalf("the provider served it %d times, want once", served)
	}
}

func TestSendProviderError(t *testing.T) {
	env := hubtest.Start(t, quickDelivery(0))
	c := deliveryClient(env)
	send(t, c, sendLookup(t, "bad-id", "not-a-personal-id"))
	d := finished(t, c, "bad-id")
	if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_FAILED || codes.Code(d.GetError().GetCode()) != codes.InvalidArgument ||
		!strings.Contains(d.GetError().GetMessage(), "personal_id") || d.GetAttempts() != 1 {
		t.Fatalf("delivery %v, want FAILED with the provider's INVALID_ARGUMENT after one attempt", d)
	}
	wantCounted(t, env, 1, "INVALID_ARGUMENT", 1)
}

// TestSendGivesUp: a provider that never comes back fails the delivery
// after MaxDeliver attempts, counted once as UNAVAILABLE.
func TestSendGivesUp(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), quickDelivery(3))
	g := hubtest.Group(population.New(population.Config{Seed: 1}))
	if err := g.Start(ctxT(t), env.NATSURL(), env.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	if err := g.Stop(); err != nil { // registered, then offline for good
		t.Fatal(err)
	}
	c := deliveryClient(env)
	send(t, c, sendLookup(t, "never", knownID))
	d := finished(t, c, "never")
	if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_FAILED || codes.Code(d.GetError().GetCode()) != codes.Unavailable || d.GetAttempts() != 3 {
		t.Fatalf("delivery %v, want FAILED with UNAVAILABLE after 3 attempts", d)
	}
	wantCounted(t, env, 1, "UNAVAILABLE", 1)
	families, err := env.Platform.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() == "ndxp_delivery_attempts_total" {
			for _, m := range f.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if got["retried"] != 2 || got["failed"] != 1 || got["delivered"] != 0 {
		t.Fatalf("ndxp_delivery_attempts_total = %v, want 2 retried, 1 failed", got)
	}
}

// jetStream connects to env's NATS (insecure) for inspecting streams.
func jetStream(t *testing.T, env *hubtest.Env) jetstream.JetStream {
	t.Helper()
	return hubtest.JetStream(t, env.NATSURL())
}

func TestSendBadInput(t *testing.T) {
	env := hubtest.Start(t, quickDelivery(0))
	c := deliveryClient(env)
	tests := []struct {
		name  string
		edit  func(*hubv1.SendRequest)
		code  codes.Code
		field string
	}{
		{"no message id", func(r *hubv1.SendRequest) { r.MessageId = "" }, codes.InvalidArgument, "message_id"},
		{"bad message id", func(r *hubv1.SendRequest) { r.MessageId = "a b" }, codes.InvalidArgument, "message_id"},
		{"bad provider", func(r *hubv1.SendRequest) { r.Provider = "G01" }, codes.InvalidArgument, "provider"},
		{"bad service", func(r *hubv1.SendRequest) { r.Service = "Lookup!" }, codes.InvalidArgument, "service"},
		{"unknown provider", func(r *hubv1.SendRequest) { r.Provider = "000.00.99.G90" }, codes.NotFound, "000.00.99.G90"},
		{"unknown service", func(r *hubv1.SendRequest) { r.Service = "no-such-service" }, codes.NotFound, "no-such-service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sendLookup(t, "bad-input", knownID)
			tt.edit(req)
			_, err := c.Send(ctxT(t), req)
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.field) {
				t.Fatalf("Send: %v, want %s naming %s", err, tt.code, tt.field)
			}
		})
	}
	_, err := c.GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: "never-sent", Consumer: consumer})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetDelivery of an unknown id: %v, want NotFound", err)
	}
	_, err = c.GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: "x"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "consumer") {
		t.Fatalf("GetDelivery without a consumer: %v, want InvalidArgument naming consumer", err)
	}
	// Every refused Send is recorded and counted, as a refused exchange.
	if st := dayStats(t, env); st.GetCount().GetTotal() != int64(len(tests)) || st.GetCount().GetFailed() != int64(len(tests)) {
		t.Fatalf("refused sends counted %v, want %d refusals", st.GetCount(), len(tests))
	}
	// All but "no message id" and "bad message id" keep the id bad-input.
	if recs := records(t, env, "bad-input"); len(recs) != len(tests)-2 {
		t.Fatalf("%d records of the refused sends with the id bad-input, want %d", len(recs), len(tests)-2)
	}
}

// TestSendTwoHubs: two hubs on one NATS share the delivery work queue;
// requests sent to either are each delivered and counted once.
func TestSendTwoHubs(t *testing.T) {
	ns := hubtest.StartNATS(t)
	var mu sync.Mutex
	served := map[string]int{}
	code := "000.00.99.G93"
	agency := hubtest.Group(&hubtest.FuncAgency{
		Code: code,
		Handlers: map[string]node.Handler{"document-send": func(_ context.Context, r *node.Request) (proto.Message, error) {
			mu.Lock()
			served[r.MessageID]++
			mu.Unlock()
			return &hubv1.Count{Total: 1}, nil
		}},
	})
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), quickDelivery(0), hubtest.WithAgencies(agency))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), quickDelivery(0))
	const n = 40
	for i := range n {
		env := a
		if i%2 == 1 {
			env = b
		}
		send(t, deliveryClient(env), &hubv1.SendRequest{
			MessageId: fmt.Sprint("two-", i), Consumer: consumer, Provider: code, Service: "document-send", BusinessTime: timestamppb.New(durableDay),
		})
	}
	for i := range n {
		if d := finished(t, deliveryClient(b), fmt.Sprint("two-", i)); d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_DELIVERED {
			t.Fatalf("delivery %v, want DELIVERED", d)
		}
	}
	wantCounted(t, a, n, "OK", n)
	wantCounted(t, b, n, "OK", n)
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		if got := served[fmt.Sprint("two-", i)]; got != 1 {
			t.Fatalf("two-%d served %d times, want once", i, got)
		}
	}
}

// TestSendSecure: in the secure mode the consumer of a delivery is the
// caller's certificate, grants apply at Send, and an agency sees only its
// own deliveries.
func TestSendSecure(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), quickDelivery(0), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	h29 := hubv1.NewDeliveryServiceClient(env.DialAs(t, consumer))
	h01 := hubv1.NewDeliveryServiceClient(env.DialAs(t, "000.00.00.H01"))
	// Agencies may not set the business time: their deliveries are
	// counted on the day the hub accepts them.
	agencySend := func(msgID string) *hubv1.SendRequest {
		req := sendLookup(t, msgID, knownID)
		req.BusinessTime = nil
		return req
	}
	req := agencySend("secure-1")
	req.Consumer = ""
	send(t, h29, req)
	wantDelivered(t, env, finished(t, h29, "secure-1"))

	forged := agencySend("secure-2")
	forged.Consumer = "000.00.00.H01"
	_, err := h29.Send(ctxT(t), forged)
	wantCode(t, err, codes.PermissionDenied)
	_, err = h01.Send(ctxT(t), agencySend("secure-3"))
	wantCode(t, err, codes.PermissionDenied) // names H29 as consumer
	ungranted := agencySend("secure-3")
	ungranted.Consumer = ""
	_, err = h01.Send(ctxT(t), ungranted)
	wantCode(t, err, codes.PermissionDenied) // no grant
	_, err = h01.GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: "secure-1"})
	wantCode(t, err, codes.NotFound) // H29's delivery is not H01's
	_, err = hubv1.NewDeliveryServiceClient(dialCAOnly(t, env)).GetDelivery(ctxT(t), &hubv1.GetDeliveryRequest{MessageId: "secure-1", Consumer: consumer})
	wantCode(t, err, codes.Unauthenticated)
	// The refused Sends are recorded: secure-2 of H29, and secure-3 of
	// H01 once (the same request refused twice with the same code), all
	// on the day the hub received them (agencies do not set business time).
	st := todayStats(t, env)
	if c := st.GetCount(); c.GetTotal() != 3 || c.GetSucceeded() != 1 {
		t.Fatalf("today counts %v, want the delivery and two refused Sends", c)
	}
	for _, b := range st.GetByCode() {
		if b.GetKey() == "PERMISSION_DENIED" && b.GetCount().GetTotal() != 2 {
			t.Fatalf("counted %d PERMISSION_DENIED, want 2", b.GetCount().GetTotal())
		}
	}
}

// TestSendSurvivesHubRestart: a request accepted by a hub while the
// provider is offline outlives that hub: a hub started later on the same
// NATS delivers it when the provider is back, and it is counted once.
func TestSendSurvivesHubRestart(t *testing.T) {
	ns := hubtest.StartNATS(t)
	pop := population.New(population.Config{Seed: 1})
	first := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), quickDelivery(100000))
	g := hubtest.Group(pop)
	if err := g.Start(ctxT(t), first.NATSURL(), first.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	if err := g.Stop(); err != nil { // registered, then offline
		t.Fatal(err)
	}
	send(t, deliveryClient(first), sendLookup(t, "restart-1", knownID))
	first.Stop(t)

	second := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation(), quickDelivery(100000))
	second.Population = pop
	g = hubtest.Group(pop)
	if err := g.Start(ctxT(t), second.NATSURL(), second.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	wantDelivered(t, second, finished(t, deliveryClient(second), "restart-1"))
	wantCounted(t, second, 1, "OK", 1)
}

// TestDeliveryRecordedAsExchange: a request sent for asynchronous delivery
// is opened, carried and recorded by the same core as a synchronous
// exchange, so the two records of one request differ only in what names
// the transaction (message id) and when it happened.
func TestDeliveryRecordedAsExchange(t *testing.T) {
	env := hubtest.Start(t, quickDelivery(0))
	c := deliveryClient(env)
	sent := sendLookup(t, "as-async", knownID)
	send(t, c, sent)
	wantDelivered(t, env, finished(t, c, "as-async"))
	req := lookup(t, knownID)
	req.MessageId, req.BusinessTime = "as-sync", sent.GetBusinessTime()
	if _, err := env.Exchange.Exchange(ctxT(t), req); err != nil {
		t.Fatal(err)
	}
	var async, sync []*hubv1.TransactionRecord
	hubtest.Eventually(t, 30*time.Second, func() error {
		async, sync = records(t, env, "as-async"), records(t, env, "as-sync")
		if len(async) != 1 || len(sync) != 1 {
			return fmt.Errorf("%d records of the delivery and %d of the exchange, want 1 each", len(async), len(sync))
		}
		return nil
	})
	strip := func(r *hubv1.TransactionRecord) *hubv1.TransactionRecord {
		r = proto.Clone(r).(*hubv1.TransactionRecord)
		if r.GetForwardedAt() == nil || r.GetAnsweredAt() == nil || r.GetReceivedAt() == nil {
			t.Errorf("record %s lacks a time: %v", r.GetMessageId(), r)
		}
		r.MessageId, r.ReceivedAt, r.ForwardedAt, r.AnsweredAt = "", nil, nil, nil
		return r
	}
	if a, s := strip(async[0]), strip(sync[0]); !proto.Equal(a, s) {
		t.Fatalf("the delivery's record\n%v\ndiffers from the exchange's\n%v", a, s)
	}
}
