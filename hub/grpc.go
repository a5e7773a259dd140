package hub

import (
	"context"

	"google.golang.org/grpc"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// RegisterServices registers the hub's gRPC services on s.
func (h *Hub) RegisterServices(s grpc.ServiceRegistrar) {
	hubv1.RegisterRegistryServiceServer(s, &registryServer{h: h})
	hubv1.RegisterExchangeServiceServer(s, &exchangeServer{h: h})
	hubv1.RegisterStatsServiceServer(s, &statsServer{h: h})
	hubv1.RegisterAccessServiceServer(s, &accessServer{h: h})
	hubv1.RegisterDeliveryServiceServer(s, &deliveryServer{h: h})
	hubv1.RegisterEventServiceServer(s, &eventServer{h: h})
	hubv1.RegisterDocumentServiceServer(s, &documentServer{h: h})
}

type registryServer struct {
	hubv1.UnimplementedRegistryServiceServer
	h *Hub
}

func (s *registryServer) RegisterAgency(ctx context.Context, req *hubv1.RegisterAgencyRequest) (*hubv1.RegisterAgencyResponse, error) {
	if err := mayRegister(ctx, req.GetAgency()); err != nil {
		return nil, toStatus(err)
	}
	a, err := s.h.reg.Register(ctx, req.GetAgency())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.RegisterAgencyResponse{Agency: a}, nil
}

func (s *registryServer) GetAgency(_ context.Context, req *hubv1.GetAgencyRequest) (*hubv1.GetAgencyResponse, error) {
	a, err := s.h.reg.Get(req.GetCode())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetAgencyResponse{Agency: a}, nil
}

func (s *registryServer) ListAgencies(_ context.Context, req *hubv1.ListAgenciesRequest) (*hubv1.ListAgenciesResponse, error) {
	return &hubv1.ListAgenciesResponse{Agencies: s.h.reg.List(req.GetKind())}, nil
}

type exchangeServer struct {
	hubv1.UnimplementedExchangeServiceServer
	h *Hub
}

func (s *exchangeServer) Exchange(ctx context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error) {
	resp, err := s.h.Exchange(ctx, req)
	return resp, toStatus(err)
}
