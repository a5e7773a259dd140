package hub_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// storeRecords stores n records in the hub's record stream directly (far
// faster than n exchanges), received now, with message ids prefix-0 to
// prefix-(n-1).
func storeRecords(t *testing.T, url, prefix string, n int) {
	t.Helper()
	js := hubtest.JetStream(t, url)
	ctx := ctxT(t)
	now := timestamppb.Now()
	for i := range n {
		rec := &hubv1.TransactionRecord{
			MessageId: fmt.Sprint(prefix, "-", i), Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
			BusinessTime: timestamppb.New(durableDay), ReceivedAt: now, AnsweredAt: now, HubId: "test",
		}
		b, err := proto.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg(wire.RecordSubject(rec.Consumer, rec.Provider, rec.Service))
		msg.Data = b
		if _, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(txlog.RecordID(rec))); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("storing records timed out")
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("storing records timed out")
	}
}

// stopLater shuts env down at the end of the test with a minute to spare:
// after servers of a cluster were killed, saving the last checkpoint can
// wait for new stream leaders longer than hubtest's 10 s.
func stopLater(t *testing.T, env *hubtest.Env) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		env.Platform = nil
	})
}

// listRecords pages through every record as `ndxp records --limit 0`
// does and returns how many distinct records it got, or the first error.
func listRecords(ctx context.Context, stats hubv1.StatsServiceClient) (int, error) {
	ids := map[string]bool{}
	req := &hubv1.QueryRecordsRequest{PageSize: 1000}
	for {
		resp, err := stats.QueryRecords(ctx, req)
		if err != nil {
			return len(ids), err
		}
		for _, r := range resp.GetRecords() {
			ids[r.GetMessageId()] = true
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return len(ids), nil
		}
	}
}

// TestRecordsThroughNATSStalls (issue 9, item 13) lists every record while
// the nats-server process is paused (SIGSTOP) for 1.5 s again and again:
// each listing is complete or fails with UNAVAILABLE, never short.
func TestRecordsThroughNATSStalls(t *testing.T) {
	srv := natsproc.Start(t)
	env := hubtest.Start(t, hubtest.WithNATSURL(srv.URL()), hubtest.WithoutPopulation())
	const n = 20000
	storeRecords(t, srv.URL(), "stall", n)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			srv.Pause(t)
			time.Sleep(1500 * time.Millisecond)
			srv.Resume(t)
		}
	})
	defer func() { close(stop); wg.Wait() }()
	complete := 0
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		got, err := listRecords(ctx, env.Stats)
		cancel()
		switch {
		case err != nil && status.Code(err) != codes.Unavailable:
			t.Fatalf("listing failed with %v, want UNAVAILABLE", err)
		case err != nil:
			t.Logf("listing failed as it may: %v", err)
		case got != n:
			t.Fatalf("listing returned %d of %d records without an error", got, n)
		default:
			complete++
		}
	}
	if complete == 0 {
		t.Fatal("no listing completed through the stalls")
	}
}

// TestRecordsOnACluster (issue 9, item 14) lists the records through a hub
// on a three-server cluster of nats-server processes, records replicated
// three times, then again after one server is killed: every record each
// time, never "no responders".
func TestRecordsOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	servers := natsproc.StartCluster(t, 3)
	env := hubtest.Start(t, hubtest.WithNATSURL(servers[1].URL()), hubtest.WithoutPopulation(), hubtest.WithHubConfig(hub.Config{Replicas: 3}))
	stopLater(t, env)
	const n = 10000
	storeRecords(t, servers[0].URL(), "cluster", n)
	list := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if got, err := listRecords(ctx, env.Stats); err != nil || got != n {
			t.Fatalf("%s: listed %d of %d records, error %v", when, got, n, err)
		}
	}
	for i := range 3 {
		list(fmt.Sprint("listing ", i+1))
	}
	servers[2].Kill(t)
	list("after a server was killed")
}

