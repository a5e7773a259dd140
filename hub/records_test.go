package hub_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestQueryRecords(t *testing.T) {
	const other, hanoi = "000.00.99.G95", "000.00.00.H01"
	who := &hubtest.FuncAgency{Code: other, Handlers: map[string]node.Handler{"who": func(context.Context, *node.Request) (proto.Message, error) {
		return &hubv1.Count{}, nil
	}}}
	env := hubtest.Start(t, hubtest.WithAgencies(hubtest.Group(who)))
	ctx := ctxT(t)
	start := time.Now()
	send := func(consumer, provider, service string, n int) {
		for i := range n {
			req := lookup(t, knownID)
			req.Consumer, req.Provider, req.Service = consumer, provider, service
			req.MessageId = fmt.Sprintf("%s-%s-%d", consumer, service, i)
			if _, err := env.Exchange.Exchange(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(consumer, population.Code, population.ServiceLookup, 5)
	send(hanoi, population.Code, population.ServiceLookup, 3)
	send(consumer, other, "who", 2)
	send(population.Code, population.Code, population.ServiceLookup, 1) // matches both of an agency's filters
	end := time.Now()

	for _, tc := range []struct {
		name string
		req  *hubv1.QueryRecordsRequest
		want int
	}{
		{"all", &hubv1.QueryRecordsRequest{}, 11},
		{"provider", &hubv1.QueryRecordsRequest{Agency: population.Code}, 9},
		{"consumer", &hubv1.QueryRecordsRequest{Agency: consumer}, 7},
		{"service", &hubv1.QueryRecordsRequest{Service: "who"}, 2},
		{"agency and service", &hubv1.QueryRecordsRequest{Agency: hanoi, Service: population.ServiceLookup}, 3},
		{"window", &hubv1.QueryRecordsRequest{From: timestamppb.New(start), To: timestamppb.New(end)}, 11},
		{"later window", &hubv1.QueryRecordsRequest{From: timestamppb.New(end)}, 0},
		{"earlier window", &hubv1.QueryRecordsRequest{From: timestamppb.New(start.Add(-time.Hour)), To: timestamppb.New(start)}, 0},
		{"pages", &hubv1.QueryRecordsRequest{Agency: population.Code, PageSize: 4}, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, pages := map[string]bool{}, 0
			req := proto.Clone(tc.req).(*hubv1.QueryRecordsRequest)
			for {
				resp, err := env.Stats.QueryRecords(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, r := range resp.GetRecords() {
					if ids[r.GetMessageId()] {
						t.Fatalf("record %s returned twice", r.GetMessageId())
					}
					ids[r.GetMessageId()] = true
					if a := tc.req.GetAgency(); a != "" && r.GetConsumer() != a && r.GetProvider() != a {
						t.Errorf("record %v does not involve %s", r, a)
					}
					if r.GetReceivedAt() == nil || r.GetAnsweredAt() == nil || r.GetHubId() == "" {
						t.Errorf("record %v lacks timestamps or hub id", r)
					}
				}
				if resp.GetNextPageToken() == "" {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			if len(ids) != tc.want {
				t.Fatalf("got %d records, want %d", len(ids), tc.want)
			}
			if ps := tc.req.GetPageSize(); ps > 0 && pages != (tc.want+int(ps)-1)/int(ps) {
				t.Fatalf("got %d pages of %d, want %d", pages, ps, (tc.want+int(ps)-1)/int(ps))
			}
		})
	}
}

func TestQueryRecordsValidation(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	now := time.Now()
	for _, tc := range []struct {
		field string
		req   *hubv1.QueryRecordsRequest
	}{
		{"page_size", &hubv1.QueryRecordsRequest{PageSize: -1}},
		{"page_size", &hubv1.QueryRecordsRequest{PageSize: 1001}},
		{"agency", &hubv1.QueryRecordsRequest{Agency: "population"}},
		{"service", &hubv1.QueryRecordsRequest{Service: "Citizen Lookup"}},
		{"to", &hubv1.QueryRecordsRequest{From: timestamppb.New(now), To: timestamppb.New(now.Add(-time.Minute))}},
		{"from", &hubv1.QueryRecordsRequest{From: &timestamppb.Timestamp{Nanos: -1}}},
		{"page_token", &hubv1.QueryRecordsRequest{PageToken: "next"}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			_, err := env.Stats.QueryRecords(ctxT(t), tc.req)
			if err == nil || !strings.Contains(err.Error(), "InvalidArgument") || !strings.Contains(err.Error(), "invalid "+tc.field) {
				t.Fatalf("QueryRecords(%v) = %v, want InvalidArgument naming %s", tc.req, err, tc.field)
			}
		})
	}
}

func TestWatchStatsToday(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	w, err := env.Stats.WatchStats(ctxT(t), &hubv1.WatchStatsRequest{IntervalMs: 100})
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if today := vn.Day(time.Now()); u.GetStats().GetPeriod() != today && u.GetStats().GetPeriod() != vn.Day(time.Now().Add(-time.Minute)) {
		t.Fatalf("period = %s, want today %s", u.GetStats().GetPeriod(), today)
	}
	bad, err := env.Stats.WatchStats(ctxT(t), &hubv1.WatchStatsRequest{IntervalMs: -5})
	if err == nil {
		_, err = bad.Recv()
	}
	if err == nil || !strings.Contains(err.Error(), "invalid interval_ms") {
		t.Fatalf("WatchStats(interval_ms -5) = %v, want InvalidArgument naming interval_ms", err)
	}
}

// TestWatchStatsEndsAtShutdown: an open watch does not hold up a graceful
// shutdown; the watcher is told the hub is going away.
func TestWatchStatsEndsAtShutdown(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := env.Stats.WatchStats(ctx, &hubv1.WatchStatsRequest{IntervalMs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Recv(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	env.Stop(t) // fails the test if the shutdown had to cut calls
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("shutdown took %s with a watcher", d)
	}
	for {
		if _, err := w.Recv(); err != nil {
			if !strings.Contains(err.Error(), "Unavailable") {
				t.Fatalf("watch ended with %v, want Unavailable", err)
			}
			return
		}
	}
}
