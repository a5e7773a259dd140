// Package counter derives the transaction counters from the record stream.
// Every hub follows the stream in order and keeps the same aggregates, so
// hubs on one NATS agree. The aggregates are checkpointed to a JetStream
// object store together with the stream sequence they include; a starting
// hub restores the newest checkpoint and resumes reading at the next
// sequence, so a restart neither replays the whole stream nor depends on
// the stream still holding old records. Counters are bucketed by business
// day (Vietnam time) and by consumer, provider, service and outcome code,
// and by business hour, provider, service and outcome code; months are the
// sum of their days.
package counter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultBucket             = "ndxp_counter"
	DefaultCheckpointInterval = 10 * time.Second
)

// Config configures a Counter. Zero values mean defaults.
type Config struct {
	// Bucket is the JetStream object store holding the checkpoints.
	Bucket string
	// Replicas is the bucket's replica count on a NATS cluster (default 1).
	Replicas int
	// CheckpointInterval is how often the aggregates are saved when they
	// changed. A negative value never saves (a read-only hub); the
	// checkpoint is still restored at start.
	CheckpointInterval time.Duration
	// DedupRecords is how many stream sequences back a record's message
	// id (txlog.RecordID) is looked for: a record whose id was read within
	// them is a duplicate and not counted (see dedup). Negative: none.
	DedupRecords int
}

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.DedupRecords == 0 {
		c.DedupRecords = DefaultDedupRecords
	}
}

// Key is the finest counter dimension.
type Key struct {
	Consumer, Provider, Service string
	Code                        int32
}

// day holds one business day's counters.
type day struct {
	rows    map[Key]int64
	latency *hdrhistogram.Histogram // microseconds
	// version counts the records applied to the day; enc is the latency
	// histogram's encoding at version encVersion, reused by checkpoints
	// while the day does not change (past days never do).
	version, encVersion uint64
	enc                 string
	// hours are the day's counters by business hour, service and outcome.
	hours hours
}

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)
}

func newDay() *day { return &day{rows: map[Key]int64{}, latency: newHist()} }

// Counter is safe for concurrent use. Records are applied by one goroutine
// (the stream follower); readers take consistent snapshots under mu.
type Counter struct {
	cfg     Config
	log     *zap.Logger
	applied atomic.Uint64 // stream sequence of the last applied record; written under mu

	mu       sync.RWMutex
	days     map[string]*day // by "YYYY-MM-DD"
	all      map[Key]int64   // since the stream began
	lost     uint64          // records the stream discarded before they were counted
	restored uint64          // sequence of the checkpoint restored at start, 0 if none

	dedup      *dedup        // used by the follower only
	duplicates atomic.Uint64 // records skipped as duplicates

	saved    atomic.Uint64 // sequence of the last checkpoint this counter wrote or read
	observe  func(*hubv1.TransactionRecord)
	feed     func(seq uint64, raw []byte, rec *hubv1.TransactionRecord)
	store    jetstream.ObjectStore
	stream   jetstream.Stream
	nc       *nats.Conn // js's connection, to see whether NATS is there at Stop
	cc       jetstream.ConsumeContext
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New returns an empty Counter; feed it with Apply, or Start it.
func New(cfg Config, log *zap.Logger) *Counter {
	cfg.setDefaults()
	return &Counter{cfg: cfg, log: log, days: map[string]*day{}, all: map[Key]int64{}, dedup: newDedup(max(cfg.DedupRecords, 0))}
}

// Observe makes f see every record the counter reads from the stream
// after Start (not those included in the restored checkpoint), in stream
// order, on the follower's goroutine: f must be quick and must not keep
// rec. Call it before Start.
func (c *Counter) Observe(f func(rec *hubv1.TransactionRecord)) { c.observe = f }

// Feed makes f see every record stored after the restored checkpoint, in
// stream order, duplicates and unreadable ones included, on the follower's
// goroutine: seq, the stored bytes and the decoded record (nil if it was
// not decoded: a duplicate, or unreadable). So the audit chain reads the
// stream through the counter, and each hub reads it once. f must be quick
// (the audit chain's Offer never blocks) and must not modify rec. Call it
// before Start.
func (c *Counter) Feed(f func(seq uint64, raw []byte, rec *hubv1.TransactionRecord)) { c.feed = f }

// Start restores the newest checkpoint of stream (if any), then follows the
// stream from the next sequence, applying every record now and as they
// arrive, and checkpoints periodically until Stop.
func (c *Counter) Start(ctx context.Context, js jetstream.JetStream, stream string) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("counter: stream %s: %w", stream, err)
	}
	c.stream, c.nc = s, js.Conn()
	store, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      c.cfg.Bucket,
		Description: "ndxp transaction counter checkpoints",
		Storage:     jetstream.FileStorage,
		Replicas:    c.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("counter: open bucket %s: %w", c.cfg.Bucket, err)
	}
	c.store = store
	if err := c.restore(ctx); err != nil {
		return err
	}
	// The records up to the checkpoint are read back only to rebuild the
	// de-duplication window (handle), as a hub that never stopped has it.
	start := c.Applied() + 1
	start -= min(start-1, c.dedup.max)
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   start,
	})
	if err != nil {
		return fmt.Errorf("counter: follow %s: %w", stream, err)
	}
	cc, err := cons.Consume(c.handle, jetstream.PullMaxMessages(txlog.ReadAhead),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			c.log.Warn("following the records", zap.Error(err))
		}))
	if err != nil {
		return fmt.Errorf("counter: consume %s: %w", stream, err)
	}
	c.cc = cc
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.checkpointLoop()
	return nil
}

