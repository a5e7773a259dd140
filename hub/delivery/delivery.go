// Package delivery is the hub's asynchronous, store-and-forward path (the
// national document exchange axis). Send stores an already checked request
// in a JetStream work-queue stream and returns once JetStream has it; a
// worker in every hub, sharing one durable pull consumer, takes each
// request and has the hub's exchange core (Core) admit it again and carry
// it to a node of the provider exactly as a synchronous exchange, over the
// same request-reply subject, so provider nodes need no JetStream access. While no node answers, the
// request waits and is tried again with backoff; the final outcome is
// recorded once as a transaction and kept in a key-value bucket for the
// consumer to fetch.
package delivery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/route"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Errors of the delivery path.
var (
	// ErrNotStored: JetStream did not acknowledge the request (it is down,
	// or the stream is full); nothing was accepted.
	ErrNotStored = errors.New("delivery: the request could not be stored; send it again with the same message_id")
	// ErrUnknown: no delivery of that message id for that consumer is
	// known (never sent, or its state has expired).
	ErrUnknown = errors.New("delivery: unknown message id")
)

// headerAcceptedAt carries the time a hub accepted the request.
const headerAcceptedAt = "Ndxp-Accepted-At"

// Core is the hub's exchange core as the delivery path uses it: each
// attempt of a stored request is admitted, carried to the provider and,
// when it is the last, recorded as a synchronous exchange is.
type Core interface {
	// Admit opens the record of an attempt to deliver req and checks again
	// what may have changed since req was accepted: its consumer's grant.
	// Its error fails the delivery at once (the record is still returned).
	Admit(req *hubv1.ExchangeRequest) (*hubv1.TransactionRecord, error)
	// Carry carries req to a node of the provider as its record tx states
	// it, noting the answer in tx, and returns the answer.
	Carry(ctx context.Context, req *hubv1.ExchangeRequest, tx *hubv1.TransactionRecord) (*route.Response, error)
	// Outcome maps an attempt's error to its gRPC code number and the
	// message a caller sees (the hub's one error table).
	Outcome(err error) (code int32, message string)
	// Record stores the record of a delivery's final attempt, its outcome
	// set, and waits until it is stored; a record with a consumer and
	// message id already stored is stored once.
	Record(tx *hubv1.TransactionRecord) error
}

// Service is safe for concurrent use. Stop releases it.
type Service struct {
	cfg  Config
	core Core
	log  *zap.Logger
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	cc   jetstream.ConsumeContext

	metrics *metrics

	sem      chan struct{}
	stopping chan struct{}
	mu       sync.Mutex // guards closed and wg.Add
	closed   bool
	wg       sync.WaitGroup
}

// Open creates or updates the stream, the state bucket and the shared
// consumer, and starts delivering.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, core Core, log *zap.Logger) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "ndxp requests waiting for asynchronous delivery",
		Subjects:    []string{wire.DeliveryPrefix + ".>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.Duplicates,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: open stream %s: %w", cfg.Stream, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "ndxp delivery states and answers",
		TTL:         cfg.Keep,
		MaxBytes:    cfg.StateMaxBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: open bucket %s: %w", cfg.Bucket, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable:     cfg.Consumer,
		Description: "ndxp hubs delivering requests to providers",
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     cfg.AckWait,
		MaxDeliver:  cfg.MaxDeliver,
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: open consumer %s: %w", cfg.Consumer, err)
	}
	s := &Service{
		cfg: cfg, core: core, log: log, js: js, kv: kv,
		sem: make(chan struct{}, cfg.Workers), stopping: make(chan struct{}), metrics: newMetrics(),
	}
	s.cc, err = cons.Consume(s.take, jetstream.PullMaxMessages(cfg.Workers),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			log.Debug("delivery consumer", zap.Error(err))
		}))
	if err != nil {
		return nil, fmt.Errorf("delivery: consume %s: %w", cfg.Consumer, err)
	}
	return s, nil
}

// Stop stops taking requests and waits for the attempts in flight (each
// bounded by AttemptTimeout). Requests this hub held but had not started
// go back to the stream for another hub.
func (s *Service) Stop() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stopping)
	s.mu.Unlock()
	s.cc.Stop()
	s.wg.Wait()
}

// Send stores req, whose every field the hub has checked (message id and
// consumer set), for delivery, and returns once JetStream acknowledged it.
// A message id of the consumer already stored within the duplicate window
// is not stored again: the answer then says duplicate.
func (s *Service) Send(ctx context.Context, req *hubv1.ExchangeRequest, accepted time.Time) (*hubv1.SendResponse, error) {
	subject, err := wire.DeliverySubject(req.GetProvider(), req.GetService())
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("delivery: encode request: %w", err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = b
	msg.Header.Set(headerAcceptedAt, accepted.UTC().Format(time.RFC3339Nano))
	ack, err := s.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(txlog.DedupID(req.GetConsumer(), req.GetMessageId())), jetstream.WithExpectStream(s.cfg.Stream))
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	resp := &hubv1.SendResponse{
		MessageId: req.GetMessageId(), State: hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED,
		AcceptedAt: timestamppb.New(accepted), Duplicate: ack.Duplicate,
	}
	key := Key(req.GetConsumer(), req.GetMessageId())
	if ack.Duplicate {
		if d, err := s.get(ctx, key); err == nil {
			resp.AcceptedAt = d.GetAcceptedAt()
		}
		return resp, nil
	}
	// The request is stored first, so a state is never ACCEPTED without a
	// request behind it; the worker may already have written the outcome,
	// which Create then leaves alone.
	st := &hubv1.Delivery{
		MessageId: req.GetMessageId(), Consumer: req.GetConsumer(), Provider: req.GetProvider(), Service: req.GetService(),
		State: hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED, AcceptedAt: resp.AcceptedAt,
	}
	if err := s.create(ctx, key, st); err != nil {
		s.log.Warn("delivery state not stored; the request will still be delivered", zap.String("msg_id", req.GetMessageId()), zap.Error(err))
	}
	return resp, nil
}

// Get returns the state of consumer's delivery messageID.
func (s *Service) Get(ctx context.Context, consumer, messageID string) (*hubv1.Delivery, error) {
	d, err := s.get(ctx, Key(consumer, messageID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w %q of consumer %s (never sent, or older than the %s the hub keeps deliveries)", ErrUnknown, messageID, consumer, s.cfg.Keep)
	}
	return d, err
}

// Key is the state bucket's key of a delivery. Key-value keys allow few
// characters, so the message id (any printable ASCII) is base64url-encoded.
func Key(consumer, messageID string) string {
	return wire.Token(consumer) + "." + base64.RawURLEncoding.EncodeToString([]byte(messageID))
}

func (s *Service) get(ctx context.Context, key string) (*hubv1.Delivery, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	d := &hubv1.Delivery{}
	if err := proto.Unmarshal(e.Value(), d); err != nil {
		return nil, fmt.Errorf("delivery: decode state %s: %w", key, err)
	}
	return d, nil
}

func (s *Service) create(ctx context.Context, key string, d *hubv1.Delivery) error {
	b, err := proto.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := s.kv.Create(ctx, key, b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	return nil
}

func (s *Service) put(ctx context.Context, key string, d *hubv1.Delivery) error {
	b, err := proto.Marshal(d)
	if err != nil {
		return err
	}
	_, err = s.kv.Put(ctx, key, b)
	return err
}
