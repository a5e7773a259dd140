package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultRecordRetry is how long the hub keeps trying to store a record
// NATS does not acknowledge.
const DefaultRecordRetry = 2 * time.Minute

// recordTimeout bounds the wait for a record when the caller set no
// deadline, and the storing of a delivery's record.
const recordTimeout = 5 * time.Second

// closeWait is how long Close lets records still being retried finish.
const closeWait = 10 * time.Second

// ErrRecordPending: the exchange was carried (the provider answered) but
// its record is not stored yet because NATS does not acknowledge it; the
// hub keeps storing it in the background for Config.RecordRetry. The
// client is answered UNAVAILABLE, with this text, and should retry with
// the same message_id: the retry is carried again and its record is stored
// once (the same outcome under the same message id).
var ErrRecordPending = errors.New("hub: the exchange was carried but its record is not stored yet (record pending: NATS is slow or unreachable; the hub keeps storing it); retry with the same message_id")

// pending are the records being stored in the background.
type pending struct {
	ctx    context.Context // cancelled by Close after closeWait
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool // no new background work: Close is waiting
}

// start runs f in the background, or in the caller's goroutine once Close
// has begun (an exchange a hard-stopped gRPC server left running).
func (p *pending) start(f func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		f()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		f()
	}()
}

func newPending() *pending {
	p := &pending{}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// record stores a delivery's record, retrying for recordTimeout; a
// failure means the transaction may be uncounted.
func (h *Hub) record(tx *hubv1.TransactionRecord) error {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	dup, err := h.txlog.Store(ctx, tx)
	h.store.note(tx, err)
	if err != nil {
		h.log.Warn("transaction not recorded", zap.String("msg_id", tx.MessageId), zap.Error(err))
		return errors.Join(ErrNotRecorded, err)
	}
	if dup {
		h.log.Debug("retried message id counted once", zap.String("msg_id", tx.MessageId))
	}
	return nil
}

// recordExchange stores an exchange's record, trying until it is stored
// or Config.RecordRetry has passed, and waits for it while the caller can
// still be answered (until shortly before ctx's deadline) and NATS is
// connected. It returns nil once stored, or ErrRecordPending while the
// record is still being stored in the background.
func (h *Hub) recordExchange(ctx context.Context, tx *hubv1.TransactionRecord) error {
	lost := h.link.Context() // taken first: done already while NATS is down
	stored := make(chan error, 1)
	h.pending.start(func() { stored <- h.storeRecord(tx) })
	wait := time.NewTimer(answerWithin(ctx))
	defer wait.Stop()
	select {
	case err := <-stored:
		if err != nil {
			return errors.Join(ErrNotRecorded, err)
		}
		return nil
	case <-wait.C:
	case <-lost.Done():
	}
	if tx.Code == 0 { // a failed exchange answers its failure anyway
		h.log.Warn("transaction carried but not recorded yet: answered UNAVAILABLE, still storing it", zap.String("msg_id", tx.MessageId), zap.String("consumer", tx.Consumer))
	}
	return ErrRecordPending
}

// storeRecord stores tx for up to Config.RecordRetry (less if the hub is
// closing) and logs the outcome the caller may no longer wait for.
func (h *Hub) storeRecord(tx *hubv1.TransactionRecord) error {
	ctx, cancel := context.WithTimeout(h.pending.ctx, h.cfg.RecordRetry)
	defer cancel()
	start := time.Now()
	dup, err := h.txlog.Store(ctx, tx)
	h.store.note(tx, err)
	switch {
	case err != nil:
		h.log.Error("transaction not recorded: gave up; it is not counted", zap.String("msg_id", tx.MessageId),
			zap.String("consumer", tx.Consumer), zap.Duration("tried", time.Since(start)), zap.Error(err))
	case time.Since(start) > time.Second:
		h.log.Info("transaction recorded after a delay", zap.String("msg_id", tx.MessageId), zap.Duration("took", time.Since(start)))
	case dup:
		h.log.Debug("retried message id counted once", zap.String("msg_id", tx.MessageId))
	}
	return err
}

// answerWithin is how long an exchange may wait for its record: until a
// little before the caller's deadline, so that the caller receives the
// answer (UNAVAILABLE, record pending) rather than its own timeout.
func answerWithin(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return recordTimeout
	}
	left := time.Until(d)
	return left - min(left/10, time.Second)
}

// stopRecording lets the records still being stored finish for up to
// closeWait, then gives them up (each is logged as not recorded).
func (h *Hub) stopRecording() {
	h.pending.mu.Lock()
	h.pending.closed = true
	h.pending.mu.Unlock()
	done := make(chan struct{})
	go func() { h.pending.wg.Wait(); close(done) }()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		h.pending.cancel()
		<-done
	}
	h.pending.cancel()
}
