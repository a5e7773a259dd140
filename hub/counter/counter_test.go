package counter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

const stream = "TEST_TX"

var business = time.Date(2023, 5, 20, 3, 0, 0, 0, time.UTC) // 10:00 in Hà Nội

// setup starts NATS with a record stream that keeps only maxMsgs records.
func setup(t testing.TB, maxMsgs int64) jetstream.JetStream {
	t.Helper()
	js := hubtest.JetStream(t, hubtest.StartNATS(t).ClientURL())
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: stream, Subjects: []string{wire.RecordPrefix + ".>"}, MaxMsgs: maxMsgs, Discard: jetstream.DiscardOld,
	}); err != nil {
		t.Fatal(err)
	}
	return js
}

// publish appends n records: OK, with a latency of (i+1) ms.
func publish(t *testing.T, js jetstream.JetStream, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		rec := &hubv1.TransactionRecord{
			MessageId: fmt.Sprint(i), Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
			BusinessTime: timestamppb.New(business), ReceivedAt: timestamppb.New(business),
			AnsweredAt: timestamppb.New(business.Add(time.Duration(i+1) * time.Millisecond)),
		}
		b, err := proto.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(context.Background(), wire.RecordSubject(rec.Consumer, rec.Provider, rec.Service), b); err != nil {
			t.Fatal(err)
		}
	}
}

func start(t *testing.T, js jetstream.JetStream, wantApplied uint64) *counter.Counter {
	t.Helper()
	c := counter.New(counter.Config{CheckpointInterval: -1}, zaptest.NewLogger(t))
	if err := c.Start(context.Background(), js, stream); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitFor(ctx, wantApplied); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckpoints(t *testing.T) {
	t.Run("records the stream discarded are reported lost", func(t *testing.T) {
		js := setup(t, 5)
		publish(t, js, 0, 8)
		c := start(t, js, 8)
		if got := c.Snapshot("2023-05").GetCount().GetTotal(); got != 5 || c.Lost() != 3 {
			t.Fatalf("counted %d, lost %d; want 5 counted and 3 lost", got, c.Lost())
		}
	})
	t.Run("a checkpoint keeps what the stream discarded later", func(t *testing.T) {
		js := setup(t, 5)
		publish(t, js, 0, 5)
		first := start(t, js, 5)
		if err := first.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := first.Snapshot("2023-05-20")
		first.Stop()
		publish(t, js, 5, 4) // the stream now holds 5..9 only
		second := start(t, js, 9)
		after := second.Snapshot("2023-05-20")
		if second.Restored() != 5 || second.Lost() != 0 || after.GetCount().GetTotal() != 9 {
			t.Fatalf("restored %d, lost %d, counted %d; want 5, 0, 9", second.Restored(), second.Lost(), after.GetCount().GetTotal())
		}
		if before.GetLatency().GetMaxUs() < 4900 || after.GetLatency().GetMaxUs() < 8900 || after.GetLatency().GetP50Us() < 4000 {
			t.Fatalf("latency before %v, after %v: the histogram was not restored and extended", before.GetLatency(), after.GetLatency())
		}
	})
	t.Run("a counter restores the newest checkpoint of several counters", func(t *testing.T) {
		js := setup(t, 0)
		publish(t, js, 0, 3)
		old := start(t, js, 3)
		publish(t, js, 3, 3)
		newer := start(t, js, 6)
		if err := newer.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := old.Checkpoint(context.Background()); err != nil { // as new as the stored one: skipped
			t.Fatal(err)
		}
		old.Stop()
		third := start(t, js, 6)
		if third.Restored() != 6 || third.Snapshot("2023-05").GetCount().GetTotal() != 6 {
			t.Fatalf("restored %d, counted %v", third.Restored(), third.Snapshot("2023-05").GetCount())
		}
	})
}

func setupB(b *testing.B) jetstream.JetStream { return setup(b, 0) }

// TestAggregateCount: a record with a count stands for that many
// transactions in every read-out; count 0 means one.
func TestAggregateCount(t *testing.T) {
	c := counter.New(counter.Config{CheckpointInterval: -1}, zaptest.NewLogger(t))
	rec := func(code int32, n int64) *hubv1.TransactionRecord {
		return &hubv1.TransactionRecord{
			MessageId: "m", Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup", Code: code, Count: n,
			BusinessTime: timestamppb.New(business), ReceivedAt: timestamppb.New(business), AnsweredAt: timestamppb.New(business.Add(time.Second)),
		}
	}
	c.Apply(1, rec(0, 0))
	c.Apply(2, rec(8, 250))
	c.Apply(3, rec(8, 1))
	st := c.Snapshot("2023-05-20")
	if n := st.GetCount(); n.GetTotal() != 252 || n.GetSucceeded() != 1 || n.GetFailed() != 251 || st.GetAllTime().GetTotal() != 252 {
		t.Fatalf("count %v (all time %v), want 252 with 1 succeeded", n, st.GetAllTime())
	}
	if len(st.GetRows()) != 2 || st.GetByDay()[0].GetCount().GetTotal() != 252 {
		t.Fatalf("rows %v, by day %v", st.GetRows(), st.GetByDay())
	}
}
