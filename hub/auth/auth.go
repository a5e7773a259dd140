// Package auth carries the authenticated caller through a request. The hub
// routes on the consumer taken from here, never on a field the caller
// fills in: in secure mode the identity comes from the caller's TLS
// certificate; in insecure mode no identity is set and the hub trusts the
// consumer named in the request.
package auth

import (
	"context"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Identity is an authenticated caller.
type Identity struct {
	// Agency is the caller's agency code.
	Agency string
	// Subject describes where the identity came from, e.g. a certificate's
	// subject, for logs and audit.
	Subject string
	// Role is what kind of caller this is; Agency is set only for
	// RoleAgency.
	Role Role
	// Kind is the agency's kind as its certificate states it (the CA
	// vouches for it, unlike a self-made registration): group grants
	// apply by it. Unspecified if the certificate states none.
	Kind hubv1.AgencyKind
}

// IsOperator reports whether the caller is the platform operator.
func (id Identity) IsOperator() bool { return id.Role == RoleOperator }

// MayActFor reports whether the caller may act for agency code: it is
// that agency, or the operator.
func (id Identity) MayActFor(code string) bool {
	return id.IsOperator() || (id.Role == RoleAgency && id.Agency == code)
}

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the caller's identity and whether one was set.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
