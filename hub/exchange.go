package hub

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nuid"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// exchange carries one exchange and records it as a transaction, whatever
// its outcome. It returns domain errors; the gRPC edge maps them.
func (h *Hub) exchange(ctx context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error) {
	received := time.Now()
	h.metrics.inFlight.Inc()
	defer h.metrics.inFlight.Dec()

	tx := h.newRecord(req, received)
	if tx.MessageId == "" {
		tx.MessageId = nuid.Next()
	}
	nest := h.nestedCall(ctx, req)
	tx.BusinessTime = businessTime(nest.businessTime, nest.trusted, tx.ReceivedAt)
	tx.ParentMessageId = nest.parent
	resp, err := h.forward(ctx, req, tx, nest)
	tx.AnsweredAt = timestamppb.Now()
	tx.Code = int32(codeOf(err))
	if err != nil {
		tx.Error = message(err)
	}
	h.unregistered(ctx, tx)
	sanitize(tx)
	if rerr := h.settle(ctx, tx, err); rerr != nil && err == nil {
		return nil, rerr
	}
	h.metrics.observe(tx, time.Since(received))
	if err != nil {
		h.log.Debug("exchange failed", zap.String("msg_id", tx.MessageId), zap.Error(err))
		return nil, err
	}
	resp.MessageId = tx.MessageId
	resp.Duration = durationpb.New(time.Since(received))
	resp.BusinessDay = vn.Day(tx.BusinessTime.AsTime())
	return resp, nil
}

// settle accounts for the transaction tx whose outcome is err: it records
// it, or counts it in aggregate (a refusal by the limits), or, when the
// record store is full, leaves it to the store's metric and log.
func (h *Hub) settle(ctx context.Context, tx *hubv1.TransactionRecord, err error) error {
	switch {
	case errors.Is(err, ErrRecordStoreFull):
		return nil
	case aggregated(err):
		if _, rerr := h.reg.Service(tx.Provider, tx.Service); rerr != nil {
			// Unregistered codes would let a flood open an aggregate,
			// so a record, per made-up service.
			tx.Provider, tx.Service = "?", "?"
		}
		h.refused.add(tx)
		return nil
	}
	return h.recordExchange(ctx, tx)
}

// forward validates, resolves and routes the request, filling in tx.
func (h *Hub) forward(ctx context.Context, req *hubv1.ExchangeRequest, tx *hubv1.TransactionRecord, nest nested) (*hubv1.ExchangeResponse, error) {
	if err := h.admitTx(ctx, req, req, tx, nest); err != nil {
		return nil, err
	}
	ctx, cancel := h.deadline(ctx)
	defer cancel()
	out, err := h.carry(ctx, req, tx)
	if err != nil {
		return nil, err
	}
	return &hubv1.ExchangeResponse{Payload: &anypb.Any{TypeUrl: out.PayloadType, Value: out.Payload}}, nil
}

// admitTx admits req (admit), then makes the checks that need its record
// tx: room in the record store, and the message id not used for another
// request. Only an admitted request claims its message id, so a refused
// one may be corrected and sent again under the same id. in is the message
// as it arrived, whose annotations state its field rules (see validate).
func (h *Hub) admitTx(ctx context.Context, in proto.Message, req *hubv1.ExchangeRequest, tx *hubv1.TransactionRecord, nest nested) error {
	consumer, err := h.admit(ctx, in, req, nest)
	tx.Consumer = consumer // the caller's identity, even when it is refused
	if err != nil {
		return err
	}
	if err := h.store.admit(); err != nil {
		return err
	}
	if req.GetMessageId() == "" {
		return nil // the hub's own id: never reused
	}
	return h.msgIDs.claim(tx, txlog.RequestFingerprint(tx), time.Now())
}

// admit makes every check an exchange or a delivery passes before it goes
// to the provider: the caller's identity, every field, the consumer's
// limits, the registry and the provider's grant. nest is what the request's
// context token allows (see nestedCall). It returns the effective
// consumer, also when it refuses the request (for its record).
func (h *Hub) admit(ctx context.Context, in proto.Message, req *hubv1.ExchangeRequest, nest nested) (string, error) {
	consumer, err := h.consumer(ctx, req.GetConsumer())
	if err != nil {
		return consumer, err
	}
	if nest.err != nil {
		return consumer, nest.err
	}
	if err := h.validate(in, req, consumer, nest.trusted); err != nil {
		return consumer, err
	}
	if err := h.limits.allow(consumer, time.Now()); err != nil {
		return consumer, err
	}
	if err := h.quota.take(ctx, consumer, time.Now()); err != nil {
		return consumer, err
	}
	svc, err := h.reg.Service(req.GetProvider(), req.GetService())
	if err != nil {
		return consumer, err
	}
	return consumer, h.authorize(ctx, consumer, req, svc)
}

// consumer is the agency a request is made for: the authenticated agency
// when there is one; named, the consumer the request names, in insecure
// mode or when the operator calls.
func (h *Hub) consumer(ctx context.Context, named string) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return named, nil
	}
	if id.IsOperator() {
		// The operator acts for the consumer it names (load tests,
		// diagnostics); grants still apply to that consumer.
		return named, nil
	}
	if id.Role != auth.RoleAgency {
		return named, fmt.Errorf("%w: the caller is %s", ErrNotAnAgency, who(id))
	}
	if named != "" && named != id.Agency {
		return id.Agency, fmt.Errorf("%w: the request names consumer %q but the caller is %s; leave consumer empty or set it to %s",
			ErrConsumerMismatch, named, id.Agency, id.Agency)
	}
	return id.Agency, nil
}

// deadline applies the default timeout and the ceiling to ctx.
func (h *Hub) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	limit := h.cfg.DefaultTimeout
	if d, ok := ctx.Deadline(); ok {
		limit = min(time.Until(d), h.cfg.MaxTimeout)
	}
	return context.WithTimeout(ctx, limit)
}

func digest(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	s := sha256.Sum256(b)
	return s[:]
}
