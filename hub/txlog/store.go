package txlog

import (
	"context"
	"time"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Retry pacing of Store.
const (
	storeAttempt    = 5 * time.Second // one publish's wait for its ack
	storeBackoffMin = 100 * time.Millisecond
	storeBackoffMax = 2 * time.Second
)

// Store appends rec like Append, trying again after a failure (a timeout,
// a lost connection, a stream without a leader) with back-off until
// JetStream acknowledges it or ctx ends; it returns the last failure
// then. Every attempt carries the same Nats-Msg-Id, so an attempt whose
// ack was lost and its retry are stored once (the duplicate window is far
// longer than any retry).
func (l *Log) Store(ctx context.Context, rec *hubv1.TransactionRecord) (duplicate bool, err error) {
	backoff := storeBackoffMin
	for {
		// Each attempt ends after storeAttempt without an ack: the
		// publisher's own timeout (see Open), no timer of ours.
		duplicate, err = l.Append(ctx, rec)
		if err == nil {
			return duplicate, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, err
		case <-t.C:
		}
		backoff = min(2*backoff, storeBackoffMax)
	}
}
