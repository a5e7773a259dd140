package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Subscribing without a stream, for clients that cannot hold one open
// (the REST ingress): Fetch hands out waiting events from the same durable
// consumer a subscription reads, each with a token, and AckFetched
// records and acknowledges one by its token. Between the two no state is
// kept in the hub, so the acknowledgement may reach another hub. An event
// not acknowledged within Config.AckWait is handed out again: at least
// once, in order, as on a stream.

// MaxFetch caps how many events one Fetch hands out.
const MaxFetch = 100

// MaxFetchWait caps how long a Fetch waits for a first event.
const MaxFetchWait = 30 * time.Second

// Fetched is an event handed out by Fetch, and the token that
// acknowledges it (AckFetched).
type Fetched struct {
	Event *hubv1.Event
	Ack   string
}

// Fetch hands out up to max of subscriber's events of eventType waiting
// on its durable consumer, waiting up to wait for the first (none: only
// those waiting now). Each stays unacknowledged, and is not handed out
// again, for Config.AckWait.
func (s *Service) Fetch(ctx context.Context, subscriber, eventType string, max int, wait time.Duration) ([]Fetched, error) {
	t, err := s.subscribed(subscriber, eventType)
	if err != nil {
		return nil, err
	}
	if max < 1 || max > MaxFetch {
		return nil, field.Errorf("max", "is %d; want 1 to %d", max, MaxFetch)
	}
	if wait < 0 || wait > MaxFetchWait {
		return nil, field.Errorf("wait", "is %s; want 0 to %s", wait, MaxFetchWait)
	}
	if err := s.authorize(subscriber, t); err != nil {
		return nil, err
	}
	cons, err := s.consumer(ctx, subscriber, t)
	if err != nil {
		return nil, err
	}
	var batch jetstream.MessageBatch
	if wait == 0 {
		batch, err = cons.FetchNoWait(max)
	} else {
		batch, err = cons.Fetch(max, jetstream.FetchMaxWait(wait))
	}
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	var out []Fetched
	for m := range batch.Messages() {
		ev, err := decode(m, t)
		if err != nil {
			_ = m.Term() // not an event this hub wrote
			continue
		}
		out = append(out, Fetched{Event: ev, Ack: m.Reply()})
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) && len(out) == 0 {
		return nil, errors.Join(ErrNotStored, err)
	}
	return out, nil
}

// AckFetched records the delivery to subscriber of the event of
// eventType that token (from Fetch) names, as one transaction, then
// acknowledges it. Acknowledging it again is harmless: it is counted
// once. A token of another subscriber or type is refused naming "ack".
func (s *Service) AckFetched(ctx context.Context, subscriber, eventType, token string) (*hubv1.Event, error) {
	t, err := s.subscribed(subscriber, eventType)
	if err != nil {
		return nil, err
	}
	seq, err := s.ackedSequence(token, ConsumerName(subscriber, t.Code))
	if err != nil {
		return nil, field.Errorf("ack", "%v; use the ack of an event this subscriber fetched of type %s", err, t.Code)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: event at sequence %d is no longer kept", ErrNotPending, seq)
	}
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	if subject, _ := wire.EventSubject(t.Publisher, t.Code); m.Subject != subject {
		return nil, field.Errorf("ack", "names sequence %d, which is not an event of type %s", seq, t.Code)
	}
	ev := event(m.Header, m.Data, m.Time, m.Sequence, 0, t)
	if err := s.deps.Recorder.Record(s.record(subscriber, ev, time.Now())); err != nil {
		return nil, err
	}
	if _, err := s.js.Conn().RequestWithContext(ctx, token, []byte("+ACK")); err != nil {
		return nil, errors.Join(ErrNotStored, fmt.Errorf("events: acknowledge sequence %d: %w", seq, err))
	}
	return ev, nil
}

// ackedSequence is the stream sequence an acknowledgement subject of
// consumer (of this service's stream) names: "$JS.ACK.<stream>.<consumer>.
// <delivered>.<stream seq>.<consumer seq>.<time>.<pending>", or the same
// with a domain and an account hash before the stream (nats-server's
// second form).
func (s *Service) ackedSequence(token, consumer string) (uint64, error) {
	toks := strings.Split(token, ".")
	var i int
	switch {
	case strings.ContainsAny(token, "*> \t\r\n"):
		return 0, errors.New("is not an acknowledgement token handed out by a fetch") // not a literal subject
	case len(toks) == 9 && toks[0] == "$JS" && toks[1] == "ACK":
		i = 2
	case len(toks) >= 11 && toks[0] == "$JS" && toks[1] == "ACK":
		i = 4
	default:
		return 0, errors.New("is not an acknowledgement token handed out by a fetch")
	}
	if toks[i] != s.cfg.Stream || toks[i+1] != consumer {
		return 0, fmt.Errorf("acknowledges another subscriber's or type's events (%s)", toks[i+1])
	}
	// delivered, stream sequence, consumer sequence, time, pending: numbers
	var n [5]uint64
	for k := range n {
		v, err := strconv.ParseUint(toks[i+2+k], 10, 64)
		if err != nil {
			return 0, errors.New("is not an acknowledgement token handed out by a fetch")
		}
		n[k] = v
	}
	if n[1] == 0 {
		return 0, errors.New("is not an acknowledgement token handed out by a fetch")
	}
	return n[1], nil
}
