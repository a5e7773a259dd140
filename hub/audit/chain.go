package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/txlog"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultStream       = "NDXP_AUDIT"
	DefaultSubject      = "ndxp.audit"
	DefaultMaxBytes     = 2 << 30 // 2 GiB, about 5 million entries; with NDXP_TX within the embedded 8 GiB
	DefaultLeaseBucket  = "ndxp_audit_writer"
	DefaultLeaseTTL     = 6 * time.Second
	DefaultBlockEntries = 500
	DefaultLinger       = 200 * time.Millisecond
)

// description marks the stream as holding signed blocks; an older ndxp's
// stream of one unsigned entry per record is recognised by its own.
const (
	description    = "ndxp audit log: signed blocks chaining the transaction records"
	oldDescription = "ndxp audit log: hash chain over the transaction records"
)

// Config configures the audit chain. Zero values mean defaults.
type Config struct {
	// Stream is the JetStream stream name.
	Stream string
	// Replicas is the stream's replica count on a NATS cluster (default 1).
	Replicas int
	// Retention drops blocks older than this (a prefix of the chain);
	// 0 keeps them. Verify then starts the chain at the oldest block kept
	// and says how many were removed.
	Retention time.Duration
	// MaxBytes caps the stream's size. When it is full, new blocks are
	// refused (never old ones dropped): the chain falls behind, which the
	// ndxp_audit_chained_sequence gauge and the log show.
	MaxBytes int64
	// LeaseBucket is the key-value bucket whose lease names the one hub
	// that writes the chain; LeaseTTL is how long a lease outlives its
	// holder.
	LeaseBucket string
	LeaseTTL    time.Duration
	// BlockEntries caps the entries of one block; Linger is how long the
	// writer waits for more records before writing a partial block.
	BlockEntries int
	Linger       time.Duration
	// Signer signs the blocks this hub writes (the hub certificate's key);
	// zero on an insecure hub.
	Signer Signer
	// Trust checks the signatures of the blocks already in the stream
	// before the writer chains after them; nil on an insecure hub.
	Trust *Trust
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.LeaseBucket == "" {
		c.LeaseBucket = DefaultLeaseBucket
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.BlockEntries == 0 {
		c.BlockEntries = DefaultBlockEntries
	}
	if c.Linger == 0 {
		c.Linger = DefaultLinger
	}
}

// Open creates or updates the audit stream. An older ndxp's chain (one
// unsigned entry per record) is replaced: the new chain is rebuilt from
// the transaction records still stored.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, log *zap.Logger) (jetstream.Stream, error) {
	cfg.setDefaults()
	if s, err := js.Stream(ctx, cfg.Stream); err == nil && s.CachedInfo().Config.Description == oldDescription {
		log.Warn("the audit stream holds an older, unsigned chain; replacing it with signed blocks rebuilt from the transaction records", zap.String("stream", cfg.Stream))
		if err := js.DeleteStream(ctx, cfg.Stream); err != nil {
			return nil, fmt.Errorf("audit: replace the older stream %s: %w", cfg.Stream, err)
		}
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: description,
		Subjects:    []string{DefaultSubject},
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.Retention,
		Discard:     jetstream.DiscardNew,
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: open stream %s: %w", cfg.Stream, err)
	}
	return s, nil
}

// Chain writes the audit chain while this hub holds the writer's lease,
// and otherwise watches how far it reaches. Stop ends it.
type Chain struct {
	cfg    Config
	js     jetstream.JetStream
	stream jetstream.Stream
	tx     jetstream.Stream
	lease  jetstream.KeyValue
	hubID  string
	log    *zap.Logger
	m      *chainMetrics

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once

	// feed carries the records the hub's counter reads (Offer) to the
	// writer, so that each hub reads the stream once; writing says
	// whether a writer takes them.
	feed    chan fed
	writing atomic.Bool
}

// fed is a record as the counter read it.
type fed struct {
	seq uint64
	raw []byte
	rec *hubv1.TransactionRecord // nil: not decoded
}

// feedBuffer is how many offered records wait for the writer; past it
// they are dropped and the writer reads them from the stream instead.
const feedBuffer = 1 << 13

