package hub

import (
	"context"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// The document axis's core beyond SendDocument (documents.go), shared by
// the gRPC service and the REST ingress.

// GetDocument returns a document's envelope and receipts to its sender or
// one of its recipients.
func (h *Hub) GetDocument(ctx context.Context, req *hubv1.GetDocumentRequest) (*hubv1.GetDocumentResponse, error) {
	named := req.GetCaller()
	if named == "" {
		named = req.GetSender()
	}
	caller, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.GetDocumentResponse, error) {
		return h.docs.Get(ctx, caller, req.GetSender(), req.GetDocumentId())
	})
}

// SendReceipt stores a recipient's receipt on a document it received.
func (h *Hub) SendReceipt(ctx context.Context, req *hubv1.SendReceiptRequest) (*hubv1.SendReceiptResponse, error) {
	recipient, err := h.consumer(ctx, req.GetRecipient())
	if err != nil {
		return nil, err
	}
	rc, err := onNATS(h, ctx, func(ctx context.Context) (*hubv1.Receipt, error) { return h.docs.Receipt(ctx, recipient, req) })
	if err != nil {
		return nil, err
	}
	return &hubv1.SendReceiptResponse{Receipt: rc}, nil
}

// Inbox lists up to limit documents of the named recipient's inbox from
// sequence from on, without taking them (see documents.Service.Peek): a
// client without a stream takes each one with TakeDocument.
func (h *Hub) Inbox(ctx context.Context, named string, from uint64, limit int) ([]*hubv1.ReceivedDocument, error) {
	recipient, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) ([]*hubv1.ReceivedDocument, error) {
		return h.docs.Peek(ctx, recipient, from, limit)
	})
}

// TakeDocument records the named recipient's document at sequence
// received (receipt RECEIVED) and removes it from its inbox.
func (h *Hub) TakeDocument(ctx context.Context, named string, sequence uint64) (*hubv1.DocumentEnvelope, error) {
	recipient, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.DocumentEnvelope, error) {
		return h.docs.Take(ctx, recipient, sequence)
	})
}

// EventPayloadType is the protobuf message name an event type's payload
// is, e.g. "ndxp.events.v1.BirthRegistered".
func (h *Hub) EventPayloadType(eventType string) (string, error) {
	t, err := h.events.svc.Type(eventType)
	if err != nil {
		return "", err
	}
	return t.PayloadType(), nil
}
