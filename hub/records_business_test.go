package hub_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestRecordsByBusinessTime: the records of a replayed day are found by
// their business time (and not by a received_at window on that day), and
// the day's hourly counters hold them at their business hour.
func TestRecordsByBusinessTime(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	for i, bt := range []time.Time{replayed.Add(15 * time.Minute), replayed.Add(75 * time.Minute)} {
		req := lookup(t, knownID)
		req.MessageId, req.BusinessTime = "bt-"+string(rune('a'+i)), timestamppb.New(bt)
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	window := func(by bool) []*hubv1.TransactionRecord {
		resp, err := env.Stats.QueryRecords(ctx, &hubv1.QueryRecordsRequest{
			From: timestamppb.New(replayed), To: timestamppb.New(replayed.Add(time.Hour)), ByBusinessTime: by,
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetRecords()
	}
	if got := window(true); len(got) != 1 || got[0].GetMessageId() != "bt-a" {
		t.Fatalf("by business time 10:00-11:00 on 2023-05-02: %v, want bt-a", got)
	}
	if got := window(false); len(got) != 0 {
		t.Fatalf("by received_at 10:00-11:00 on 2023-05-02: %v, want none", got)
	}
	st, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2023-05-02", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if h := st.GetStats().GetByHour(); h[10].GetCount().GetTotal() != 1 || h[11].GetCount().GetTotal() != 1 {
		t.Fatalf("hours 10 and 11 of 2023-05-02: %v, %v; want 1 each", h[10].GetCount(), h[11].GetCount())
	}
}