// Follow opens the audit stream and the lease bucket and starts the
// chain's loop: whichever hub holds the lease appends, in order, a block
// for the records of txStream not yet chained. hubID names this hub in
// the lease and the blocks.
func Follow(ctx context.Context, js jetstream.JetStream, cfg Config, txStream, hubID string, log *zap.Logger) (*Chain, error) {
	cfg.setDefaults()
	s, err := Open(ctx, js, cfg, log)
	if err != nil {
		return nil, err
	}
	tx, err := js.Stream(ctx, txStream)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", txStream, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.LeaseBucket,
		Description: "ndxp: the hub that writes the audit chain",
		TTL:         cfg.LeaseTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		History:     1,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: open lease bucket %s: %w", cfg.LeaseBucket, err)
	}
	c := &Chain{cfg: cfg, js: js, stream: s, tx: tx, lease: kv, hubID: hubID, log: log, m: newChainMetrics(), done: make(chan struct{}), feed: make(chan fed, feedBuffer)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run()
	return c, nil
}

// Stop stops the loop; the records not yet chained are chained by the
// next hub to hold the lease, which this hub releases.
func (c *Chain) Stop() {
	c.stop.Do(func() {
		c.cancel()
		<-c.done
	})
}

// Offer hands the record stored as raw at seq (rec: raw decoded, or nil
// if it was not) to the writer, if this hub writes the chain. It never
// blocks: a record the writer has no room for it reads from the stream.
// It is called by the record stream's one reader (the counter's follower),
// in stream order; rec must not be modified afterwards.
func (c *Chain) Offer(seq uint64, raw []byte, rec *hubv1.TransactionRecord) {
	if !c.writing.Load() {
		return
	}
	select {
	case c.feed <- fed{seq: seq, raw: raw, rec: rec}:
	default:
	}
}

// Chained is the last transaction sequence the chain covers, as this hub
// last saw it.
func (c *Chain) Chained() uint64 { return c.m.chained.Load() }

// leaseKey is the one key of the lease bucket.
const leaseKey = "writer"

func (c *Chain) run() {
	defer close(c.done)
	for wait := time.Duration(0); ; {
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = c.cfg.LeaseTTL / 3
		rev, err := c.lease.Create(c.ctx, leaseKey, []byte(c.hubID))
		if err != nil {
			if !errors.Is(err, jetstream.ErrKeyExists) && c.ctx.Err() == nil {
				c.log.Warn("audit: cannot take the writer's lease; retrying", zap.Error(err))
			}
			c.observe()
			continue
		}
		c.m.writer.Store(true)
		c.log.Info("audit: this hub writes the chain")
		err = c.write(rev)
		c.m.writer.Store(false)
		c.release()
		if err != nil && c.ctx.Err() == nil {
			c.log.Warn("audit: stopped writing the chain; retrying", zap.Error(err))
		}
	}
}

// release gives the lease up at once, so another hub need not wait for
// it to expire.
func (c *Chain) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if e, err := c.lease.Get(ctx, leaseKey); err == nil && string(e.Value()) == c.hubID {
		_ = c.lease.Delete(ctx, leaseKey, jetstream.LastRevision(e.Revision()))
	}
}

// observe reads how far the chain reaches, for the metrics of a hub that
// does not write it.
func (c *Chain) observe() {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if t, err := c.loadTail(ctx); err == nil {
		c.m.chained.Store(t.block.TxLast)
	}
}

// keepLease renews the lease until ctx ends; it cancels lost when the
// lease cannot be renewed (another hub may take it).
func (c *Chain) keepLease(ctx context.Context, rev uint64, lost context.CancelFunc) {
	defer lost()
	t := time.NewTicker(c.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		uctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseTTL/3)
		next, err := c.lease.Update(uctx, leaseKey, []byte(c.hubID), rev)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("audit: lost the writer's lease", zap.Error(err))
			}
			return
		}
		rev = next
	}
}

// tail is the last good block of the chain and where the stream ends.
type tail struct {
	block    Block  // zero for an empty chain
	storedAt uint64 // the block's stream sequence
	last     uint64 // the stream's last sequence (what the next append expects)
}

