package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrBroken: the chain does not hold at some entry.
var ErrBroken = errors.New("audit: chain broken")

// BreakError names the first entry at which the chain does not hold.
type BreakError struct {
	// Seq is the broken entry's position in the chain as it claims it,
	// StoredAt its sequence in the audit stream, TxSeq the transaction it
	// claims to record.
	Seq, StoredAt, TxSeq uint64
	// MessageID is the transaction's message id, as the entry claims.
	MessageID string
	// Reason says what does not hold.
	Reason string
}

// Error implements error.
func (e *BreakError) Error() string {
	return fmt.Sprintf("audit: chain broken at record %d (stored at %d; transaction %d, message id %q): %s", e.Seq, e.StoredAt, e.TxSeq, e.MessageID, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBroken) true.
func (e *BreakError) Unwrap() error { return ErrBroken }

// Verifier checks entries one after the other. The zero value is ready;
// the first entry anchors the chain (earlier ones may have expired).
type Verifier struct {
	prev  *Entry
	count int
	moved error
}

// Add checks e, found at stream sequence seq, against its own hash and its
// predecessor; it returns a *BreakError at the first break. An entry
// stored at another sequence than the position it claims (the stream was
// rewritten) is reported by Finish, so that an edited entry is named
// before the rewrite that hides it.
func (v *Verifier) Add(seq uint64, e Entry) error {
	brk := func(format string, args ...any) error {
		return &BreakError{Seq: e.Seq, StoredAt: seq, TxSeq: e.TxSeq, MessageID: e.MessageID, Reason: fmt.Sprintf(format, args...)}
	}
	if h := e.ComputeHash(); h != e.Hash {
		return brk("its content does not match its hash (the record was edited)")
	}
	if v.prev != nil {
		switch {
		case e.Prev != v.prev.Hash:
			return brk("it does not link to record %d before it (that record was altered, or records were removed or inserted)", v.prev.Seq)
		case e.Seq != v.prev.Seq+1:
			return brk("it claims position %d after position %d (records were removed or reordered)", e.Seq, v.prev.Seq)
		case e.TxSeq <= v.prev.TxSeq:
			return brk("transaction %d does not follow transaction %d", e.TxSeq, v.prev.TxSeq)
		}
	}
	if e.Seq != seq && v.moved == nil {
		v.moved = brk("it claims position %d but is stored at %d (the audit stream was rewritten)", e.Seq, seq)
	}
	v.prev = &e
	v.count++
	return nil
}

// Finish reports a rewrite found by Add, once every entry was added.
func (v *Verifier) Finish() error { return v.moved }

// Count is how many entries passed.
func (v *Verifier) Count() int { return v.count }

// Last is the last entry that passed, if any.
func (v *Verifier) Last() (Entry, bool) {
	if v.prev == nil {
		return Entry{}, false
	}
	return *v.prev, true
}

// Each calls fn with every entry of the audit stream stored up to now, in
// order, with its stream sequence, until fn returns an error. An entry
// that is not JSON is passed as the zero Entry with its stream sequence
// and decodeErr set.
func Each(ctx context.Context, js jetstream.JetStream, stream string, fn func(seq uint64, e Entry, raw []byte, decodeErr error) error) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("audit: stream info: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("audit: read %s: %w", stream, err)
	}
	defer func() {
		// Ordered consumers are ephemeral; remove this one now rather than
		// when the server notices it is idle.
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.DeleteConsumer(dctx, cons.CachedInfo().Name)
	}()
	for {
		batch, err := cons.Fetch(512, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("audit: read %s: %w", stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			var e Entry
			derr := json.Unmarshal(m.Data(), &e)
			if err := fn(meta.Sequence.Stream, e, m.Data(), derr); err != nil {
				return err
			}
			if meta.Sequence.Stream >= last {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("audit: read %s: %w", stream, err)
		}
		if n == 0 {
			return nil // the end was removed
		}
	}
}

// Verify checks the whole chain stored in stream and returns how many
// entries hold; the error is a *BreakError naming the first break.
func Verify(ctx context.Context, js jetstream.JetStream, stream string) (int, error) {
	var v Verifier
	err := Each(ctx, js, stream, func(seq uint64, e Entry, _ []byte, derr error) error {
		if derr != nil {
			return &BreakError{Seq: seq, StoredAt: seq, Reason: "it is not a readable entry: " + derr.Error()}
		}
		return v.Add(seq, e)
	})
	if err == nil {
		err = v.Finish()
	}
	return v.Count(), err
}

// VerifyRecords checks the chain like Verify and, for every entry whose
// transaction record is still in txStream, that the record's hash matches:
// it detects an edited transaction record (and so edited counters) too.
// Records already dropped by txStream's retention are skipped; missing is
// how many.
func VerifyRecords(ctx context.Context, js jetstream.JetStream, stream, txStream string) (n, missing int, err error) {
	tx, err := js.Stream(ctx, txStream)
	if err != nil {
		return 0, 0, fmt.Errorf("audit: stream %s: %w", txStream, err)
	}
	var v Verifier
	err = Each(ctx, js, stream, func(seq uint64, e Entry, _ []byte, derr error) error {
		if derr != nil {
			return &BreakError{Seq: seq, StoredAt: seq, Reason: "it is not a readable entry: " + derr.Error()}
		}
		if err := v.Add(seq, e); err != nil {
			return err
		}
		m, err := tx.GetMsg(ctx, e.TxSeq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			missing++
			return nil
		}
		if err != nil {
			return fmt.Errorf("audit: read transaction record %d: %w", e.TxSeq, err)
		}
		if sum(m.Data) != e.RecordHash {
			return &BreakError{Seq: e.Seq, StoredAt: seq, TxSeq: e.TxSeq, MessageID: e.MessageID,
				Reason: fmt.Sprintf("transaction record %d in %s does not match the hash the audit log holds (the record was edited)", e.TxSeq, txStream)}
		}
		return nil
	})
	if err == nil {
		err = v.Finish()
	}
	return v.Count(), missing, err
}
