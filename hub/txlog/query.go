package txlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// queryBatch is how many records one fetch of a query reads.
const queryBatch = 256

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

// Query reads one page of records. Agency and service select the records
// by subject (ndxp.tx.<consumer>.<provider>.<service>), so the server
// filters them; the window is checked on each record.
func (l *Log) Query(ctx context.Context, q Query) (*Page, error) {
	q.Limit = max(q.Limit, 1)
	var srcs []*source
	defer func() {
		for _, s := range srcs {
			s.close()
		}
	}()
	for _, filter := range filters(q.Agency, q.Service) {
		s, err := l.open(ctx, q, filter)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	page := &Page{}
	for {
		seq, data, err := next(ctx, srcs)
		if err != nil || seq == 0 {
			return page, err
		}
		rec, err := Decode(data)
		if err != nil {
			continue // an unreadable record matches nothing
		}
		at := q.at(rec)
		if at.Before(q.From) || (!q.To.IsZero() && !at.Before(q.To)) {
			continue
		}
		if len(page.Records) == q.Limit {
			page.Next = seq
			return page, nil
		}
		page.Records = append(page.Records, rec)
	}
}

// filters are the subject filters of one consumer each. An agency needs
// two consumers, as consumer and as provider, because one consumer's
// filters may not overlap (ndxp.tx.A.A.s matches both).
func filters(agency, service string) []string {
	svc := "*"
	if service != "" {
		svc = service
	}
	if agency == "" {
		return []string{wire.RecordPrefix + ".*.*." + svc}
	}
	tok := wire.Token(agency)
	return []string{wire.RecordPrefix + "." + tok + ".*." + svc, wire.RecordPrefix + ".*." + tok + "." + svc}
}

// next pops the record with the lowest sequence across srcs (a record
// several sources hold is popped from each); seq 0 means none is left.
func next(ctx context.Context, srcs []*source) (uint64, []byte, error) {
	var best *source
	for _, s := range srcs {
		if err := s.fill(ctx); err != nil {
			return 0, nil, err
		}
		if len(s.buf) > 0 && (best == nil || s.buf[0].seq < best.buf[0].seq) {
			best = s
		}
	}
	if best == nil {
		return 0, nil, nil
	}
	head := best.buf[0]
	for _, s := range srcs {
		if len(s.buf) > 0 && s.buf[0].seq == head.seq {
			s.buf = s.buf[1:]
		}
	}
	return head.seq, head.data, nil
}

type stored struct {
	seq  uint64
	data []byte
}

// source reads one filter's records through an ephemeral pull consumer
// without acks, starting by time or sequence and deleted when the query
// ends. (An ordered consumer would be re-created on every fetch; a direct
// get per record would cost a round trip each.)
type source struct {
	log  *Log
	cons jetstream.Consumer
	end  time.Time // storage time after which nothing can match
	buf  []stored
	done bool
}

func (l *Log) open(ctx context.Context, q Query, filter string) (*source, error) {
	cfg := jetstream.ConsumerConfig{
		AckPolicy:         jetstream.AckNonePolicy,
		FilterSubject:     filter,
		InactiveThreshold: time.Minute,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
	}
	switch {
	case q.StartSeq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, q.StartSeq
	case !q.From.IsZero() && !q.ByBusinessTime:
		start := q.From.Add(-q.Slack)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := l.stream.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("txlog: query %s: %w", filter, err)
	}
	s := &source{log: l, cons: cons}
	if !q.To.IsZero() && !q.ByBusinessTime {
		s.end = q.To.Add(q.Slack)
	}
	s.done = cons.CachedInfo().NumPending == 0
	return s, nil
}

// fill fetches the next batch when the buffer is empty.
func (s *source) fill(ctx context.Context) error {
	if len(s.buf) > 0 || s.done {
		return ctx.Err()
	}
	batch, err := s.cons.FetchNoWait(queryBatch)
	if err != nil {
		return fmt.Errorf("txlog: query: %w", err)
	}
	var pending uint64
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		if err != nil {
			continue
		}
		if !s.end.IsZero() && meta.Timestamp.After(s.end) {
			s.done = true
			break
		}
		s.buf = append(s.buf, stored{seq: meta.Sequence.Stream, data: msg.Data()})
		pending = meta.NumPending
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		return fmt.Errorf("txlog: query: %w", err)
	}
	s.done = s.done || len(s.buf) == 0 || pending == 0
	return nil
}

func (s *source) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.log.stream.DeleteConsumer(ctx, s.cons.CachedInfo().Name)
}
