package hub_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// day is a business day far from today, so that only this test counts on it.
var day = time.Date(2021, 8, 16, 9, 30, 0, 0, time.UTC)

func TestCountersExact(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	send := func(id, personalID string) {
		req := lookup(t, personalID)
		req.MessageId, req.BusinessTime = id, timestamppb.New(day)
		_, _ = env.Exchange.Exchange(ctx, req)
	}
	for i := range 5 {
		send(fmt.Sprint("ok-", i), knownID)
	}
	send("bad-1", "12345")
	send("bad-2", "abc")
	send("ok-0", knownID) // a retry of a message id is counted once
	send("ok-1", knownID)

	resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-08-16", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	st := resp.GetStats()
	if c := st.GetCount(); c.GetTotal() != 7 || c.GetSucceeded() != 5 || c.GetFailed() != 2 {
		t.Fatalf("count = %v, want 7 total, 5 succeeded, 2 failed", c)
	}
	wantRows := map[string]int64{"OK": 5, "INVALID_ARGUMENT": 2}
	for _, r := range st.GetRows() {
		if r.GetConsumer() != consumer || r.GetProvider() != population.Code || r.GetService() != population.ServiceLookup || wantRows[r.GetCode()] != r.GetCount() {
			t.Errorf("unexpected row %v", r)
		}
		delete(wantRows, r.GetCode())
	}
	if len(wantRows) != 0 {
		t.Errorf("missing rows %v", wantRows)
	}
	month, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Month: "2021-08"})
	if err != nil || month.GetStats().GetCount().GetTotal() != 7 || len(month.GetStats().GetByDay()) != 1 {
		t.Fatalf("month = %v, %v", month, err)
	}
	other, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-08-17"})
	if err != nil || other.GetStats().GetCount().GetTotal() != 0 {
		t.Fatalf("other day = %v, %v", other, err)
	}

	body := get(t, "http://"+env.HTTPAddr()+"/metrics")
	line := fmt.Sprintf(`ndxp_transactions_total{code="OK",provider="%s",service="%s"} 5`, population.Code, population.ServiceLookup)
	if !strings.Contains(body, line) {
		t.Fatalf("/metrics lacks %s", line)
	}
}

func TestStatsValidation(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	for _, req := range []*hubv1.GetStatsRequest{{Day: "2021-13-01"}, {Month: "2021"}, {Day: "2021-08-01", Month: "2021-08"}} {
		if _, err := env.Stats.GetStats(ctxT(t), req); err == nil || !strings.Contains(err.Error(), "InvalidArgument") {
			t.Errorf("GetStats(%v) = %v, want InvalidArgument", req, err)
		}
	}
}

func TestWatchStats(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	w, err := env.Stats.WatchStats(ctx, &hubv1.WatchStatsRequest{Day: "2021-08-16", IntervalMs: 100})
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.Recv()
	if err != nil || first.GetStats().GetCount().GetTotal() != 0 {
		t.Fatalf("first update = %v, %v", first, err)
	}
	req := lookup(t, knownID)
	req.BusinessTime = timestamppb.New(day)
	if _, err := env.Exchange.Exchange(ctx, req); err != nil {
		t.Fatal(err)
	}
	for {
		u, err := w.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if u.GetStats().GetCount().GetTotal() == 1 {
			return
		}
	}
}

func TestExchangeStream(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	stream, err := env.Exchange.ExchangeStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		req := lookup(t, knownID)
		if i%10 == 0 {
			req = lookup(t, "bad")
		}
		req.MessageId, req.BusinessTime = fmt.Sprint("s-", i), timestamppb.New(day)
		if err := stream.Send(&hubv1.ExchangeStreamRequest{Request: req}); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	seen, failed := map[string]bool{}, 0
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[r.GetMessageId()] = true
		if (r.GetError() == nil) == (r.GetResponse() == nil) {
			t.Fatalf("result %v must have exactly one of response and error", r)
		}
		if r.GetError() != nil {
			failed++
		}
	}
	if len(seen) != n || failed != n/10 {
		t.Fatalf("got %d results (%d failed), want %d (%d failed)", len(seen), failed, n, n/10)
	}
	resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-08-16", Sync: true})
	if err != nil || resp.GetStats().GetCount().GetTotal() != n {
		t.Fatalf("counted %v, %v; want %d", resp.GetStats().GetCount(), err, n)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestRetryAfterFailure: a message id retried after a failure is counted
// once per outcome: the same failure again is not counted twice, and the
// success that follows is counted, never hidden behind the failure.
func TestRetryAfterFailure(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	ctx := ctxT(t)
	pop := population.New(population.Config{Seed: 1})
	g := hubtest.Group(pop)
	if err := g.Start(ctx, env.NATSURL(), env.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	if err := g.Stop(); err != nil { // registered, but no node online
		t.Fatal(err)
	}
	req := lookup(t, knownID)
	req.MessageId, req.BusinessTime = "retry-1", timestamppb.New(day)
	for range 2 {
		if _, err := env.Exchange.Exchange(ctx, req); err == nil {
			t.Fatal("exchange with no node online succeeded")
		}
	}
	g = hubtest.Group(pop)
	if err := g.Start(ctx, env.NATSURL(), env.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	for range 2 { // the answer of the first success may be lost: retried
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-08-16", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.GetStats().GetCount(); c.GetTotal() != 2 || c.GetSucceeded() != 1 || c.GetFailed() != 1 {
		t.Fatalf("count = %v, want 2: one UNAVAILABLE, one OK", c)
	}
}
