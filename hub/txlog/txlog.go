// Package txlog appends the record of every transaction to a JetStream
// stream. The stream is the source of truth for counting: a record is
// stored (acknowledged by JetStream) before the hub answers the client, and
// records carry the consumer, the message id, a fingerprint of the request
// and the outcome as Nats-Msg-Id (RecordID), so a retry of the same request
// within the duplicate window is stored once while two different requests
// never collide; a copy stored after the broker's window is not counted
// twice either (package counter). The stream never discards records by volume: when it is
// full, Append fails with ErrFull (only MaxAge removes old records).
package txlog

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultStream   = "NDXP_TX"
	DefaultMaxBytes = 4 << 30 // 4 GiB, about 15 million records
	// DefaultDuplicates is the broker's window: it keeps a quick retry
	// (a lost ack, the hub's own store retries) from being stored twice.
	// Its memory grows with the ids seen in it (about 175 bytes each,
	// 130 MB for 30 s at 25,000 a second), so it is short: a later copy is
	// stored but not counted (counter.DefaultDedupRecords).
	DefaultDuplicates = 30 * time.Second
)

// ReadAhead is how many records a reader of the stream (the counter's
// follower, the audit writer, the verifier) asks the server for at once:
// about 3 MB of records. Under full load a reader's goroutines wait their
// turn among a thousand exchanges, and each turn must carry many records,
// not the client's default 500, or the reader falls minutes behind.
const ReadAhead = 8192

// Config configures the record stream. Zero values mean defaults.
type Config struct {
	// Stream is the JetStream stream name.
	Stream string
	// Replicas is the stream's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the stream's size. A full stream refuses new records
	// (Append returns ErrFull); it never drops old ones to make room.
	MaxBytes int64
	// MaxAge drops records older than this (the retention period); 0
	// keeps them for ever, and the stream then fills up.
	MaxAge time.Duration
	// Duplicates is how long the broker remembers a message id, so that a
	// record stored again within it is not stored twice (the counter
	// de-duplicates further back: counter.Config.DedupRecords).
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
	pub    jetstream.JetStream // publishes records asynchronously (see Append)
	stream jetstream.Stream
	name   string
}

// maxPending bounds the records published and not yet acknowledged: far
// more than the exchanges a hub has under way (each waits for its record).
const maxPending = 1 << 16

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
		// Evidence is never evicted by volume: a flood must not push
		// earlier records out. A full stream refuses records instead.
		Discard: jetstream.DiscardNew,
	})
	if err != nil {
		return nil, fmt.Errorf("txlog: open stream %s: %w", cfg.Stream, err)
	}
	pub, err := jetstream.New(js.Conn(), jetstream.WithPublishAsyncMaxPending(maxPending), jetstream.WithPublishAsyncTimeout(storeAttempt))
	if err != nil {
		return nil, fmt.Errorf("txlog: publisher: %w", err)
	}
	return &Log{js: js, pub: pub, stream: s, name: cfg.Stream}, nil
}

// ErrFull: the stream holds MaxBytes of records and takes no more until
// records older than MaxAge expire.
var ErrFull = errors.New("txlog: the record stream is full")

// jsStoreFailed is JetStream's error code for a message the stream did not
// store, which a DiscardNew stream returns when it is full.
const jsStoreFailed jetstream.ErrorCode = 10077

// Stream is the stream's name.
func (l *Log) Stream() string { return l.name }

