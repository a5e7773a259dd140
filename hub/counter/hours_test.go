package counter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestHourlyCounters: a day's records are counted by business hour
// (Vietnam time), service and outcome; the 24 hours add up to the day,
// a month sums its days' hours.
func TestHourlyCounters(t *testing.T) {
	c := counter.New(counter.Config{CheckpointInterval: -1}, zaptest.NewLogger(t))
	at := func(day, hour int) time.Time { return time.Date(2023, 5, day, hour, 30, 0, 0, vn.Zone) }
	var seq uint64
	add := func(bt time.Time, service string, code int32) {
		seq++
		c.Apply(seq, &hubv1.TransactionRecord{
			MessageId: fmt.Sprint(seq), Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: service, Code: code,
			BusinessTime: timestamppb.New(bt), ReceivedAt: timestamppb.Now(), AnsweredAt: timestamppb.Now(),
		})
	}
	for range 3 {
		add(at(2, 10), "citizen-lookup", 0)
	}
	add(at(2, 10), "citizen-lookup", 5)
	add(at(2, 0), "citizen-verify", 0)
	add(at(2, 23), "citizen-verify", 0)
	add(at(3, 10), "citizen-lookup", 0)
	// 2023-05-02 00:10 in Hà Nội is still 1 May in UTC.
	add(time.Date(2023, 5, 1, 17, 10, 0, 0, time.UTC), "citizen-verify", 0)

	st := c.Snapshot("2023-05-02")
	if len(st.GetByHour()) != 24 {
		t.Fatalf("by_hour has %d hours, want 24", len(st.GetByHour()))
	}
	var sum int64
	for h, b := range st.GetByHour() {
		if b.GetKey() != fmt.Sprintf("%02d", h) {
			t.Fatalf("hour %d keyed %q", h, b.GetKey())
		}
		sum += b.GetCount().GetTotal()
	}
	want := map[int]int64{0: 2, 10: 4, 23: 1}
	for h, n := range want {
		if got := st.GetByHour()[h].GetCount().GetTotal(); got != n {
			t.Errorf("hour %02d: %d, want %d", h, got, n)
		}
	}
	if sum != st.GetCount().GetTotal() || sum != 7 || st.GetByHour()[10].GetCount().GetFailed() != 1 {
		t.Fatalf("hours sum to %d (10h %v), the day counts %d; want 7", sum, st.GetByHour()[10].GetCount(), st.GetCount().GetTotal())
	}
	rows := map[string]int64{}
	for _, r := range st.GetHourRows() {
		rows[fmt.Sprintf("%02d %s %s", r.GetHour(), r.GetService(), r.GetCode())] = r.GetCount()
	}
	if rows["10 citizen-lookup OK"] != 3 || rows["10 citizen-lookup NOT_FOUND"] != 1 || rows["00 citizen-verify OK"] != 2 || len(rows) != 4 {
		t.Fatalf("hour rows %v", rows)
	}
	if month := c.Snapshot("2023-05"); month.GetByHour()[10].GetCount().GetTotal() != 5 {
		t.Fatalf("the month's 10h: %v, want 5", month.GetByHour()[10].GetCount())
	}
}

// TestHourlyCountersCheckpointed: a restarted counter restores the hours.
func TestHourlyCountersCheckpointed(t *testing.T) {
	js := setup(t, 0)
	publish(t, js, 0, 4)
	first := start(t, js, 4)
	if err := first.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	first.Stop()
	publish(t, js, 4, 1)
	second := start(t, js, 5)
	if second.Restored() != 4 {
		t.Fatalf("restored %d, want the checkpoint at 4", second.Restored())
	}
	if got := second.Snapshot("2023-05-20").GetByHour()[10].GetCount().GetTotal(); got != 5 {
		t.Fatalf("10h after the restart: %d, want 5 (4 restored and 1 read)", got)
	}
}
