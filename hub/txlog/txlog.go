// Package txlog appends the record of every transaction to a JetStream
// stream. The stream is the source of truth for counting: a record is
// stored (acknowledged by JetStream) before the hub answers the client, and
// records carry the consumer and message id as Nats-Msg-Id, so a retried
// message id within the duplicate window is stored once.
package txlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultStream     = "NDXP_TX"
	DefaultMaxBytes   = 4 << 30 // 4 GiB, about 15 million records
	DefaultDuplicates = 10 * time.Minute
)

// Config configures the record stream. Zero values mean defaults.
type Config struct {
	// Stream is the JetStream stream name.
	Stream string
	// Replicas is the stream's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the stream's size; the oldest records go first.
	MaxBytes int64
	// MaxAge drops records older than this; 0 keeps them until MaxBytes.
	MaxAge time.Duration
	// Duplicates is how long a message id is remembered for de-duplication.
	Duplicates time.Duration
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
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
}

// Log is safe for concurrent use.
type Log struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
}

// Open creates or updates the stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	cfg.setDefaults()
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "ndxp transaction records",
		Subjects:    []string{wire.RecordPrefix + ".>"},
		// Queries read by direct get (package streamread): any replica
		// answers, no consumer is needed.
		AllowDirect: true,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.Duplicates,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("txlog: open stream %s: %w", cfg.Stream, err)
	}
	return &Log{js: js, stream: s, name: cfg.Stream}, nil
}

// Stream is the stream's name.
func (l *Log) Stream() string { return l.name }

// Append stores rec and waits for JetStream's acknowledgement. duplicate is
// true when a record with the same consumer, message id and outcome was
// already stored within the duplicate window (see RecordID); it is then
// not stored again.
func (l *Log) Append(ctx context.Context, rec *hubv1.TransactionRecord) (duplicate bool, err error) {
	b, err := proto.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("txlog: encode record: %w", err)
	}
	msg := nats.NewMsg(wire.RecordSubject(rec.GetConsumer(), rec.GetProvider(), rec.GetService()))
	msg.Data = b
	ack, err := l.js.PublishMsg(ctx, msg, jetstream.WithMsgID(RecordID(rec)))
	if err != nil {
		return false, fmt.Errorf("txlog: store record %s: %w", rec.GetMessageId(), err)
	}
	return ack.Duplicate, nil
}

// LastSequence is the sequence of the newest stored record (0 if none).
func (l *Log) LastSequence(ctx context.Context) (uint64, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("txlog: stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// DedupID is the de-duplication key of a consumer's message id.
func DedupID(consumer, messageID string) string { return consumer + "|" + messageID }

// RecordID is the de-duplication key of a record: the message id for a
// success, the message id and the code for a failure. A retry that ends
// as the first attempt did is stored once (a success whose answer was
// lost, or the same failure again), while a success after a failed
// attempt is stored too: both passed the hub, and a success the client
// saw is never hidden behind an earlier failure.
func RecordID(rec *hubv1.TransactionRecord) string {
	id := DedupID(rec.GetConsumer(), rec.GetMessageId())
	if rec.GetCode() != 0 {
		id += "|" + strconv.Itoa(int(rec.GetCode()))
	}
	return id
}

// Decode reads a stored record.
func Decode(data []byte) (*hubv1.TransactionRecord, error) {
	rec := &hubv1.TransactionRecord{}
	if err := proto.Unmarshal(data, rec); err != nil {
		return nil, errors.Join(errors.New("txlog: decode record"), err)
	}
	return rec, nil
}
