package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/route"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// storeTimeout bounds storing an outcome and acknowledging it.
const storeTimeout = 10 * time.Second

// take hands a request from the consumer to a worker, at most Workers at
// once; it runs on the consumer's goroutine.
func (s *Service) take(m jetstream.Msg) {
	select {
	case s.sem <- struct{}{}:
	case <-s.stopping:
		_ = m.Nak() // another hub takes it at once
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.sem
		_ = m.Nak()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		// It may have waited for a worker in the consumer's buffer:
		// restart AckWait, so that no other hub takes it while this one
		// delivers it.
		_ = m.InProgress()
		s.deliver(m)
	}()
}

// attempt is one try of one stored request.
type attempt struct {
	req      *hubv1.ExchangeRequest
	accepted time.Time
	n        int // this attempt's number, from 1
	started  time.Time
}

// deliver makes one attempt and settles the message: Nak with backoff
// while the provider is unreachable, otherwise record, store the outcome
// and Ack.
func (s *Service) deliver(m jetstream.Msg) {
	a, err := s.open(m)
	if err != nil {
		s.log.Error("undeliverable request dropped", zap.Error(err))
		_ = m.Term()
		return
	}
	key := Key(a.req.GetConsumer(), a.req.GetMessageId())
	if d, err := s.get(context.Background(), key); err == nil && d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED {
		// Already finished (by a hub that died before its Ack, or a copy
		// re-sent after the duplicate window): deliver once.
		s.ack(m, a)
		return
	}
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	tx, err := s.core.Admit(a.req)
	if err != nil {
		// Refused (a grant revoked after Send): final, not retried.
		s.settle(m, a, key, tx, nil, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.AttemptTimeout)
	out, err := s.core.Carry(ctx, a.req, tx)
	cancel()
	if retry(err) && a.n < s.cfg.MaxDeliver {
		s.log.Debug("provider unreachable; delivery postponed", zap.String("msg_id", a.req.GetMessageId()), zap.Int("attempt", a.n), zap.Error(err))
		s.metrics.attempts.WithLabelValues(resultRetried).Inc()
		_ = m.NakWithDelay(s.cfg.backoff(a.n))
		return
	}
	s.settle(m, a, key, tx, out, err)
}

// settle stores the final outcome (answer out, or err) and acknowledges m;
// when the outcome cannot be stored, m is tried again after the backoff.
func (s *Service) settle(m jetstream.Msg, a *attempt, key string, tx *hubv1.TransactionRecord, out *route.Response, err error) {
	if err := s.finish(a, key, tx, out, err); err != nil {
		s.log.Warn("delivery outcome not stored; will try again", zap.String("msg_id", a.req.GetMessageId()), zap.Error(err))
		_ = m.NakWithDelay(s.cfg.backoff(a.n))
		return
	}
	if err != nil {
		s.metrics.attempts.WithLabelValues(resultFailed).Inc()
	} else {
		s.metrics.attempts.WithLabelValues(resultDelivered).Inc()
	}
	s.ack(m, a)
}

// retry reports whether an attempt's error is worth another attempt: the
// provider could not be reached (no node online, no answer in time, a NATS
// failure), or it answered that it cannot serve now (UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED), as opposed to its final answer.
func retry(err error) bool {
	var pe *route.ProviderError
	if errors.As(err, &pe) {
		return transient[codes.Code(pe.Code)]
	}
	return err != nil
}

// transient are the provider's answers that mean "not now": gRPC's own
// retry guidance for UNAVAILABLE, and an overloaded provider's
// RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED, which pass with time.
var transient = map[codes.Code]bool{codes.Unavailable: true, codes.DeadlineExceeded: true, codes.ResourceExhausted: true}

func (s *Service) open(m jetstream.Msg) (*attempt, error) {
	meta, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("delivery: metadata: %w", err)
	}
	req := &hubv1.ExchangeRequest{}
	if err := proto.Unmarshal(m.Data(), req); err != nil {
		return nil, fmt.Errorf("delivery: decode request at sequence %d: %w", meta.Sequence.Stream, err)
	}
	accepted, err := time.Parse(time.RFC3339Nano, m.Headers().Get(headerAcceptedAt))
	if err != nil {
		accepted = meta.Timestamp
	}
	return &attempt{req: req, accepted: accepted, n: int(meta.NumDelivered), started: time.Now()}, nil
}

// finish records the final outcome of a (its record tx, its answer out,
// or err) as one transaction, then stores the delivery's state. The record
// carries the consumer and message id, so a request finished twice (a hub
// died before its Ack) is counted once.
func (s *Service) finish(a *attempt, key string, tx *hubv1.TransactionRecord, out *route.Response, err error) error {
	req := a.req
	d := &hubv1.Delivery{
		MessageId: req.GetMessageId(), Consumer: req.GetConsumer(), Provider: req.GetProvider(), Service: req.GetService(),
		AcceptedAt: timestamppb.New(a.accepted), FinishedAt: timestamppb.Now(), Attempts: int32(a.n),
	}
	if err == nil {
		d.State, d.Payload = hubv1.DeliveryState_DELIVERY_STATE_DELIVERED, &anypb.Any{TypeUrl: out.PayloadType, Value: out.Payload}
	} else {
		code, msg := s.core.Outcome(err)
		if retry(err) {
			msg = fmt.Sprintf("not delivered after %d attempts: %s", a.n, msg)
		}
		tx.Code, tx.Error = code, msg
		d.State, d.Error = hubv1.DeliveryState_DELIVERY_STATE_FAILED, &hubv1.Error{Code: code, Message: msg}
	}
	if err := s.core.Record(tx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	return s.put(ctx, key, d)
}

// ack removes the request from the work queue without waiting for the
// server's confirmation (one round trip fewer per request): the outcome is
// already stored, so if the ack is lost the request comes back after
// AckWait and is then acknowledged without a second delivery (its state
// is final).
func (s *Service) ack(m jetstream.Msg, a *attempt) {
	if err := m.Ack(); err != nil {
		s.log.Warn("delivery not acknowledged", zap.String("msg_id", a.req.GetMessageId()), zap.Error(err))
	}
}
