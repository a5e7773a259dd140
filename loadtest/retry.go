package loadtest

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Retries of an exchange whose record is pending.
const (
	// pendingAttempts is how many times a transaction is sent at most
	// while the hub answers that its record is pending.
	pendingAttempts = 5
	// pendingBackoff is the wait before the first retry; it doubles.
	pendingBackoff = 500 * time.Millisecond
	// recordPendingMark is in the message of the hub's ErrRecordPending:
	// the exchange was carried, its (successful) record is not stored yet
	// and the hub keeps storing it; a retry with the same message id is
	// counted once with it.
	recordPendingMark = "record pending"
)

// recordPending reports whether an answer is the hub's "record pending".
func recordPending(code codes.Code, msg string) bool {
	return code == codes.Unavailable && strings.Contains(msg, recordPendingMark)
}

// exchangeUntilRecorded sends req, and again with the same message id
// while the hub answers that its record is pending (at most
// pendingAttempts in all, with back-off). It returns the last answer's
// code, whether that answer still was "record pending", and how many
// retries it took.
func (r *runner) exchangeUntilRecorded(client hubv1.ExchangeServiceClient, req *hubv1.ExchangeRequest) (code codes.Code, pending bool, retries int) {
	backoff := pendingBackoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		_, err := client.Exchange(ctx, req)
		cancel()
		st := status.Convert(err)
		if !recordPending(st.Code(), st.Message()) {
			return st.Code(), false, attempt - 1
		}
		if attempt == pendingAttempts {
			return st.Code(), true, attempt - 1
		}
		r.log.Debug("record pending: retrying with the same message id")
		time.Sleep(backoff)
		backoff *= 2
	}
}
