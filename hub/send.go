package hub

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type deliveryServer struct {
	hubv1.UnimplementedDeliveryServiceServer
	h *Hub
}

func (s *deliveryServer) Send(ctx context.Context, req *hubv1.SendRequest) (*hubv1.SendResponse, error) {
	resp, err := s.h.send(ctx, req)
	return resp, toStatus(err)
}

func (s *deliveryServer) GetDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.GetDeliveryResponse, error) {
	d, err := s.h.getDelivery(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetDeliveryResponse{Delivery: d}, nil
}

// send checks a request exactly as an exchange (admit) and stores it for
// asynchronous delivery. A refused request is not stored and not recorded:
// the caller learns it at once, and may send it again, corrected, with the
// same message id; only the final outcome of a delivery is counted.
func (h *Hub) send(ctx context.Context, in *hubv1.SendRequest) (*hubv1.SendResponse, error) {
	accepted := time.Now()
	req := &hubv1.ExchangeRequest{
		MessageId: in.GetMessageId(), Consumer: in.GetConsumer(), Provider: in.GetProvider(), Service: in.GetService(),
		Payload: in.GetPayload(), BusinessTime: in.GetBusinessTime(), Purpose: in.GetPurpose(), UserId: in.GetUserId(),
	}
	if req.GetMessageId() == "" {
		return nil, field.Errorf("message_id", "is required: a delivery is fetched, and re-sent without duplicates, by its id")
	}
	nest := h.nestedCall(ctx, req)
	consumer, err := h.admit(ctx, req, nest)
	if err != nil {
		return nil, err
	}
	req.Consumer, req.BusinessTime = consumer, nest.businessTime
	if req.BusinessTime == nil {
		req.BusinessTime = timestamppb.New(accepted)
	}
	return h.deliver.Send(ctx, req, accepted)
}

// getDelivery returns the state of a delivery of the caller's (or, for
// the operator and an insecure hub, of the consumer the request names).
func (h *Hub) getDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.Delivery, error) {
	consumer, err := h.consumer(ctx, req.GetConsumer())
	if err != nil {
		return nil, err
	}
	if err := wire.ValidateAgencyCode(consumer); err != nil {
		return nil, field.Wrap("consumer", err)
	}
	if req.GetMessageId() == "" {
		return nil, field.Errorf("message_id", "is required")
	}
	if err := checkMessageID(req.GetMessageId()); err != nil {
		return nil, field.Wrap("message_id", err)
	}
	return h.deliver.Get(ctx, consumer, req.GetMessageId())
}

// deliveryRecorder records a finished delivery as a transaction.
type deliveryRecorder struct{ h *Hub }

// Record implements delivery.Recorder.
func (r deliveryRecorder) Record(tx *hubv1.TransactionRecord) error {
	sanitize(tx)
	return r.h.record(tx)
}

// outcome is the code and message of a delivery attempt's error.
func outcome(err error) (int32, string) {
	return int32(codeOf(err)), message(err)
}
