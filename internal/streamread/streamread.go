// Package streamread reads a range of a JetStream stream completely and in
// order, or fails: it never ends early without saying so. A stalled or
// restarting server, a lost connection or a replica that lags behind are
// waited out (each request is bounded and asked again from where the read
// stopped) until the caller's context ends; sequences missing from the
// stream (deleted, purged, expired) are reported as gaps for the caller to
// judge.
//
// It reads with batched direct gets ($JS.API.DIRECT.GET, nats-server 2.11
// and later), which need no consumer and are answered by any replica of
// the stream, so the stream must have AllowDirect set.
package streamread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Defaults for Range.
const (
	DefaultBatch    = 1000
	DefaultMaxBytes = 1 << 20
	DefaultAttempt  = 2 * time.Second
)

// Errors of a read.
var (
	// ErrIncomplete means the context ended before the read reached the end
	// of its range; the error also wraps the context's error and the last
	// failure seen.
	ErrIncomplete = errors.New("streamread: the stream could not be read to the end")
	// ErrNoDirect means the stream does not allow direct gets.
	ErrNoDirect = errors.New("streamread: the stream does not allow direct get (set AllowDirect on it)")
)

// Range is what to read.
type Range struct {
	// Stream is the stream's name.
	Stream string
	// From is the first sequence to read (default 1). Sequences below the
	// stream's first one are reported as a gap.
	From uint64
	// Since, when set and From is 0, starts at the first message stored
	// at or after it (no gap is reported before it).
	Since time.Time
	// To is the last sequence to read; 0 means the stream's last sequence
	// when the read starts (messages stored later are not read).
	To uint64
	// Batch is how many messages one request asks for (default 1000) and
	// MaxBytes about how many bytes (default 1 MiB).
	Batch    int
	MaxBytes int
	// Attempt bounds one request (default 2 s): a request that stalls is
	// asked again from the last message received.
	Attempt time.Duration
}

// Gap is a run of sequences, First to Last, that the stream no longer
// holds (deleted, purged or expired). Reader.Next returns it as an error
// before the message that follows it.
type Gap struct {
	First, Last uint64
}

// Error implements error.
func (g *Gap) Error() string {
	return fmt.Sprintf("streamread: sequences %d to %d are not in the stream", g.First, g.Last)
}

// Reader reads one Range. It is not safe for concurrent use.
type Reader struct {
	js      jetstream.JetStream
	rng     Range
	started bool
	pos     uint64 // next sequence expected; 0 until located by Since
	end     uint64
	buf     []*jetstream.RawStreamMsg
	gap     *Gap // to return before buf[0]
	lastErr error
	backoff time.Duration
}

// New returns a Reader of rng on js. Nothing is read until Next.
func New(js jetstream.JetStream, rng Range) *Reader {
	if rng.Batch <= 0 {
		rng.Batch = DefaultBatch
	}
	if rng.MaxBytes <= 0 {
		rng.MaxBytes = DefaultMaxBytes
	}
	if rng.Attempt <= 0 {
		rng.Attempt = DefaultAttempt
	}
	if rng.From == 0 && rng.Since.IsZero() {
		rng.From = 1
	}
	return &Reader{js: js, rng: rng, pos: rng.From}
}

// End is the last sequence the read covers; it is known after the first
// call to Next (0 for an empty stream).
func (r *Reader) End() uint64 { return r.end }

// Next returns the next message in sequence order. It returns io.EOF after
// the last message of the range, a *Gap when sequences are missing before
// the next message (the following call returns that message), ErrNoDirect,
// or an error wrapping ErrIncomplete when ctx ends first. Stalls, timeouts,
// lost connections and lagging replicas are retried until then, so ctx
// should carry a deadline.
func (r *Reader) Next(ctx context.Context) (*jetstream.RawStreamMsg, error) {
	if !r.started {
		if err := r.start(ctx); err != nil {
			return nil, err
		}
		r.started = true
	}
	for {
		if g := r.gap; g != nil {
			r.gap = nil
			return nil, g
		}
		if len(r.buf) > 0 {
			m := r.buf[0]
			r.buf = r.buf[1:]
			return m, nil
		}
		if r.end == 0 || (r.pos > r.end) {
			return nil, io.EOF
		}
		if err := r.fill(ctx); err != nil {
			return nil, err
		}
	}
}

// start learns the end of the range and checks the stream allows direct
// gets, waiting out failures until ctx ends.
func (r *Reader) start(ctx context.Context) error {
	for {
		info, err := r.info(ctx, false)
		if err == nil {
			if !info.Config.AllowDirect {
				return fmt.Errorf("%w: %s", ErrNoDirect, r.rng.Stream)
			}
			r.end = r.rng.To
			if r.end == 0 {
				r.end = info.State.LastSeq
			}
			if r.pos == 0 && (info.State.Msgs == 0 || info.State.LastTime.Before(r.rng.Since)) {
				r.end = 0 // nothing stored at or after Since
			}
			return nil
		}
		if err := r.wait(ctx, err); err != nil {
			return err
		}
	}
}

