package grpcapi

import (
	"context"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type deliveryServer struct {
	hubv1.UnimplementedDeliveryServiceServer
	e *edge
}

func (s *deliveryServer) Send(ctx context.Context, req *hubv1.SendRequest) (*hubv1.SendResponse, error) {
	resp, err := s.e.h.Send(ctx, req)
	return resp, toStatus(err)
}

func (s *deliveryServer) GetDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.GetDeliveryResponse, error) {
	d, err := s.e.h.GetDelivery(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetDeliveryResponse{Delivery: d}, nil
}
