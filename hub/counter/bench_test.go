package counter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func BenchmarkApply(b *testing.B) {
	c := counter.New(counter.Config{}, zap.NewNop())
	rec := &hubv1.TransactionRecord{
		Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
		BusinessTime: timestamppb.New(business), ReceivedAt: timestamppb.New(business),
		AnsweredAt: timestamppb.New(business.Add(3 * time.Millisecond)),
	}
	for i := 0; b.Loop(); i++ {
		c.Apply(uint64(i+1), rec)
	}
}

// BenchmarkRestart compares a counter starting from a checkpoint with one
// reading the whole stream, over records streamRecords.
func BenchmarkRestart(b *testing.B) {
	const streamRecords = 50_000
	js := setupB(b)
	ctx := context.Background()
	futures := make([]jetstream.PubAckFuture, 0, streamRecords)
	for i := range streamRecords {
		bt := business.Add(time.Duration(i%30) * 24 * time.Hour)
		rec := &hubv1.TransactionRecord{
			MessageId: fmt.Sprint(i), Consumer: fmt.Sprintf("000.00.00.H%02d", i%63+1), Provider: "000.00.01.G01", Service: "citizen-lookup",
			BusinessTime: timestamppb.New(bt), ReceivedAt: timestamppb.New(bt), AnsweredAt: timestamppb.New(bt.Add(time.Duration(i%5000) * time.Microsecond)),
		}
		data, _ := proto.Marshal(rec)
		f, err := js.PublishAsync(wire.RecordSubject(rec.Consumer, rec.Provider, rec.Service), data)
		if err != nil {
			b.Fatal(err)
		}
		futures = append(futures, f)
	}
	<-js.PublishAsyncComplete()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
	start := func(cfg counter.Config) *counter.Counter {
		c := counter.New(cfg, zap.NewNop())
		if err := c.Start(ctx, js, stream); err != nil {
			b.Fatal(err)
		}
		if err := c.WaitFor(ctx, streamRecords); err != nil {
			b.Fatal(err)
		}
		return c
	}
	b.Run("from the stream", func(b *testing.B) {
		for b.Loop() {
			start(counter.Config{Bucket: "fresh", CheckpointInterval: -1}).Stop()
		}
	})
	c := start(counter.Config{CheckpointInterval: -1})
	if err := c.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	c.Stop()
	b.Run("from a checkpoint", func(b *testing.B) {
		for b.Loop() {
			c := start(counter.Config{CheckpointInterval: -1})
			if c.Restored() != streamRecords {
				b.Fatalf("restored %d", c.Restored())
			}
			c.Stop()
		}
	})
}
