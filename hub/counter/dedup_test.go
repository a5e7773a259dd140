package counter_test

import (
	"context"
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

// TestDuplicateCopyCountedOnce: a record stored again under the same
// Nats-Msg-Id after the broker's short duplicate window (a retry that came
// late) is counted once, also by a counter restarted from a checkpoint
// taken between the copies; a copy further back than DedupRecords
// sequences is counted (the window is bounded).
func TestDuplicateCopyCountedOnce(t *testing.T) {
	js := hubtest.JetStream(t, hubtest.StartNATS(t).ClientURL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{wire.RecordPrefix + ".>"}, Duplicates: 100 * time.Millisecond,
	}); err != nil {
		t.Fatal(err)
	}
	// store publishes the record of message id as a copy the stream keeps
	// (retrying while the broker's window still takes it for a duplicate).
	store := func(id string) {
		t.Helper()
		rec := &hubv1.TransactionRecord{
			MessageId: id, Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
			BusinessTime: timestamppb.New(business), ReceivedAt: timestamppb.New(business), AnsweredAt: timestamppb.New(business.Add(time.Millisecond)),
		}
		b, err := proto.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		hubtest.Eventually(t, 10*time.Second, func() error {
			ack, err := js.Publish(ctx, wire.RecordSubject(rec.Consumer, rec.Provider, rec.Service), b, jetstream.WithMsgID("000.00.00.H29|"+id))
			if err == nil && ack.Duplicate {
				return jetstream.ErrMsgAlreadyAckd // any error: not stored yet
			}
			return err
		})
	}
	total := func(c *counter.Counter) int64 { return c.Snapshot("2023-05-20").GetCount().GetTotal() }
	store("a")
	store("b")
	store("a") // seq 3, two sequences after the first copy
	c := start(t, js, 3)
	if total(c) != 2 || c.Duplicates() != 1 {
		t.Fatalf("counted %d with %d duplicates, want 2 and 1", total(c), c.Duplicates())
	}
	if err := c.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	store("a") // seq 4: a copy the restarted counter must know from before its checkpoint
	again := start(t, js, 4)
	if total(again) != 2 || again.Duplicates() != 1 || again.Restored() != 3 {
		t.Fatalf("restarted: counted %d with %d duplicates from checkpoint %d, want 2, 1, 3", total(again), again.Duplicates(), again.Restored())
	}
	t.Run("bounded window", func(t *testing.T) {
		narrow := counter.New(counter.Config{CheckpointInterval: -1, DedupRecords: 1, Bucket: "narrow"}, zaptest.NewLogger(t))
		if err := narrow.Start(ctx, js, stream); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(narrow.Stop)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := narrow.WaitFor(wctx, 4); err != nil {
			t.Fatal(err)
		}
		// seq 3 is two back from seq 1: counted; seq 4 is one back from seq 3: not.
		if total(narrow) != 3 || narrow.Duplicates() != 1 {
			t.Fatalf("counted %d with %d duplicates, want 3 and 1", total(narrow), narrow.Duplicates())
		}
	})
}