// loadTail finds the last block whose hash and signature hold, walking
// back over missing, unreadable or forged ones (which Verify reports).
func (c *Chain) loadTail(ctx context.Context) (tail, error) {
	info, err := c.stream.Info(ctx)
	if err != nil {
		return tail{}, fmt.Errorf("audit: stream info: %w", err)
	}
	t := tail{last: info.State.LastSeq}
	if info.State.Msgs == 0 {
		return t, nil
	}
	damaged := 0
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0; seq-- {
		m, err := c.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			damaged++
			continue
		}
		if err != nil {
			return tail{}, fmt.Errorf("audit: read block at %d: %w", seq, err)
		}
		var b Block
		if err := json.Unmarshal(m.Data, &b); err != nil || c.cfg.Trust.check(&b) != nil || b.covers() != nil {
			damaged++
			continue
		}
		t.block, t.storedAt = b, seq
		break
	}
	if damaged > 0 {
		c.m.damaged.Add(uint64(damaged))
		c.log.Warn("audit: the chain's tail is damaged (missing, unreadable or not validly signed blocks); chaining after the last good block; run ndxp audit verify",
			zap.Int("damaged", damaged), zap.Uint64("last_good_block", t.block.Seq), zap.Uint64("stored_at", t.storedAt))
	}
	return t, nil
}

// errLostRace: another writer appended to the stream first.
var errLostRace = errors.New("audit: another writer appended first")

// write appends blocks while the lease holds. Records come from Offer;
// those it did not get (before this hub took the lease, or dropped) it
// reads from the stream (fill). Every Linger it writes the open block, so
// the chain stays that close to the records, and, if nothing was offered
// since the last time, looks for records it was not offered.
func (c *Chain) write(rev uint64) error {
	ctx, lost := context.WithCancel(c.ctx)
	defer lost()
	go c.keepLease(ctx, rev, lost)
	t, err := c.loadTail(ctx)
	if err != nil {
		return err
	}
	c.m.chained.Store(t.block.TxLast)
	next := t.block.TxLast + 1
	w := &writer{c: c, t: t, b: c.open(t, next)}
	defer w.stopReader()
	c.writing.Store(true)
	defer c.writing.Store(false)
	tick := time.NewTicker(c.cfg.Linger)
	defer tick.Stop()
	offered := false
	for {
		select {
		case <-ctx.Done():
			c.flushOnStop(w)
			return nil
		case f := <-c.feed:
			if f.seq < w.next() {
				continue // already chained
			}
			if err := w.fill(ctx, f.seq-1); err != nil {
				return err
			}
			if err := w.add(ctx, f); err != nil {
				return err
			}
			offered = true
		case <-tick.C:
			if err := w.flush(ctx); err != nil {
				return err
			}
			if !offered {
				if err := w.catchUp(ctx); err != nil {
					return err
				}
			}
			offered = false
		}
	}
}

// flushOnStop writes what was read before the hub stops, briefly; the
// next writer chains it otherwise.
func (c *Chain) flushOnStop(w *writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.flush(ctx)
}

// open starts the block after t at transaction sequence next.
func (c *Chain) open(t tail, next uint64) *Block {
	return &Block{Seq: t.block.Seq + 1, TxFirst: next, Writer: c.hubID, Prev: t.block.Hash}
}

// writer builds and appends blocks; it is used by one goroutine.
type writer struct {
	c *Chain
	t tail
	b *Block
	// it reads the records the writer was not offered (fill); it is kept
	// between fills, so a writer that falls behind reads on instead of
	// creating a consumer per gap. itNext is the sequence it delivers
	// next, at least.
	it     jetstream.MessagesContext
	itNext uint64
}

// reader makes it ready to deliver w.next(), reusing it when it is at
// most a feed's length behind.
func (w *writer) reader(ctx context.Context) error {
	if w.it != nil && w.itNext <= w.next() && w.next()-w.itNext <= feedBuffer {
		return nil
	}
	w.stopReader()
	cons, err := w.c.js.OrderedConsumer(ctx, w.c.tx.CachedInfo().Config.Name, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: w.next(),
	})
	if err != nil {
		return fmt.Errorf("audit: read the records: %w", err)
	}
	if w.it, err = cons.Messages(jetstream.PullMaxMessages(txlog.ReadAhead)); err != nil {
		return fmt.Errorf("audit: read the records: %w", err)
	}
	w.itNext = w.next()
	return nil
}

func (w *writer) stopReader() {
	if w.it != nil {
		w.it.Stop()
		w.it = nil
	}
}

