package hub

import (
	"context"
	"errors"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/callctx"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type documentServer struct {
	hubv1.UnimplementedDocumentServiceServer
	h *Hub
}

func (s *documentServer) SendDocument(ctx context.Context, req *hubv1.SendDocumentRequest) (*hubv1.SendDocumentResponse, error) {
	resp, err := s.h.SendDocument(ctx, req)
	return resp, toStatus(err)
}

// SendDocument is the core of every ingress (gRPC, REST): the sender, its
// limits and grants, then the inboxes.
func (h *Hub) SendDocument(ctx context.Context, req *hubv1.SendDocumentRequest) (*hubv1.SendDocumentResponse, error) {
	sender, err := h.documentSender(ctx, req)
	if err != nil {
		return nil, err
	}
	relayed := req.GetContextToken() != ""
	if err := h.admitDocument(ctx, sender, req.GetEnvelope(), relayed); err != nil {
		return nil, err
	}
	if relayed {
		return h.docs.Relay(ctx, sender, req.GetEnvelope())
	}
	return h.docs.Send(ctx, sender, req.GetEnvelope())
}

// documentSender is the agency a document is sent for: the caller, or,
// with a context token, the consumer of the "document-send" exchange the
// document exchange axis is forwarding (the token proves the axis serves
// that exchange).
func (h *Hub) documentSender(ctx context.Context, req *hubv1.SendDocumentRequest) (string, error) {
	token := req.GetContextToken()
	if token == "" {
		return h.consumer(ctx, req.GetEnvelope().GetSender())
	}
	caller, err := h.consumer(ctx, "")
	if err != nil {
		return "", err
	}
	if caller == "" { // insecure hub or the operator: the token names the caller
		caller = callctx.Provider(token)
	}
	c, err := h.nest.verifier.Verify(token, caller, time.Now())
	switch {
	case err != nil:
		return "", field.Wrap("context_token", err)
	case c.Provider != h.docs.Axis():
		return "", field.Errorf("context_token", "was issued to %s; only the document exchange axis %s forwards documents for another agency", c.Provider, h.docs.Axis())
	case c.Consumer == "":
		return "", field.Errorf("context_token", "names no consumer (issued by an older hub); send the document again")
	}
	if named := req.GetEnvelope().GetSender(); named != "" && named != c.Consumer {
		return "", field.Errorf("envelope.sender", "is %s but exchange %s being forwarded is %s's: leave it empty or set it to %s", named, c.Parent, c.Consumer, c.Consumer)
	}
	return c.Consumer, nil
}

func (s *documentServer) SendReceipt(ctx context.Context, req *hubv1.SendReceiptRequest) (*hubv1.SendReceiptResponse, error) {
	resp, err := s.h.SendReceipt(ctx, req)
	return resp, toStatus(err)
}

func (s *documentServer) GetDocument(ctx context.Context, req *hubv1.GetDocumentRequest) (*hubv1.GetDocumentResponse, error) {
	resp, err := s.h.GetDocument(ctx, req)
	return resp, toStatus(err)
}

func (s *documentServer) ReceiveDocuments(stream hubv1.DocumentService_ReceiveDocumentsServer) error {
	return toStatus(s.h.receiveDocuments(stream))
}

// receiveDocuments serves one inbox stream like a subscription (see
// subscribe): the first request opens it, the others acknowledge.
func (h *Hub) receiveDocuments(stream hubv1.DocumentService_ReceiveDocumentsServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return field.Errorf("open", "must be the first request of the stream")
	}
	recipient, err := h.consumer(stream.Context(), open.GetRecipient())
	if err != nil {
		return err
	}
	inbox, err := h.docs.Open(stream.Context(), recipient, int(open.GetWindow()))
	if err != nil {
		return err
	}
	defer inbox.Close()
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	stopOnHubClose := context.AfterFunc(h.events.ctx, func() { cancel(ErrShuttingDown) })
	defer stopOnHubClose()
	go func() {
		select {
		case <-h.watches.done():
			cancel(ErrShuttingDown)
		case <-ctx.Done():
		}
	}()
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				cancel(err)
				return
			}
			if req.GetAck() == nil {
				cancel(field.Errorf("ack", "is required after the first request"))
				return
			}
			if err := inbox.Ack(ctx, req.GetAck().GetSequence()); err != nil {
				h.log.Debug("document not acknowledged", zap.Error(err))
				cancel(err)
				return
			}
		}
	}()
	stopNext := context.AfterFunc(ctx, inbox.Close)
	defer stopNext()
	for {
		doc, err := inbox.Next(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				if errors.Is(cause, io.EOF) {
					return nil
				}
				return cause
			}
			return err
		}
		if err := stream.Send(&hubv1.ReceiveDocumentsResponse{Document: doc}); err != nil {
			return err
		}
	}
}