// slowAgency serves "wait", which answers only once release is closed (or
// its caller gives up), and counts the requests it got.
func slowAgency(release <-chan struct{}, got *atomic.Int64) *hubtest.FuncAgency {
	return &hubtest.FuncAgency{Code: "000.00.99.G95", Handlers: map[string]node.Handler{"wait": func(ctx context.Context, _ *node.Request) (proto.Message, error) {
		got.Add(1)
		select {
		case <-release:
			return &hubv1.Count{}, nil
		case <-ctx.Done():
			// A provider whose deadline passed answers so; were it to
			// answer OK, the answer could reach the hub with no time
			// left to record it (then UNAVAILABLE, record pending).
			return nil, ctx.Err()
		}
	}}}
}

func waitRequest(t *testing.T, id string) *hubv1.ExchangeRequest {
	req := lookup(t, knownID)
	req.Provider, req.Service, req.MessageId, req.BusinessTime = "000.00.99.G95", "wait", id, timestamppb.New(durableDay)
	return req
}

// codeCount is the count of outcome code name in st.
func codeCount(st *hubv1.Stats, name string) int64 {
	for _, b := range st.GetByCode() {
		if b.GetKey() == name {
			return b.GetCount().GetTotal()
		}
	}
	return 0
}

// metric reads one sample of the hub's /metrics.
func metric(env *hubtest.Env, name string) (string, error) {
	resp, err := http.Get("http://" + env.HTTPAddr() + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no metric %s", name)
}

// wantMetric polls until the hub's metric name has value want.
func wantMetric(t *testing.T, env *hubtest.Env, name, want string) {
	t.Helper()
	hubtest.Eventually(t, 30*time.Second, func() error {
		if v, err := metric(env, name); err != nil || v != want {
			return fmt.Errorf("%s = %q (%v), want %s", name, v, err, want)
		}
		return nil
	})
}

// TestNATSLostFailsFast (issue 9, item 16) kills the nats-server process
// (SIGKILL) while exchanges wait on a slow provider: they fail at once with
// UNAVAILABLE, not at their 20 s deadline; so does an exchange made while
// NATS is down. The loss and the return are exported as metrics, and once
// NATS is back every one of these exchanges is counted with the code its
// client received.
func TestNATSLostFailsFast(t *testing.T) {
	srv := natsproc.Start(t)
	release := make(chan struct{})
	var got atomic.Int64
	env := hubtest.Start(t, hubtest.WithNATSURL(srv.URL()), hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(slowAgency(release, &got))))
	defer close(release)

	const n = 8
	results := make(chan codes.Code, n+1)
	exchange := func(id string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := env.Exchange.Exchange(ctx, waitRequest(t, id))
		results <- status.Code(err)
	}
	for i := range n {
		go exchange(fmt.Sprint("lost-", i))
	}
	hubtest.Eventually(t, 30*time.Second, func() error {
		if g := got.Load(); g != n {
			return fmt.Errorf("the provider got %d of %d requests", g, n)
		}
		return nil
	})
	srv.Kill(t)
	for range n {
		if c := <-results; c != codes.Unavailable {
			t.Errorf("an exchange in flight when NATS was lost ended with %s, want UNAVAILABLE", c)
		}
	}
	wantMetric(t, env, "ndxp_nats_connected", "0")
	exchange("while-down")
	if c := <-results; c != codes.Unavailable {
		t.Errorf("an exchange made while NATS is down ended with %s, want UNAVAILABLE", c)
	}
	callsWhileNATSDown(t, env)

	srv.Restart(t, true)
	wantMetric(t, env, "ndxp_nats_connected", "1")
	wantMetric(t, env, "ndxp_nats_disconnects_total", "1")
	hubtest.Eventually(t, time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2022-03-15", Sync: true})
		if err != nil {
			return err
		}
		if c := codeCount(resp.GetStats(), "UNAVAILABLE"); c != n+1 || resp.GetStats().GetCount().GetTotal() != n+1 {
			return fmt.Errorf("counted %v, %d UNAVAILABLE; want %d, all UNAVAILABLE", resp.GetStats().GetCount(), c, n+1)
		}
		return nil
	})
}

