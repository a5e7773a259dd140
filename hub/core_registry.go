package hub

import (
	"context"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// RegisterAgency registers a (or updates its registration) once the
// caller may: an authenticated agency registers only itself, under its
// certificate's kind; the operator and an insecure hub's callers anyone.
// It returns the agency as stored, visible on this hub at once and on the
// others shortly after.
func (h *Hub) RegisterAgency(ctx context.Context, a *hubv1.Agency) (*hubv1.Agency, error) {
	if err := mayRegister(ctx, a); err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.Agency, error) { return h.reg.Register(ctx, a) })
}

// Agency returns the registration of the agency code, or an error
// wrapping registry.ErrUnknownAgency. The result must not be modified.
func (h *Hub) Agency(code string) (*hubv1.Agency, error) {
	return h.reg.Get(code)
}

// ListAgencies returns the registered agencies of kind (every kind for
// AGENCY_KIND_UNSPECIFIED), sorted by code. The results must not be
// modified.
func (h *Hub) ListAgencies(kind hubv1.AgencyKind) []*hubv1.Agency {
	return h.reg.List(kind)
}
