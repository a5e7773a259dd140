// Package events is the hub's publish/subscribe path (life events: a birth
// or a death registered, an ID number issued). Publish stores an event of
// a declared type in one JetStream stream; every subscriber (an agency the
// publisher granted the type) reads it through its own durable consumer,
// so an agency that is away gets every event when it is back, in order, at
// least once. Each acknowledged delivery is recorded as one transaction
// (consumer: the subscriber, provider: the publisher, service: the type).
package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Errors of the event path.
var (
	// ErrUnknownType: the event type is not declared.
	ErrUnknownType = errors.New("events: unknown event type")
	// ErrNotPublisher: the caller is not the type's publisher.
	ErrNotPublisher = errors.New("events: not the publisher of this event type")
	// ErrNotStored: JetStream did not acknowledge the event.
	ErrNotStored = errors.New("events: the event could not be stored; publish it again with the same event_id")
)

// MaxEventID is the longest event id: a delivery's transaction message id
// is "evt:" + type + ":" + event id, within the hub's 128 bytes.
const MaxEventID = 80

// Header names of a stored event.
const (
	headerEventID    = "Ndxp-Event-Id"
	headerOccurredAt = "Ndxp-Occurred-At"
	headerPayload    = wire.HeaderPayloadType
)

// Recorder stores the transaction record of an acknowledged delivery and
// waits until it is stored; a record of a consumer and message id already
// stored is stored once.
type Recorder interface {
	Record(tx *hubv1.TransactionRecord) error
}

// Deps are what the event path uses of the hub.
type Deps struct {
	// Recorder stores each acknowledged delivery as a transaction.
	Recorder Recorder
	// Authorize, when set, is asked before each delivery whether
	// subscriber may receive publisher's events of type: a revoked grant
	// stops the subscription.
	Authorize func(subscriber, publisher, eventType string) error
	// HubID names this hub in records.
	HubID string
	// Agencies, when set, lists the registered agencies, whose declared
	// event types (hubv1.Agency.Events) join the built-in ones.
	Agencies func() []*hubv1.Agency
}

// Service is safe for concurrent use.
type Service struct {
	cfg   Config
	deps  Deps
	log   *zap.Logger
	js    jetstream.JetStream
	types catalog
}

// Open creates or updates the event stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, deps Deps, log *zap.Logger) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "ndxp events, kept for every subscriber's durable consumer",
		Subjects:    []string{wire.EventPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.Duplicates,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return nil, fmt.Errorf("events: open stream %s: %w", cfg.Stream, err)
	}
	return &Service{cfg: cfg, deps: deps, log: log, js: js, types: newCatalog(cfg.Types)}, nil
}

// Types lists the declared types, sorted by code: the configured ones
// and those the registered agencies declare.
func (s *Service) Types() []*hubv1.EventType {
	all := catalog{}
	for code, t := range s.types {
		all[code] = t
	}
	for _, t := range s.registered() {
		if _, builtin := s.types[t.Code]; !builtin {
			all[t.Code] = t
		}
	}
	return all.list()
}

// registered are the types the registered agencies declare.
func (s *Service) registered() []Type {
	if s.deps.Agencies == nil {
		return nil
	}
	var out []Type
	for _, a := range s.deps.Agencies() {
		for _, e := range a.GetEvents() {
			out = append(out, declared(a.GetCode(), e))
		}
	}
	return out
}

// Type returns the declared type code: a configured one, else the one
// agency that declares it.
func (s *Service) Type(code string) (Type, error) {
	if err := wire.ValidateServiceCode(code); err != nil {
		return Type{}, field.Wrap("type", err)
	}
	if t, ok := s.types[code]; ok {
		return t, nil
	}
	var found []Type
	for _, t := range s.registered() {
		if t.Code == code {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return Type{}, fmt.Errorf("%w %q (ndxp events list shows the declared types)", ErrUnknownType, code)
	case 1:
		return found[0], nil
	}
	return Type{}, fmt.Errorf("%w %q: declared by %s and %s; an event type has one publisher", ErrUnknownType, code, found[0].Publisher, found[1].Publisher)
}

// Publish checks and stores one event of publisher (the caller's
// identity, checked by the hub) and returns once JetStream has it.
func (s *Service) Publish(ctx context.Context, publisher string, req *hubv1.PublishRequest) (*hubv1.PublishResponse, error) {
	t, err := s.check(publisher, req)
	if err != nil {
		return nil, err
	}
	subject, err := wire.EventSubject(publisher, t.Code)
	if err != nil {
		return nil, err
	}
	occurred := time.Now()
	if req.GetOccurredAt() != nil {
		occurred = req.GetOccurredAt().AsTime()
	}
	msg := nats.NewMsg(subject)
	msg.Data = req.GetPayload().GetValue()
	msg.Header.Set(headerEventID, req.GetEventId())
	msg.Header.Set(headerOccurredAt, occurred.UTC().Format(time.RFC3339Nano))
	msg.Header.Set(headerPayload, req.GetPayload().GetTypeUrl())
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(publisher+"|"+req.GetEventId()), jetstream.WithExpectStream(s.cfg.Stream))
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	return &hubv1.PublishResponse{EventId: req.GetEventId(), Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

func (s *Service) check(publisher string, req *hubv1.PublishRequest) (Type, error) {
	if err := wire.ValidateAgencyCode(publisher); err != nil {
		return Type{}, field.Wrap("publisher", err)
	}
	if err := checkEventID(req.GetEventId()); err != nil {
		return Type{}, field.Wrap("event_id", err)
	}
	t, err := s.Type(req.GetType())
	if err != nil {
		return Type{}, err
	}
	if t.Publisher != publisher {
		return Type{}, fmt.Errorf("%w: %s publishes %q, not %s", ErrNotPublisher, t.Publisher, t.Code, publisher)
	}
	if got, want := req.GetPayload().GetTypeUrl(), wire.TypeURLPrefix+t.PayloadType(); got != want {
		return Type{}, field.Errorf("payload", "is %q; %s events carry %s", got, t.Code, want)
	}
	return t, nil
}

func checkEventID(id string) error {
	if id == "" {
		return errors.New("is required: subscribers and records know the event by it, and a re-publish is stored once")
	}
	if len(id) > MaxEventID {
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(id), MaxEventID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("has a character at position %d that is not printable ASCII", i)
		}
	}
	return nil
}

// decode rebuilds the event of a stored message delivered by a consumer.
func decode(m jetstream.Msg, t Type) (*hubv1.Event, error) {
	meta, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("events: metadata: %w", err)
	}
	return event(m.Headers(), m.Data(), meta.Timestamp, meta.Sequence.Stream, meta.NumDelivered, t), nil
}

// event is the event of type t stored with header and data at sequence,
// published at published, delivered delivery times.
func event(header nats.Header, data []byte, published time.Time, sequence, delivery uint64, t Type) *hubv1.Event {
	occurred, err := time.Parse(time.RFC3339Nano, header.Get(headerOccurredAt))
	if err != nil {
		occurred = published
	}
	return &hubv1.Event{
		EventId: header.Get(headerEventID), Publisher: t.Publisher, Type: t.Code,
		Payload:    anyOf(header.Get(headerPayload), data),
		OccurredAt: timestamppb.New(occurred), PublishedAt: timestamppb.New(published),
		Sequence: sequence, Delivery: uint32(delivery),
	}
}
