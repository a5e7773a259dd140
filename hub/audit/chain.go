package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/txlog"
)

// Defaults for Config.
const (
	DefaultStream   = "NDXP_AUDIT"
	DefaultSubject  = "ndxp.audit"
	DefaultMaxBytes = 2 << 30 // 2 GiB, about 3 million entries; with NDXP_TX within the embedded 8 GiB
)

// Config configures the audit stream. Zero values mean defaults.
type Config struct {
	// Stream is the JetStream stream name.
	Stream string
	// Replicas is the stream's replica count on a NATS cluster (default 1).
	Replicas int
	// Retention drops entries older than this; 0 keeps them until
	// MaxBytes. Verify then starts the chain at the oldest entry kept.
	Retention time.Duration
	// MaxBytes caps the stream's size; the oldest entries go first.
	MaxBytes int64
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
}

// Chain appends an entry for every transaction record; Stop ends it.
type Chain struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	log    *zap.Logger
	cc     jetstream.ConsumeContext
	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the consume callback, which runs one message at a time.
	last     uint64 // position of the last entry in the chain
	lastHash string
	lastTx   uint64
}

// Open creates or updates the audit stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.Stream, error) {
	cfg.setDefaults()
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "ndxp audit log: hash chain over the transaction records",
		Subjects:    []string{DefaultSubject},
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.Retention,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: open stream %s: %w", cfg.Stream, err)
	}
	return s, nil
}

// Follow opens the audit stream and appends, in order, an entry for every
// record of txStream not yet in the chain.
func Follow(ctx context.Context, js jetstream.JetStream, cfg Config, txStream string, log *zap.Logger) (*Chain, error) {
	s, err := Open(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	c := &Chain{js: js, stream: s, log: log}
	if err := c.loadTail(ctx); err != nil {
		return nil, err
	}
	occ := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if c.lastTx > 0 {
		occ = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: c.lastTx + 1}
	}
	cons, err := js.OrderedConsumer(ctx, txStream, occ)
	if err != nil {
		return nil, fmt.Errorf("audit: follow %s: %w", txStream, err)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if c.cc, err = cons.Consume(c.handle); err != nil {
		c.cancel()
		return nil, fmt.Errorf("audit: consume %s: %w", txStream, err)
	}
	return c, nil
}

// Stop stops appending; entries not yet written are written by the next
// hub to follow.
func (c *Chain) Stop() {
	c.cancel()
	c.cc.Stop()
}

// loadTail reads the last entry of the chain.
func (c *Chain) loadTail(ctx context.Context) error {
	info, err := c.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("audit: stream info: %w", err)
	}
	if info.State.Msgs == 0 {
		c.last = info.State.LastSeq
		return nil
	}
	return c.adopt(ctx, info.State.LastSeq)
}

// adopt makes the stored entry at seq the chain's tail.
func (c *Chain) adopt(ctx context.Context, seq uint64) error {
	m, err := c.stream.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("audit: read entry %d: %w", seq, err)
	}
	var e Entry
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return fmt.Errorf("audit: decode entry %d: %w", seq, err)
	}
	c.last, c.lastHash, c.lastTx = seq, e.Hash, e.TxSeq
	return nil
}

func (c *Chain) handle(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		c.log.Warn("record without metadata", zap.Error(err))
		return
	}
	txSeq := meta.Sequence.Stream
	for wait := 50 * time.Millisecond; c.ctx.Err() == nil && txSeq > c.lastTx; wait = min(2*wait, 5*time.Second) {
		err := c.append(txSeq, msg.Data())
		if err == nil || c.ctx.Err() != nil {
			return // written, or stopping: the next hub to follow writes it
		}
		c.log.Warn("audit entry not written yet; retrying", zap.Uint64("tx_seq", txSeq), zap.Error(err))
		select {
		case <-c.ctx.Done():
		case <-time.After(wait):
		}
	}
}

// append writes the entry of the record at txSeq at the next position; if
// another hub wrote that position first, it adopts the entries written
// since, up to txSeq.
func (c *Chain) append(txSeq uint64, raw []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	rec, err := txlog.Decode(raw)
	if err != nil {
		c.log.Warn("auditing an unreadable record by its hash only", zap.Uint64("tx_seq", txSeq), zap.Error(err))
	}
	e := NewEntry(c.last+1, txSeq, raw, rec, c.lastHash)
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	m := nats.NewMsg(DefaultSubject)
	m.Data = b
	_, err = c.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequence(c.last))
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		c.last, c.lastHash, c.lastTx = e.Seq, e.Hash, txSeq
		return nil
	case errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant):
		return c.catchUp(ctx, txSeq)
	}
	return err
}

// catchUp adopts entries written by other hubs until the chain covers
// txSeq or reaches the stream's end.
func (c *Chain) catchUp(ctx context.Context, txSeq uint64) error {
	for c.lastTx < txSeq {
		info, err := c.stream.Info(ctx)
		if err != nil {
			return err
		}
		if c.last >= info.State.LastSeq {
			return nil // our turn to append
		}
		if err := c.adopt(ctx, c.last+1); err != nil {
			return err
		}
	}
	return nil
}
