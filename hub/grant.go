package hub

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/auth"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Grant stores g once it is well formed, the caller may act for its
// provider and its consumer is registered (or a group); the provider's
// limits on grants apply to anyone but the authenticated operator. It
// returns the grant as stored.
func (h *Hub) Grant(ctx context.Context, g *hubv1.AccessGrant) (*hubv1.AccessGrant, error) {
	if err := access.Validate(g); err != nil {
		return nil, err
	}
	if err := mayActFor(ctx, g.GetProvider()); err != nil {
		return nil, err
	}
	if err := h.registeredConsumer(g); err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.AccessGrant, error) { return h.access.Grant(ctx, g, granter(ctx)) })
}

// Revoke removes g once it is well formed and the caller may act for its
// provider.
func (h *Hub) Revoke(ctx context.Context, g *hubv1.AccessGrant) error {
	if err := access.Validate(g); err != nil {
		return err
	}
	if err := mayActFor(ctx, g.GetProvider()); err != nil {
		return err
	}
	return h.doOnNATS(ctx, func(ctx context.Context) error { return h.access.Revoke(ctx, g) })
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

// Access is the hub's grant store: its List serves ListGrants.
func (h *Hub) Access() *access.Store { return h.access }
