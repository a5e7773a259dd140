package hub

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/route"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// The two steps every way of exchanging shares after admission: a
// request's record is opened by newRecord, and the request is carried to
// its provider by carry. A synchronous exchange (exchange), a Send and its
// delivery's attempts (deliveryCore), and a refusal at an edge (Refuse)
// all go through them, so a metadata field of an exchange is copied into
// a record, and from a record onto the wire, in one place each.

// newRecord opens the record of the request req, received at received:
// its metadata, the payload's size and digest, this hub. The business
// time is req's as it stands (the callers settle it: see businessTime).
func (h *Hub) newRecord(req *hubv1.ExchangeRequest, received time.Time) *hubv1.TransactionRecord {
	return &hubv1.TransactionRecord{
		MessageId: req.GetMessageId(), Consumer: req.GetConsumer(), Provider: req.GetProvider(), Service: req.GetService(),
		BusinessTime: req.GetBusinessTime(), ReceivedAt: timestamppb.New(received), HubId: h.cfg.ID,
		Purpose: req.GetPurpose(), UserId: req.GetUserId(),
		RequestSize: int64(len(req.GetPayload().GetValue())), RequestHash: digest(req.GetPayload().GetValue()),
	}
}

// carry takes the admitted request req to a node of its provider as its
// record tx states it (message id, consumer, business time, and a context
// token for the provider's nested exchanges), and notes in tx when it was
// forwarded and the answer's size and digest.
func (h *Hub) carry(ctx context.Context, req *hubv1.ExchangeRequest, tx *hubv1.TransactionRecord) (*route.Response, error) {
	tx.ForwardedAt = timestamppb.Now()
	out, err := h.router.Route(ctx, &route.Request{Meta: wire.Meta{
		MessageID: tx.MessageId, Consumer: tx.Consumer, Provider: tx.Provider, Service: tx.Service,
		BusinessTime: tx.BusinessTime.AsTime(), Purpose: tx.Purpose, UserID: tx.UserId,
		PayloadType: req.GetPayload().GetTypeUrl(), Context: h.token(tx),
	}, Payload: req.GetPayload().GetValue()})
	if err != nil {
		return nil, err
	}
	tx.ResponseSize = int64(len(out.Payload))
	tx.ResponseHash = digest(out.Payload)
	return out, nil
}

// deliveryCore is the exchange core as the delivery worker uses it
// (delivery.Core): each attempt of a stored request is admitted and
// carried as an exchange is, and its final one recorded as one.
type deliveryCore struct{ h *Hub }

// Admit implements delivery.Core: the grant is checked again, so one
// revoked after Send stops the requests still waiting.
func (c deliveryCore) Admit(req *hubv1.ExchangeRequest) (*hubv1.TransactionRecord, error) {
	tx := c.h.newRecord(req, time.Now())
	// The attempt's times: latency figures measure the provider, not how
	// long the request waited for it.
	tx.ForwardedAt = tx.ReceivedAt
	return tx, c.h.stillGranted(tx.Consumer, tx.Provider, tx.Service)
}

// Carry implements delivery.Core.
func (c deliveryCore) Carry(ctx context.Context, req *hubv1.ExchangeRequest, tx *hubv1.TransactionRecord) (*route.Response, error) {
	out, err := c.h.carry(ctx, req, tx)
	tx.ForwardedAt = tx.ReceivedAt
	return out, err
}

// Outcome implements delivery.Core.
func (deliveryCore) Outcome(err error) (int32, string) { return outcome(err) }

// Record implements delivery.Core.
func (c deliveryCore) Record(tx *hubv1.TransactionRecord) error {
	tx.AnsweredAt = timestamppb.Now()
	sanitize(tx)
	return c.h.record(tx)
}
