package grpcapi

import (
	"context"

	"go.uber.org/zap"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type eventServer struct {
	hubv1.UnimplementedEventServiceServer
	e *edge
}

func (s *eventServer) ListEventTypes(context.Context, *hubv1.ListEventTypesRequest) (*hubv1.ListEventTypesResponse, error) {
	return &hubv1.ListEventTypesResponse{Types: s.e.h.EventTypes()}, nil
}

func (s *eventServer) Publish(ctx context.Context, req *hubv1.PublishRequest) (*hubv1.PublishResponse, error) {
	resp, err := s.e.h.Publish(ctx, req)
	return resp, toStatus(err)
}

func (s *eventServer) Subscribe(stream hubv1.EventService_SubscribeServer) error {
	return toStatus(s.subscribe(stream))
}

// subscribe serves one subscription: the first request opens it, the
// others acknowledge events; it ends when the client closes its side, the
// hub or the server shuts down, or the grant is revoked.
func (s *eventServer) subscribe(stream hubv1.EventService_SubscribeServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return field.Errorf("open", "must be the first request of a subscription")
	}
	sub, err := s.e.h.Subscribe(stream.Context(), open)
	if err != nil {
		return err
	}
	acks := func(context.Context) error {
		for {
			req, err := stream.Recv()
			if err != nil {
				return err
			}
			ack := req.GetAck()
			if ack == nil {
				return field.Errorf("ack", "is required after the first request")
			}
			if err := sub.Ack(ack.GetSequence()); err != nil {
				s.e.log.Debug("event not acknowledged", zap.Uint64("sequence", ack.GetSequence()), zap.Error(err))
				return err
			}
		}
	}
	return pump(stream.Context(), s.e, sub, acks, func(ev *hubv1.Event) error {
		return stream.Send(&hubv1.SubscribeResponse{Event: ev})
	})
}
