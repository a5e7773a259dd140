package txlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ndxp/ndxp/internal/streamread"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

const (
	// queryScan is how many stored records one page reads at most: a
	// page of a rare agency or service may then be short (or empty) but
	// carry Next, so that no call scans the whole stream.
	queryScan = 50_000
	// queryTimeout bounds a query whose context has no deadline.
	queryTimeout = time.Minute
)

// ErrIncomplete means the records could not all be read before the
// query's deadline (NATS stalled or unreachable); nothing partial is
// returned.
var ErrIncomplete = errors.New("txlog: the records could not all be read (NATS is slow or unreachable); try again")

// Query selects stored records. The window is on the records' received_at;
// the stream is read from From-Slack (or StartSeq) to To+Slack by storage
// time, since a record is stored after it is received (by at most the
// longest exchange) and NATS's clock may differ a little from the hub's.
type Query struct {
	// From and To bound received_at: From <= received_at < To. A zero From
	// reads from the stream's start; a zero To means no end.
	From, To time.Time
	// Agency keeps records where it is the consumer or the provider.
	Agency string
	// Service keeps records of that service code.
	Service string
	// StartSeq continues a query at this stream sequence (a page token).
	StartSeq uint64
	// Limit is the most records returned (at least 1).
	Limit int
	// Slack is how far storage time may lie outside the window.
	Slack time.Duration
	// ByBusinessTime applies From and To to business_time instead; the
	// stream is then read from its start (or StartSeq) to its end, as a
	// replayed day's records may be stored at any time.
	ByBusinessTime bool
}

// at is the time of rec the window applies to.
func (q Query) at(rec *hubv1.TransactionRecord) time.Time {
	if q.ByBusinessTime {
		return rec.GetBusinessTime().AsTime()
	}
	return rec.GetReceivedAt().AsTime()
}

// Page is one page of a query's result.
type Page struct {
	// Records are the matching records in stream order.
	Records []*hubv1.TransactionRecord
	// Next is the stream sequence to continue from; 0 on the last page.
	Next uint64
}

// Query reads one page of records: every stored record of the window
// from the start (or StartSeq) up to the stream's last sequence when the
// query starts, or an error wrapping ErrIncomplete; never fewer. Stalls
// and lost connections are waited out until ctx ends (a minute without a
// deadline). Agency and service are matched on the record's subject
// (ndxp.tx.<consumer>.<provider>.<service>), the window on each record.
func (l *Log) Query(ctx context.Context, q Query) (*Page, error) {
	q.Limit = max(q.Limit, 1)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, queryTimeout)
		defer cancel()
	}
	rng := streamread.Range{Stream: l.name, From: q.StartSeq}
	if q.StartSeq == 0 && !q.From.IsZero() && !q.ByBusinessTime {
		rng.Since = q.From.Add(-q.Slack)
	}
	var end time.Time // storage time after which nothing can match
	if !q.To.IsZero() && !q.ByBusinessTime {
		end = q.To.Add(q.Slack)
	}
	match := subjectMatcher(q.Agency, q.Service)
	r := streamread.New(l.js, rng)
	page := &Page{}
	for scanned := 0; ; scanned++ {
		m, err := r.Next(ctx)
		var gap *streamread.Gap
		switch {
		case errors.Is(err, io.EOF):
			return page, nil
		case errors.As(err, &gap):
			continue // expired or deleted records are not in any result
		case err != nil:
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
		if !end.IsZero() && m.Time.After(end) {
			return page, nil
		}
		if scanned == queryScan {
			page.Next = m.Sequence
			return page, nil
		}
		if !match(m.Subject) {
			continue
		}
		rec, err := Decode(m.Data)
		if err != nil {
			continue // an unreadable record matches nothing
		}
		at := q.at(rec)
		if at.Before(q.From) || (!q.To.IsZero() && !at.Before(q.To)) {
			continue
		}
		if len(page.Records) == q.Limit {
			page.Next = m.Sequence
			return page, nil
		}
		page.Records = append(page.Records, rec)
	}
}

// subjectMatcher matches the subjects of the records of agency (as the
// consumer or the provider) and service; empty matches any.
func subjectMatcher(agency, service string) func(subject string) bool {
	tok := wire.Token(agency)
	return func(subject string) bool {
		rest, ok := strings.CutPrefix(subject, wire.RecordPrefix+".")
		if !ok {
			return false
		}
		t := strings.Split(rest, ".")
		if len(t) != 3 {
			return false
		}
		return (agency == "" || t[0] == tok || t[1] == tok) && (service == "" || t[2] == service)
	}
}
