package hub

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/auth"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type accessServer struct {
	hubv1.UnimplementedAccessServiceServer
	h *Hub
}

func (s *accessServer) Grant(ctx context.Context, req *hubv1.GrantRequest) (*hubv1.GrantResponse, error) {
	if err := access.Validate(req.GetGrant()); err != nil {
		return nil, toStatus(err)
	}
	if err := mayActFor(ctx, req.GetGrant().GetProvider()); err != nil {
		return nil, toStatus(err)
	}
	if err := s.h.registeredConsumer(req.GetGrant()); err != nil {
		return nil, toStatus(err)
	}
	g, err := s.h.access.Grant(ctx, req.GetGrant(), granter(ctx))
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GrantResponse{Grant: g}, nil
}

func (s *accessServer) Revoke(ctx context.Context, req *hubv1.RevokeRequest) (*hubv1.RevokeResponse, error) {
	if err := access.Validate(req.GetGrant()); err != nil {
		return nil, toStatus(err)
	}
	if err := mayActFor(ctx, req.GetGrant().GetProvider()); err != nil {
		return nil, toStatus(err)
	}
	if err := s.h.access.Revoke(ctx, req.GetGrant()); err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.RevokeResponse{}, nil
}

func (s *accessServer) ListGrants(_ context.Context, req *hubv1.ListGrantsRequest) (*hubv1.ListGrantsResponse, error) {
	return &hubv1.ListGrantsResponse{Grants: s.h.access.List(req.GetProvider())}, nil
}

// registeredConsumer refuses a grant to a consumer no agency has
// registered: grants name registered agencies or groups, so no one can
// fill the store with made-up consumers.
func (h *Hub) registeredConsumer(g *hubv1.AccessGrant) error {
	c := g.GetConsumer()
	if c == "" {
		return nil
	}
	if _, err := h.reg.Get(c); err != nil {
		return fmt.Errorf("grant.consumer: %w; a grant names a registered agency or a group (an agency kind): register %s first", err, c)
	}
	return nil
}

// granter is who makes a grant: only the authenticated operator is
// exempt from the providers' limits (not an unauthenticated caller in
// insecure mode, who could be anyone).
func granter(ctx context.Context) access.By {
	id, ok := auth.FromContext(ctx)
	return access.By{Name: caller(ctx), Operator: ok && id.IsOperator()}
}

// caller names the authenticated caller for records, "unauthenticated" in
// insecure mode.
func caller(ctx context.Context) string {
	if id, ok := auth.FromContext(ctx); ok {
		return id.Subject
	}
	return "unauthenticated"
}

// Access is the hub's grant store.
func (h *Hub) Access() *access.Store { return h.access }

func (s *accessServer) ListAllowed(ctx context.Context, req *hubv1.ListAllowedRequest) (*hubv1.ListAllowedResponse, error) {
	svcs, err := s.h.Allowed(ctx, req.GetConsumer())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.ListAllowedResponse{Services: svcs}, nil
}