// next is the transaction sequence the open block expects.
func (w *writer) next() uint64 {
	if w.b.TxLast == 0 {
		return w.b.TxFirst
	}
	return w.b.TxLast + 1
}

// catchUp chains the records the stream holds that were not offered.
func (w *writer) catchUp(ctx context.Context) error {
	info, err := w.c.tx.Info(ctx)
	if err != nil {
		return fmt.Errorf("audit: record stream info: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	if err := w.fill(ctx, info.State.LastSeq); err != nil {
		return err
	}
	return w.flush(ctx)
}

// fillWait is how long fill waits for a record the stream said it holds.
const fillWait = 2 * time.Second

// fill chains the records from the next one up to and including seq,
// reading them from the stream.
func (w *writer) fill(ctx context.Context, seq uint64) error {
	if seq < w.next() {
		return nil
	}
	if err := w.reader(ctx); err != nil {
		return err
	}
	for w.next() <= seq {
		msg, err := w.it.Next(jetstream.NextMaxWait(fillWait))
		if errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			return nil // up to seq are gone (a purge): later records say so
		}
		if err != nil {
			return fmt.Errorf("audit: read the records: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return err
		}
		w.itNext = meta.Sequence.Stream + 1
		if meta.Sequence.Stream < w.next() {
			continue // chained from the feed meanwhile
		}
		if meta.Sequence.Stream > seq {
			// Records up to seq are gone from the stream: add writes
			// them down as absent when the next record comes.
			return w.add(ctx, fed{seq: meta.Sequence.Stream, raw: msg.Data()})
		}
		if err := w.add(ctx, fed{seq: meta.Sequence.Stream, raw: msg.Data()}); err != nil {
			return err
		}
	}
	return nil
}

// add chains the record f, writing down as absent the sequences before
// it that the stream no longer holds (an ordered consumer never skips a
// stored record).
func (w *writer) add(ctx context.Context, f fed) error {
	seq := f.seq
	next := w.next()
	if seq < next {
		return nil // already chained
	}
	if seq > next {
		w.b.Absent = append(w.b.Absent, Range{First: next, Last: seq - 1})
		w.c.m.absent.Add(seq - next)
		w.c.log.Warn("audit: transaction records were gone before they were chained; written down as absent",
			zap.Uint64("first", next), zap.Uint64("last", seq-1))
	}
	rec := f.rec
	if rec == nil {
		if r, err := txlog.Decode(f.raw); err == nil {
			rec = r
		}
	}
	w.b.Entries = append(w.b.Entries, NewEntry(seq, f.raw, rec))
	w.b.TxLast = seq
	if len(w.b.Entries) >= w.c.cfg.BlockEntries {
		return w.flush(ctx)
	}
	return nil
}

// flush appends the open block, if it holds anything, retrying until it
// is stored, the lease is lost or another writer appended first.
func (w *writer) flush(ctx context.Context) error {
	if w.b.TxLast == 0 {
		return nil
	}
	b := w.b
	b.Created = utc(time.Now())
	if err := w.c.cfg.Signer.seal(b); err != nil {
		return err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		ack, err := w.append(ctx, data)
		if err == nil {
			w.t = tail{block: *b, storedAt: ack.Sequence, last: ack.Sequence}
			w.c.m.chained.Store(b.TxLast)
			w.c.m.blocks.Add(1)
			w.b = w.c.open(w.t, b.TxLast+1)
			return nil
		}
		if errors.Is(err, errLostRace) || ctx.Err() != nil {
			return err
		}
		w.c.log.Warn("audit: block not written yet; retrying", zap.Uint64("block", b.Seq), zap.Error(err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (w *writer) append(ctx context.Context, data []byte) (*jetstream.PubAck, error) {
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m := nats.NewMsg(DefaultSubject)
	m.Data = data
	ack, err := w.c.js.PublishMsg(actx, m, jetstream.WithExpectLastSequence(w.t.last))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant ||
		strings.Contains(apiErr.Description, "wrong last sequence")) {
		return nil, errLostRace
	}
	return ack, err
}

// chainMetrics are the chain's progress as this hub sees it.
type chainMetrics struct {
	chained atomic.Uint64
	writer  atomic.Bool
	damaged atomic.Uint64
	absent  atomic.Uint64
	blocks  atomic.Uint64
}
