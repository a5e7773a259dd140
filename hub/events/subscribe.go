package events

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ackTimeout bounds recording and acknowledging one event.
const ackTimeout = 10 * time.Second

// ErrNotPending: an ack names a sequence this subscription has not
// delivered, or has already acknowledged.
var ErrNotPending = errors.New("events: no such event is waiting for this acknowledgement")

// Subscription is one stream of a subscriber's events of one type, read
// from the subscriber's durable consumer (shared by every stream of the
// same subscriber and type, so a second instance shares the load). Next
// and Ack may be called from different goroutines; Close releases it.
type Subscription struct {
	s          *Service
	t          Type
	subscriber string
	it         jetstream.MessagesContext
	slots      chan struct{} // one per event delivered and not yet acknowledged

	closing sync.Once
	mu      sync.Mutex
	pending map[uint64]delivered
}

type delivered struct {
	m  jetstream.Msg
	ev *hubv1.Event
	at time.Time
}

// ConsumerName is the durable consumer of subscriber's events of type.
func ConsumerName(subscriber, eventType string) string {
	return "evt_" + wire.Token(subscriber) + "_" + eventType
}

// Subscribe opens subscriber's stream of events of eventType (its
// identity checked by the hub) with at most window (1 when 0) events
// unacknowledged at once. The durable consumer is created on the first
// subscription and starts with the oldest event kept.
func (s *Service) Subscribe(ctx context.Context, subscriber, eventType string, window int) (*Subscription, error) {
	t, err := s.subscribed(subscriber, eventType)
	if err != nil {
		return nil, err
	}
	if window < 0 || window > MaxWindow {
		return nil, field.Errorf("window", "is %d; want 0 to %d", window, MaxWindow)
	}
	window = max(window, 1)
	if err := s.authorize(subscriber, t); err != nil {
		return nil, err
	}
	cons, err := s.consumer(ctx, subscriber, t)
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(window))
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	return &Subscription{
		s: s, t: t, subscriber: subscriber, it: it,
		slots: make(chan struct{}, window), pending: map[uint64]delivered{},
	}, nil
}

// consumer creates, or finds, subscriber's durable consumer of events of
// t: every stream and every fetch of the same subscriber and type read
// from it, so they share its position and its unacknowledged events.
func (s *Service) consumer(ctx context.Context, subscriber string, t Type) (jetstream.Consumer, error) {
	subject, _ := wire.EventSubject(t.Publisher, t.Code) // checked by Validate
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       ConsumerName(subscriber, t.Code),
		Description:   fmt.Sprintf("%s's %s events", subscriber, t.Code),
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: s.cfg.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, errors.Join(ErrNotStored, fmt.Errorf("events: consumer of %s: %w", subscriber, err))
	}
	return cons, nil
}

// subscribed checks a subscriber's code and finds the event type it
// subscribes to.
func (s *Service) subscribed(subscriber, eventType string) (Type, error) {
	if err := wire.ValidateAgencyCode(subscriber); err != nil {
		return Type{}, field.Wrap("subscriber", err)
	}
	return s.Type(eventType)
}

func (s *Service) authorize(subscriber string, t Type) error {
	if s.deps.Authorize == nil {
		return nil
	}
	return s.deps.Authorize(subscriber, t.Publisher, t.Code)
}

// Next waits for the next event, once fewer than the window are
// unacknowledged. It fails when ctx ends, the subscription is closed, or
// the grant was revoked (the event then waits for a new grant).
func (sub *Subscription) Next(ctx context.Context) (*hubv1.Event, error) {
	select {
	case sub.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m, err := sub.it.Next()
	if err != nil {
		<-sub.slots
		return nil, err
	}
	if err := sub.s.authorize(sub.subscriber, sub.t); err != nil {
		_ = m.NakWithDelay(sub.s.cfg.AckWait)
		<-sub.slots
		return nil, err
	}
	ev, err := decode(m, sub.t)
	if err != nil {
		_ = m.Term() // not an event this hub wrote
		<-sub.slots
		return nil, err
	}
	sub.mu.Lock()
	sub.pending[ev.GetSequence()] = delivered{m: m, ev: ev, at: time.Now()}
	sub.mu.Unlock()
	return ev, nil
}

// Ack records the delivery of the event at sequence as one transaction,
// then acknowledges it; if recording fails, the event stays unacknowledged
// (and comes again).
func (sub *Subscription) Ack(sequence uint64) error {
	sub.mu.Lock()
	d, ok := sub.pending[sequence]
	sub.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: sequence %d", ErrNotPending, sequence)
	}
	if err := sub.s.deps.Recorder.Record(sub.s.record(sub.subscriber, d.ev, d.at)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := d.m.DoubleAck(ctx); err != nil {
		return errors.Join(ErrNotStored, err)
	}
	sub.mu.Lock()
	if _, ok := sub.pending[sequence]; ok {
		delete(sub.pending, sequence)
		<-sub.slots
	}
	sub.mu.Unlock()
	return nil
}

// record is the transaction of one acknowledged delivery of ev to
// subscriber, handed out at at, counted on the day the event occurred.
func (s *Service) record(subscriber string, ev *hubv1.Event, at time.Time) *hubv1.TransactionRecord {
	payload := ev.GetPayload().GetValue()
	return &hubv1.TransactionRecord{
		MessageId: MessageID(ev.GetType(), ev.GetEventId()), Consumer: subscriber, Provider: ev.GetPublisher(), Service: ev.GetType(),
		BusinessTime: ev.GetOccurredAt(), HubId: s.deps.HubID,
		ReceivedAt: timestamppb.New(at), ForwardedAt: timestamppb.New(at), AnsweredAt: timestamppb.Now(),
		RequestSize: int64(len(payload)), RequestHash: digest(payload),
	}
}

// MessageID is the transaction message id of a delivery of event id of
// eventType: its own namespace, so it never meets an exchange's id.
func MessageID(eventType, id string) string { return "evt:" + eventType + ":" + id }

// Close stops the subscription. Events delivered and not acknowledged are
// released at once for the next subscription.
// It may be called more than once, from any goroutine.
func (sub *Subscription) Close() {
	sub.closing.Do(func() {
		sub.it.Stop()
		sub.mu.Lock()
		defer sub.mu.Unlock()
		for seq, d := range sub.pending {
			_ = d.m.Nak()
			delete(sub.pending, seq)
		}
	})
}

func anyOf(typeURL string, b []byte) *anypb.Any { return &anypb.Any{TypeUrl: typeURL, Value: b} }

func digest(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	d := sha256.Sum256(b)
	return d[:]
}