// callsWhileNATSDown: while the hub's NATS is down, every other call
// that needs NATS (stored deliveries, the records, synchronised counters)
// fails at once with UNAVAILABLE too, as an exchange does, rather than
// waiting on the reconnecting connection until the caller's deadline.
func callsWhileNATSDown(t *testing.T, env *hubtest.Env) {
	t.Helper()
	deliveries := hubv1.NewDeliveryServiceClient(env.Conn)
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Send", func(ctx context.Context) error {
			r := waitRequest(t, "send-while-down")
			_, err := deliveries.Send(ctx, &hubv1.SendRequest{
				MessageId: r.MessageId, Consumer: r.Consumer, Provider: r.Provider, Service: r.Service, Payload: r.Payload, BusinessTime: r.BusinessTime,
			})
			return err
		}},
		{"GetDelivery", func(ctx context.Context) error {
			_, err := deliveries.GetDelivery(ctx, &hubv1.GetDeliveryRequest{Consumer: consumer, MessageId: "send-while-down"})
			return err
		}},
		{"QueryRecords", func(ctx context.Context) error {
			_, err := env.Stats.QueryRecords(ctx, &hubv1.QueryRecordsRequest{})
			return err
		}},
		{"GetStats with sync", func(ctx context.Context) error {
			_, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2022-03-15", Sync: true})
			return err
		}},
	}
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.call(ctx)
		cancel()
		if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "lost its NATS connection") {
			t.Errorf("%s while NATS is down: %v, want UNAVAILABLE saying the hub lost its NATS connection", c.name, err)
		}
	}
}

// TestDeadlineRecordedAsDeadline (issue 9, item 16): when the caller's
// deadline passes while the provider works, the hub records
// DEADLINE_EXCEEDED, the code the caller sees, not CANCELLED.
func TestDeadlineRecordedAsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var got atomic.Int64
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(slowAgency(release, &got))))
	const n = 10
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := env.Exchange.Exchange(ctx, waitRequest(t, fmt.Sprint("late-", i)))
		cancel()
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("exchange: %v, want DEADLINE_EXCEEDED", err)
		}
	}
	hubtest.Eventually(t, 30*time.Second, func() error {
		st := dayStats(t, env)
		if c := codeCount(st, "DEADLINE_EXCEEDED"); c != n {
			return fmt.Errorf("counted %v, %d DEADLINE_EXCEEDED, %d CANCELLED; want %d DEADLINE_EXCEEDED", st.GetCount(), c, codeCount(st, "CANCELLED"), n)
		}
		return nil
	})
}

// TestRecordStoredAfterNATSFailure (issue 9, item 15): on a three-server
// cluster of nats-server processes, two servers are killed, so the record
// stream (three replicas) cannot store anything while the hub and the
// provider, on the third server, still exchange. The client is answered
// UNAVAILABLE (record pending) before its deadline; once the servers are
// back, the hub stores the record by itself, and the client's retry with
// the same message id is counted once.
func TestRecordStoredAfterNATSFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	servers := natsproc.StartCluster(t, 3)
	env := hubtest.Start(t, hubtest.WithNATSURL(servers[0].URL()), hubtest.WithHubConfig(hub.Config{Replicas: 3}))
	stopLater(t, env)
	sendOK(t, env, "before")
	if c := dayStats(t, env).GetCount(); c.GetTotal() != 1 {
		t.Fatalf("counted %v, want 1", c)
	}
	servers[1].Kill(t)
	servers[2].Kill(t)

	req := lookup(t, knownID)
	req.MessageId, req.BusinessTime = "during", timestamppb.New(durableDay)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	_, err := env.Exchange.Exchange(ctx, req)
	cancel()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("exchange while the records cannot be stored: %v, want UNAVAILABLE", err)
	}
	if !strings.Contains(status.Convert(err).Message(), "record pending") {
		t.Errorf("exchange while the records cannot be stored: %v, want it to say the record is pending", err)
	}

	servers[1].Restart(t, false)
	servers[2].Restart(t, false)
	hubtest.Eventually(t, 60*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2022-03-15", Sync: true})
		if err != nil {
			return err
		}
		if c := resp.GetStats().GetCount(); c.GetTotal() != 2 || c.GetSucceeded() != 2 {
			return fmt.Errorf("counted %v, want 2 succeeded", c)
		}
		return nil
	})
	sendOK(t, env, "during") // the client's retry
	if c := dayStats(t, env).GetCount(); c.GetTotal() != 2 || c.GetSucceeded() != 2 {
		t.Fatalf("after the retry counted %v, want the 2 transactions once each", c)
	}
}