func (r *Reader) info(ctx context.Context, deleted bool) (*jetstream.StreamInfo, error) {
	actx, cancel := context.WithTimeout(ctx, r.rng.Attempt)
	defer cancel()
	s, err := r.js.Stream(actx, r.rng.Stream)
	if err != nil {
		return nil, err
	}
	if deleted {
		return s.Info(actx, jetstream.WithDeletedDetails(true))
	}
	return s.CachedInfo(), nil
}

// fill asks for the next batch and buffers what arrives; a request that
// brings nothing is waited out and asked again.
func (r *Reader) fill(ctx context.Context) error {
	got, err := r.request(ctx)
	if got > 0 {
		r.backoff = 0
		return nil
	}
	if errors.Is(err, jetstreamext.ErrNoMessages) {
		// Nothing from pos on: the replica that answered lags behind, or
		// the rest of the range is gone.
		if done, ierr := r.tailGone(ctx); ierr != nil || done {
			return ierr
		}
	}
	if err == nil {
		err = errors.New("no answer in time")
	}
	return r.wait(ctx, err)
}

// request makes one batched direct get from pos and buffers the messages
// of the range; it returns how many arrived.
func (r *Reader) request(ctx context.Context) (int, error) {
	actx, cancel := context.WithTimeout(ctx, r.rng.Attempt)
	defer cancel()
	opts := []jetstreamext.GetBatchOpt{jetstreamext.GetBatchMaxBytes(r.rng.MaxBytes)}
	if r.pos == 0 {
		opts = append(opts, jetstreamext.GetBatchStartTime(r.rng.Since))
	} else {
		opts = append(opts, jetstreamext.GetBatchSeq(r.pos))
	}
	batch := r.rng.Batch
	if r.pos > 0 {
		batch = int(min(uint64(batch), r.end-r.pos+1))
	}
	msgs, err := jetstreamext.GetBatch(actx, r.js, r.rng.Stream, batch, opts...)
	if err != nil {
		return 0, err
	}
	n := 0
	for m, err := range msgs {
		if err != nil {
			return n, err
		}
		if r.pos > 0 && m.Sequence != r.pos {
			if n > 0 {
				break // a gap after buffered messages: reported by the next fill
			}
			// Sequences pos to here are missing: the replica steps over
			// deleted messages.
			r.gap = &Gap{First: r.pos, Last: min(m.Sequence-1, r.end)}
		}
		if m.Sequence > r.end {
			r.pos = r.end + 1
			return n + 1, nil // only the gap at the tail was left
		}
		r.buf = append(r.buf, m)
		r.pos = m.Sequence + 1
		n++
		if r.pos > r.end {
			break
		}
	}
	return n, nil
}

// tailGone reports whether every sequence from pos to the end is missing
// from the stream (then it records that gap and ends the read), asking the
// stream leader, whose view is current.
func (r *Reader) tailGone(ctx context.Context) (bool, error) {
	info, err := r.info(ctx, true)
	if err != nil {
		return false, nil // asked again with the next attempt
	}
	if r.pos == 0 {
		// Located by time: nothing at or after Since (Since is past the
		// last message, or everything after it is gone).
		if info.State.LastTime.Before(r.rng.Since) || info.State.Msgs == 0 {
			r.end = 0
			return true, nil
		}
		return false, nil
	}
	deleted := make(map[uint64]bool, len(info.State.Deleted))
	for _, s := range info.State.Deleted {
		deleted[s] = true
	}
	for s := r.pos; s <= r.end; s++ {
		if s >= info.State.FirstSeq && s <= info.State.LastSeq && !deleted[s] {
			return false, nil // still stored: the replica lags
		}
	}
	r.gap = &Gap{First: r.pos, Last: r.end}
	r.pos = r.end + 1
	return true, nil
}

// wait records err and backs off before the next attempt, or gives up
// when ctx ends.
func (r *Reader) wait(ctx context.Context, err error) error {
	r.lastErr = err
	r.backoff = min(max(2*r.backoff, 50*time.Millisecond), time.Second)
	t := time.NewTimer(r.backoff)
	defer t.Stop()
	select {
	case <-ctx.Done():
		at := r.pos
		return fmt.Errorf("%w: %s stopped at sequence %d of %d: %w (last failure: %w)", ErrIncomplete, r.rng.Stream, at, r.end, ctx.Err(), r.lastErr)
	case <-t.C:
		return nil
	}
}

// Read calls fn with every message of rng in order. It stops at the first
// error: fn's, a *Gap, ErrNoDirect, or ErrIncomplete when ctx ends first.
// Use a Reader to read past gaps.
func Read(ctx context.Context, js jetstream.JetStream, rng Range, fn func(*jetstream.RawStreamMsg) error) error {
	r := New(js, rng)
	for {
		m, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}