func (c *Counter) handle(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		c.log.Warn("record without metadata", zap.Error(err))
		return
	}
	seq := meta.Sequence.Stream
	k, hasKey := keyOf(msg)
	if seq <= c.Applied() {
		if hasKey {
			c.dedup.seen(seq, k) // already in the restored checkpoint
		}
		return
	}
	if hasKey && c.dedup.seen(seq, k) {
		c.duplicates.Add(1)
		c.apply(seq, nil)
		if c.feed != nil {
			c.feed(seq, msg.Data(), nil)
		}
		return
	}
	rec, err := txlog.Decode(msg.Data())
	if err != nil {
		c.log.Error("skipping unreadable record", zap.Uint64("seq", seq), zap.Error(err))
		rec = nil
	}
	c.apply(seq, rec)
	if rec != nil && c.observe != nil {
		c.observe(rec)
	}
	if c.feed != nil {
		c.feed(seq, msg.Data(), rec)
	}
}

// stopCatchUp bounds how long Stop waits for the records already stored
// to be counted, so that the last checkpoint includes them.
const stopCatchUp = 2 * time.Second

// Stop catches up with the records already stored (for a short while),
// stops following the stream and saves a last checkpoint (unless
// checkpoints are disabled); while NATS is disconnected it does neither
// the catch-up nor the save, and ends a periodic save under way, so a hub
// whose NATS is gone stops at once. It is safe to call more than once.
func (c *Counter) Stop() {
	c.stopOnce.Do(func() {
		if c.cc != nil {
			if c.nc.IsConnected() {
				c.catchUp()
			}
			c.cc.Stop()
		}
		if c.stop != nil {
			close(c.stop)
			<-c.done
		}
	})
}

func (c *Counter) catchUp() {
	ctx, cancel := context.WithTimeout(context.Background(), stopCatchUp)
	defer cancel()
	info, err := c.stream.Info(ctx)
	if err != nil {
		return
	}
	_ = c.WaitFor(ctx, info.State.LastSeq)
}

// Apply counts one record stored at stream sequence seq. Records must be
// applied in increasing sequence order, each once; a record at or below
// Applied is ignored.
func (c *Counter) Apply(seq uint64, rec *hubv1.TransactionRecord) {
	if seq <= c.Applied() {
		return
	}
	c.apply(seq, rec)
}

// apply counts rec (nil: an unreadable record, only the sequence moves).
// A gap between the last applied sequence and seq means the stream dropped
// records before they were counted: they are reported, never silent.
func (c *Counter) apply(seq uint64, rec *hubv1.TransactionRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.applied.Load()
	if seq > prev+1 {
		c.lost += seq - prev - 1
		c.log.Error("transaction records were discarded by the stream's limits before they were counted",
			zap.Uint64("from_seq", prev+1), zap.Uint64("to_seq", seq-1))
	}
	if rec != nil {
		c.count(rec)
		c.countHour(rec)
	}
	c.applied.Store(seq)
}

// count adds rec, which stands for Weight(rec) transactions, to the
// aggregates; mu must be held. An aggregate record's times span many
// refusals, not one exchange, so it adds no latency.
func (c *Counter) count(rec *hubv1.TransactionRecord) {
	k := Key{Consumer: rec.GetConsumer(), Provider: rec.GetProvider(), Service: rec.GetService(), Code: rec.GetCode()}
	d := vn.Day(rec.GetBusinessTime().AsTime())
	dd := c.days[d]
	if dd == nil {
		dd = newDay()
		c.days[d] = dd
	}
	n := Weight(rec)
	dd.rows[k] += n
	dd.version++
	if n == 1 {
		us := rec.GetAnsweredAt().AsTime().Sub(rec.GetReceivedAt().AsTime()).Microseconds()
		_ = dd.latency.RecordValue(max(us, 1))
	}
	c.all[k] += n
}

// Weight is how many transactions rec stands for: its count, where 0 (a
// record of one transaction) means 1.
func Weight(rec *hubv1.TransactionRecord) int64 {
	return max(rec.GetCount(), 1)
}

// Applied is the stream sequence of the last applied record.
func (c *Counter) Applied() uint64 { return c.applied.Load() }

// Duplicates is the number of records this counter read and did not
// count because a record with the same message id (txlog.RecordID) was
// read within Config.DedupRecords sequences before.
func (c *Counter) Duplicates() uint64 { return c.duplicates.Load() }

// Restored is the stream sequence of the checkpoint restored at start, 0
// if the counter started from the beginning of the stream.
func (c *Counter) Restored() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.restored
}

// Saved is the stream sequence of the newest checkpoint this counter wrote
// or restored.
func (c *Counter) Saved() uint64 { return c.saved.Load() }

// Lost is the number of records the stream discarded (by its MaxBytes or
// MaxAge limits) before any checkpoint included them. It should be 0; if
// not, raise the stream's limits or checkpoint more often.
func (c *Counter) Lost() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lost
}

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

// ErrNotStarted is returned by Checkpoint before Start.
var ErrNotStarted = errors.New("counter: not started")
