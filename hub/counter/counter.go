// Package counter derives the transaction counters from the record stream.
// Every hub reads the whole stream in order and keeps the same aggregates,
// so hubs on one NATS agree, and a restarted hub rebuilds its totals by
// reading the stream again. Counters are bucketed by business day (Vietnam
// time) and by consumer, provider, service and outcome code.
package counter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Key is the finest counter dimension.
type Key struct {
	Consumer, Provider, Service string
	Code                        int32
}

// day holds one business day's counters.
type day struct {
	rows    map[Key]int64
	latency *hdrhistogram.Histogram // microseconds
}

func newDay() *day {
	return &day{rows: map[Key]int64{}, latency: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)}
}

// Counter is safe for concurrent use.
type Counter struct {
	log     *zap.Logger
	applied atomic.Uint64 // stream sequence of the last applied record

	mu   sync.RWMutex
	days map[string]*day // by "YYYY-MM-DD"
	all  map[Key]int64   // since the stream began

	cc jetstream.ConsumeContext
}

// New returns an empty Counter; feed it with Apply or Follow.
func New(log *zap.Logger) *Counter {
	return &Counter{log: log, days: map[string]*day{}, all: map[Key]int64{}}
}

// Follow reads the stream from its first record and applies every record,
// now and as they arrive, until Stop.
func (c *Counter) Follow(ctx context.Context, js jetstream.JetStream, stream string) error {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("counter: follow %s: %w", stream, err)
	}
	cc, err := cons.Consume(c.handle)
	if err != nil {
		return fmt.Errorf("counter: consume %s: %w", stream, err)
	}
	c.cc = cc
	return nil
}

func (c *Counter) handle(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		c.log.Warn("record without metadata", zap.Error(err))
		return
	}
	rec, err := txlog.Decode(msg.Data())
	if err != nil {
		c.log.Warn("skipping unreadable record", zap.Uint64("seq", meta.Sequence.Stream), zap.Error(err))
		c.applied.Store(meta.Sequence.Stream)
		return
	}
	c.Apply(meta.Sequence.Stream, rec)
}

// Stop stops following the stream.
func (c *Counter) Stop() {
	if c.cc != nil {
		c.cc.Stop()
	}
}

// Apply counts one record stored at stream sequence seq. Records must be
// applied in sequence order, each once.
func (c *Counter) Apply(seq uint64, rec *hubv1.TransactionRecord) {
	k := Key{Consumer: rec.GetConsumer(), Provider: rec.GetProvider(), Service: rec.GetService(), Code: rec.GetCode()}
	d := vn.Day(rec.GetBusinessTime().AsTime())
	us := rec.GetAnsweredAt().AsTime().Sub(rec.GetReceivedAt().AsTime()).Microseconds()
	c.mu.Lock()
	dd := c.days[d]
	if dd == nil {
		dd = newDay()
		c.days[d] = dd
	}
	dd.rows[k]++
	_ = dd.latency.RecordValue(max(us, 1))
	c.all[k]++
	c.mu.Unlock()
	c.applied.Store(seq)
}

// Applied is the stream sequence of the last applied record.
func (c *Counter) Applied() uint64 { return c.applied.Load() }

// WaitFor blocks until the record at seq has been applied or ctx ends.
func (c *Counter) WaitFor(ctx context.Context, seq uint64) error {
	if c.Applied() >= seq {
		return nil
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for c.Applied() < seq {
		select {
		case <-ctx.Done():
			return fmt.Errorf("counter: waiting for record %d (applied %d): %w", seq, c.Applied(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
