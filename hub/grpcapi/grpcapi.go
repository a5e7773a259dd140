// Package grpcapi is the hub's gRPC edge: the services of
// proto/ndxp/hub/v1 over the exchange core (hub.Hub), the assembled server
// (interceptors, health, reflection, graceful stop), the codec, and the
// one table that turns the core's errors into gRPC statuses (errors.go).
// It decides nothing about an exchange: every check, record and count is
// the core's.
package grpcapi

import (
	"context"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/hub"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// RegisterServices registers the hub's gRPC services over h on s; log
// takes the debug lines of refused stream acknowledgements. Subscribe and
// ReceiveDocuments streams end when h closes; nothing ends WatchStats
// streams but their clients: a Server's Shutdown ends every stream of the
// services it registered itself.
func RegisterServices(s grpc.ServiceRegistrar, h *hub.Hub, log *zap.Logger) {
	register(s, &edge{h: h, log: log})
}

// edge is what every service of one registration shares: the core, the
// log of the stream acknowledgements, and the end of its streams.
type edge struct {
	h       *hub.Hub
	log     *zap.Logger
	watches watches
}

func register(s grpc.ServiceRegistrar, e *edge) {
	hubv1.RegisterRegistryServiceServer(s, &registryServer{e: e})
	hubv1.RegisterExchangeServiceServer(s, &exchangeServer{e: e})
	hubv1.RegisterStatsServiceServer(s, &statsServer{e: e})
	hubv1.RegisterAccessServiceServer(s, &accessServer{e: e})
	hubv1.RegisterDeliveryServiceServer(s, &deliveryServer{e: e})
	hubv1.RegisterEventServiceServer(s, &eventServer{e: e})
	hubv1.RegisterDocumentServiceServer(s, &documentServer{e: e})
}

type registryServer struct {
	hubv1.UnimplementedRegistryServiceServer
	e *edge
}

func (s *registryServer) RegisterAgency(ctx context.Context, req *hubv1.RegisterAgencyRequest) (*hubv1.RegisterAgencyResponse, error) {
	a, err := s.e.h.RegisterAgency(ctx, req.GetAgency())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.RegisterAgencyResponse{Agency: a}, nil
}

func (s *registryServer) GetAgency(_ context.Context, req *hubv1.GetAgencyRequest) (*hubv1.GetAgencyResponse, error) {
	a, err := s.e.h.Agency(req.GetCode())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetAgencyResponse{Agency: a}, nil
}

func (s *registryServer) ListAgencies(_ context.Context, req *hubv1.ListAgenciesRequest) (*hubv1.ListAgenciesResponse, error) {
	return &hubv1.ListAgenciesResponse{Agencies: s.e.h.ListAgencies(req.GetKind())}, nil
}
