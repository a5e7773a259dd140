package grpcapi

import (
	"context"

	"go.uber.org/zap"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type documentServer struct {
	hubv1.UnimplementedDocumentServiceServer
	e *edge
}

func (s *documentServer) SendDocument(ctx context.Context, req *hubv1.SendDocumentRequest) (*hubv1.SendDocumentResponse, error) {
	resp, err := s.e.h.SendDocument(ctx, req)
	return resp, toStatus(err)
}

func (s *documentServer) SendReceipt(ctx context.Context, req *hubv1.SendReceiptRequest) (*hubv1.SendReceiptResponse, error) {
	resp, err := s.e.h.SendReceipt(ctx, req)
	return resp, toStatus(err)
}

func (s *documentServer) GetDocument(ctx context.Context, req *hubv1.GetDocumentRequest) (*hubv1.GetDocumentResponse, error) {
	resp, err := s.e.h.GetDocument(ctx, req)
	return resp, toStatus(err)
}

func (s *documentServer) ReceiveDocuments(stream hubv1.DocumentService_ReceiveDocumentsServer) error {
	return toStatus(s.receive(stream))
}

// receive serves one inbox stream like a subscription (see
// eventServer.subscribe): the first request opens it, the others
// acknowledge.
func (s *documentServer) receive(stream hubv1.DocumentService_ReceiveDocumentsServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return field.Errorf("open", "must be the first request of the stream")
	}
	inbox, err := s.e.h.OpenInbox(stream.Context(), open)
	if err != nil {
		return err
	}
	acks := func(ctx context.Context) error {
		for {
			req, err := stream.Recv()
			if err != nil {
				return err
			}
			if req.GetAck() == nil {
				return field.Errorf("ack", "is required after the first request")
			}
			if err := inbox.Ack(ctx, req.GetAck().GetSequence()); err != nil {
				s.e.log.Debug("document not acknowledged", zap.Error(err))
				return err
			}
		}
	}
	return pump(stream.Context(), s.e, inbox, acks, func(doc *hubv1.ReceivedDocument) error {
		return stream.Send(&hubv1.ReceiveDocumentsResponse{Document: doc})
	})
}
