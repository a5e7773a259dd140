package grpcapi

import (
	"context"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type accessServer struct {
	hubv1.UnimplementedAccessServiceServer
	e *edge
}

func (s *accessServer) Grant(ctx context.Context, req *hubv1.GrantRequest) (*hubv1.GrantResponse, error) {
	g, err := s.e.h.Grant(ctx, req.GetGrant())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GrantResponse{Grant: g}, nil
}

func (s *accessServer) Revoke(ctx context.Context, req *hubv1.RevokeRequest) (*hubv1.RevokeResponse, error) {
	if err := s.e.h.Revoke(ctx, req.GetGrant()); err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.RevokeResponse{}, nil
}

func (s *accessServer) ListGrants(_ context.Context, req *hubv1.ListGrantsRequest) (*hubv1.ListGrantsResponse, error) {
	return &hubv1.ListGrantsResponse{Grants: s.e.h.Access().List(req.GetProvider())}, nil
}

func (s *accessServer) ListAllowed(ctx context.Context, req *hubv1.ListAllowedRequest) (*hubv1.ListAllowedResponse, error) {
	svcs, err := s.e.h.Allowed(ctx, req.GetConsumer())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.ListAllowedResponse{Services: svcs}, nil
}
