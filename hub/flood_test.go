package hub_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/txlog"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// floodDay is the business day of the flood tests.
var floodDay = time.Date(2021, 10, 4, 9, 0, 0, 0, time.UTC)

// TestRateLimitFlood: one consumer at 20 times its rate limit for 30 s
// (10 s with -short, as under the race detector).
// Its refusals are counted exactly but stored as a few aggregate records,
// not one record each; every record of another consumer is kept; the
// hub's heap and /metrics stay bounded.
func TestRateLimitFlood(t *testing.T) {
	const (
		flooder, quiet = "000.00.00.H29", "000.00.00.H01"
		limit          = 50 // per second
	)
	duration := 30 * time.Second
	if testing.Short() {
		duration = 10 * time.Second
	}
	// Both consumers are registered: an unregistered one is counted as
	// "unknown" when refused (see TestInventedCodesBounded).
	env := hubtest.Start(t, hubtest.WithHubConfig(hub.Config{Security: hub.Security{RateLimit: limit}}),
		hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{Code: flooder}, &hubtest.FuncAgency{Code: quiet})))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var heapBefore runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heapBefore)

	pace := rate.NewLimiter(20*limit, 20)
	var sent, refused, quietSent atomic.Int64
	end := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(end); i++ {
				if pace.Wait(ctx) != nil {
					return
				}
				req := lookup(t, knownID)
				req.Consumer, req.MessageId, req.BusinessTime = flooder, fmt.Sprintf("flood-%d-%d", w, i), timestamppb.New(floodDay)
				_, err := env.Exchange.Exchange(ctx, req)
				sent.Add(1)
				if status.Code(err) == codes.ResourceExhausted {
					refused.Add(1)
				} else if err != nil {
					t.Errorf("flood exchange: %v", err)
					return
				}
			}
		}()
	}
	for i := 0; time.Now().Before(end); i++ { // another consumer, within its limit
		req := lookup(t, knownID)
		req.Consumer, req.MessageId, req.BusinessTime = quiet, fmt.Sprint("quiet-", i), timestamppb.New(floodDay)
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			t.Fatalf("the other consumer: %v", err)
		}
		quietSent.Add(1)
		time.Sleep(100 * time.Millisecond) // pacing, not an assertion
	}
	wg.Wait()
	if refused.Load() < sent.Load()/2 {
		t.Fatalf("only %d of %d refused; the flood did not exceed the limit", refused.Load(), sent.Load())
	}

	resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-10-04", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, b := range resp.GetStats().GetByConsumer() {
		got[b.GetKey()] = b.GetCount().GetTotal()
	}
	if got[flooder] != sent.Load() || got[quiet] != quietSent.Load() {
		t.Fatalf("counted %v; sent %d as %s, %d as %s", got, sent.Load(), flooder, quietSent.Load(), quiet)
	}
	var floodRecords, floodCounted, quietRecords int64
	req := &hubv1.QueryRecordsRequest{PageSize: 1000}
	for {
		page, err := env.Stats.QueryRecords(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.GetRecords() {
			switch r.GetConsumer() {
			case flooder:
				floodRecords++
				floodCounted += max(r.GetCount(), 1)
			case quiet:
				quietRecords++
			}
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	ok := sent.Load() - refused.Load()
	if floodCounted != sent.Load() || floodRecords > ok+3*int64(duration/time.Second)+10 {
		t.Fatalf("%s: %d records standing for %d transactions; want %d transactions in about %d records (%d served, one aggregate a second)",
			flooder, floodRecords, floodCounted, sent.Load(), ok+int64(duration/time.Second), ok)
	}
	if quietRecords != quietSent.Load() {
		t.Fatalf("%d records of %s, want all %d", quietRecords, quiet, quietSent.Load())
	}

	var heapAfter runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heapAfter)
	metrics := get(t, "http://"+env.HTTPAddr()+"/metrics")
	t.Logf("sent %d (%d refused) as %s: %d records; heap in use %d -> %d KiB; /metrics %d bytes",
		sent.Load(), refused.Load(), flooder, floodRecords, heapBefore.HeapInuse>>10, heapAfter.HeapInuse>>10, len(metrics))
	if len(metrics) > 256<<10 {
		t.Fatalf("/metrics is %d bytes after the flood", len(metrics))
	}
	if grew := int64(heapAfter.HeapInuse) - int64(heapBefore.HeapInuse); grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB during the flood", grew>>20)
	}
}

// TestRecordStoreFull: a full record stream is never emptied by volume:
// the hub refuses new exchanges with UNAVAILABLE, saying what to do, and
// every earlier record is kept.
func TestRecordStoreFull(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithHubConfig(hub.Config{TxLog: txlog.Config{MaxBytes: 64 << 10}}))
	ctx := ctxT(t)
	served := 0
	var refusal error
	for i := range 2000 {
		req := lookup(t, knownID)
		req.MessageId = fmt.Sprint("full-", i)
		_, err := env.Exchange.Exchange(ctx, req)
		if status.Code(err) == codes.Unavailable {
			refusal = err
			break
		}
		if err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
		served++
	}
	if refusal == nil || !strings.Contains(refusal.Error(), "records-max-bytes") {
		t.Fatalf("after %d exchanges: %v; want UNAVAILABLE naming --records-max-bytes", served, refusal)
	}
	for _, id := range []string{"full-0", fmt.Sprint("full-", served-1)} {
		if n := len(records(t, env, id)); n != 1 {
			t.Fatalf("%d records of %s, want it kept", n, id)
		}
	}
	if lost := env.Platform.Hub().Counter().Lost(); lost != 0 {
		t.Fatalf("the counter saw %d records discarded", lost)
	}
	body := get(t, "http://"+env.HTTPAddr()+"/metrics")
	for _, m := range []string{"ndxp_records_store_used_ratio", "ndxp_records_store_full_refusals_total 1"} {
		if !strings.Contains(body, m) {
			t.Fatalf("/metrics lacks %s", m)
		}
	}
}
