package hub

import (
	"context"
	"time"

	"github.com/nats-io/nuid"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// send checks a request exactly as an exchange (admitTx) and stores it
// for asynchronous delivery. A refused request is recorded (or counted in
// aggregate) as a refused exchange is, and not stored: the caller learns
// it at once, and may send it again, corrected, with the same message id.
// An accepted request is recorded when its delivery ends.
func (h *Hub) send(ctx context.Context, in *hubv1.SendRequest) (*hubv1.SendResponse, error) {
	accepted := time.Now()
	req := &hubv1.ExchangeRequest{
		MessageId: in.GetMessageId(), Consumer: in.GetConsumer(), Provider: in.GetProvider(), Service: in.GetService(),
		Payload: in.GetPayload(), BusinessTime: in.GetBusinessTime(), Purpose: in.GetPurpose(), UserId: in.GetUserId(),
	}
	tx := h.newRecord(req, accepted)
	nest := h.nestedCall(ctx, req)
	// As for an exchange: counted at the business time the caller (or its
	// context token) may set, else on the day the hub received it.
	tx.BusinessTime = businessTime(nest.businessTime, nest.trusted, tx.ReceivedAt)
	tx.ParentMessageId = nest.parent
	// The SendRequest is validated as it arrived: its annotations
	// require message_id (a delivery is fetched and re-sent by its id).
	err := h.admitTx(ctx, in, req, tx, nest)
	if err != nil {
		return nil, h.refuseSend(ctx, tx, err)
	}
	req.Consumer, req.BusinessTime = tx.Consumer, tx.BusinessTime
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.SendResponse, error) { return h.deliver.Send(ctx, req, accepted) })
}

// refuseSend records the refused Send tx and returns its error (or the
// error of recording it).
// Like a refused exchange, it is counted at tx's business time (see send)
// and under wire.Unknown for what is not registered.
func (h *Hub) refuseSend(ctx context.Context, tx *hubv1.TransactionRecord, err error) error {
	if tx.MessageId == "" {
		tx.MessageId = nuid.Next()
	}
	tx.AnsweredAt = timestamppb.Now()
	tx.Code, tx.Error = outcome(err)
	h.unregistered(ctx, tx)
	sanitize(tx)
	// The record outlives the call: a caller that gives up does not
	// cancel the record of its refusal.
	if rerr := h.settle(context.WithoutCancel(ctx), tx, err); rerr != nil {
		h.log.Debug("refused send not recorded", zap.String("msg_id", tx.MessageId), zap.Error(rerr))
	}
	return err
}

// getDelivery returns the state of a delivery of the caller's (or, for
// the operator and an insecure hub, of the consumer the request names).
func (h *Hub) getDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.Delivery, error) {
	consumer, err := h.consumer(ctx, req.GetConsumer())
	if err != nil {
		return nil, err
	}
	if err := checkRules(req); err != nil {
		return nil, err
	}
	if consumer == "" {
		return nil, field.Errorf("consumer", "is required: name the agency that sent it, or call with its certificate")
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.Delivery, error) {
		return h.deliver.Get(ctx, consumer, req.GetMessageId())
	})
}

// stillGranted checks, when a stored request is about to be delivered,
// that the provider's grant to its consumer still stands: a grant revoked
// after Send stops the requests waiting. The consumer's kind is its
// registration's (an agency registers only under its certificate's kind).
func (h *Hub) stillGranted(consumer, provider, service string) error {
	if !h.cfg.Security.EnforceGrants {
		return nil
	}
	var kind hubv1.AgencyKind
	if a, err := h.reg.Get(consumer); err == nil {
		kind = a.GetKind()
	}
	return h.access.Check(consumer, kind, provider, service)
}

// deliveryRecorder records an event's or a document's delivery as a
// transaction.
type deliveryRecorder struct{ h *Hub }

// Record implements events.Recorder and documents.Recorder.
func (r deliveryRecorder) Record(tx *hubv1.TransactionRecord) error {
	sanitize(tx)
	return r.h.record(tx)
}

// outcome is the code and message of a delivery attempt's error.
func outcome(err error) (int32, string) {
	return int32(codeOf(err)), message(err)
}