// Append stores rec and waits for JetStream's acknowledgement. duplicate is
// true when a record with the same consumer, message id and outcome was
// already stored within the duplicate window (see RecordID); it is then
// not stored again.
//
// Records are published asynchronously and each caller waits for its own
// acknowledgement: the exchanges under way share the connection's writes
// and the server's ack stream instead of each making a request-reply
// round trip (measured in docs/performance.md). A caller whose ctx ends
// first leaves its publish to be acknowledged or to time out (after
// storeAttempt); its retry carries the same Nats-Msg-Id.
func (l *Log) Append(ctx context.Context, rec *hubv1.TransactionRecord) (duplicate bool, err error) {
	b, err := proto.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("txlog: encode record: %w", err)
	}
	msg := nats.NewMsg(wire.RecordSubject(rec.GetConsumer(), rec.GetProvider(), rec.GetService()))
	msg.Data = b
	fail := func(err error) (bool, error) {
		if full(err) {
			err = errors.Join(ErrFull, err)
		}
		return false, fmt.Errorf("txlog: store record %s: %w", rec.GetMessageId(), err)
	}
	fut, err := l.pub.PublishMsgAsync(msg, jetstream.WithMsgID(RecordID(rec)))
	if err != nil {
		return fail(err)
	}
	select {
	case ack := <-fut.Ok():
		return ack.Duplicate, nil
	case err := <-fut.Err():
		return fail(err)
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

func full(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsStoreFailed &&
		(strings.Contains(apiErr.Description, "maximum bytes") || strings.Contains(apiErr.Description, "maximum messages"))
}

// Usage is how full the stream is.
type Usage struct {
	// Bytes is the size of the records stored.
	Bytes uint64
	// MaxBytes is the stream's limit (0: none).
	MaxBytes int64
}

// Usage reads the stream's size and limit from the server.
func (l *Log) Usage(ctx context.Context) (Usage, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return Usage{}, fmt.Errorf("txlog: stream info: %w", err)
	}
	return Usage{Bytes: info.State.Bytes, MaxBytes: info.Config.MaxBytes}, nil
}

// StoredSize estimates the bytes rec takes in the stream: its encoding,
// subject and de-duplication header, and the store's per-message overhead.
func StoredSize(rec *hubv1.TransactionRecord) int {
	// RecordID's length without hashing: consumer|message id|32 hex
	// digits, and |code (at most 3 digits here).
	id := len(rec.GetConsumer()) + len(rec.GetMessageId()) + 2 + 32 + 4
	return proto.Size(rec) + len(wire.RecordSubject(rec.GetConsumer(), rec.GetProvider(), rec.GetService())) + id + 64
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

// RecordID is the de-duplication key of a record: the consumer, the
// message id and the request's fingerprint (RequestFingerprint, 128 bits
// here, so that no agency can craft a collision) for a success, and the
// code too for a failure. A retry of the same request that ends as the
// first attempt did is stored once (a success whose answer was lost, or
// the same failure again), while a success after a failed attempt is
// stored too (a success the client saw is never hidden behind an earlier
// failure), and so is a different request under the same message id (the
// hub refuses it, but two hubs may both serve it before either has read
// the other's record).
func RecordID(rec *hubv1.TransactionRecord) string {
	fp := requestDigest(rec)
	id := DedupID(rec.GetConsumer(), rec.GetMessageId()) + "|" + hex.EncodeToString(fp[:16])
	if rec.GetCode() != 0 {
		id += "|" + strconv.Itoa(int(rec.GetCode()))
	}
	return id
}

// RequestFingerprint identifies the request a record is of: its provider,
// service, payload digest (request_hash), purpose and user id. Two records
// of one message id with different fingerprints are of different
// requests. 64 bits: for an index of message ids, where a collision only
// lets one reuse of an id go unrefused (it is still recorded).
func RequestFingerprint(rec *hubv1.TransactionRecord) uint64 {
	fp := requestDigest(rec)
	return binary.BigEndian.Uint64(fp[:8])
}

func requestDigest(rec *hubv1.TransactionRecord) [sha256.Size]byte {
	h := sha256.New()
	for _, s := range []string{rec.GetProvider(), rec.GetService(), rec.GetPurpose(), rec.GetUserId()} {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	_, _ = h.Write(rec.GetRequestHash())
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// Decode reads a stored record.
func Decode(data []byte) (*hubv1.TransactionRecord, error) {
	rec := &hubv1.TransactionRecord{}
	if err := proto.Unmarshal(data, rec); err != nil {
		return nil, errors.Join(errors.New("txlog: decode record"), err)
	}
	return rec, nil
}
