package hub

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Security configures who may call the hub and what they may read. The
// zero value is the open development mode of tests: no identity required,
// grants not enforced, no rate limit.
type Security struct {
	// RequireIdentity makes every call except health and reflection carry
	// a verified client certificate (the server must use TLS credentials
	// that verify client certificates, see internal/pki); the consumer of
	// an exchange is then the certificate's agency.
	RequireIdentity bool
	// EnforceGrants refuses exchanges the provider has not granted to the
	// consumer (deny by default), and exchanges of personal-data services
	// without a purpose and a user id.
	EnforceGrants bool
	// RateLimit is how many exchanges per second each consumer may make
	// through this hub (0: unlimited); RateBurst how many at once
	// (default: RateLimit, at least 1). It is per hub: with N hubs sharing
	// the load a consumer may make up to N times as many; give each hub
	// the platform's rate divided by N.
	RateLimit float64
	RateBurst int
	// DailyQuota is how many exchanges each consumer may make per business
	// day on the platform, all hubs together (0: unlimited): the hubs add
	// to shared JetStream counters (QuotaStream).
	DailyQuota int64
}

// mayActFor refuses a caller that is authenticated but neither the agency
// code nor the operator. An unauthenticated caller (insecure mode) may.
func mayActFor(ctx context.Context, code string) error {
	id, ok := auth.FromContext(ctx)
	if !ok || id.MayActFor(code) {
		return nil
	}
	return fmt.Errorf("%w: the caller is %s and may not act for agency %s", ErrForbidden, who(id), code)
}

// mayRegister refuses a registration an authenticated caller may not
// make: another agency's, or its own under another kind than its
// certificate states (group grants follow the certificate's kind; a
// registry saying otherwise would only mislead).
func mayRegister(ctx context.Context, a *hubv1.Agency) error {
	if err := mayActFor(ctx, a.GetCode()); err != nil {
		return err
	}
	id, ok := auth.FromContext(ctx)
	if ok && id.Role == auth.RoleAgency && id.Kind != hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED && a.GetKind() != id.Kind {
		return fmt.Errorf("%w: the certificate of %s states kind %s, the registration %s", ErrForbidden, id.Agency, id.Kind, a.GetKind())
	}
	return nil
}

// mayReadRecords refuses an agency that asks for transaction records other
// than its own (where it is the consumer or the provider): it must name
// itself as the query's agency. The operator may read all.
func mayReadRecords(ctx context.Context, agency string) error {
	id, ok := auth.FromContext(ctx)
	if !ok || id.IsOperator() || (id.Role == auth.RoleAgency && agency == id.Agency) {
		return nil
	}
	return fmt.Errorf("%w: %s may read only its own records: set agency to %s", ErrForbidden, who(id), who(id))
}

// maySetBusinessTime reports whether the caller may choose the business
// time its exchange is counted at: only the operator (load replays), or
// anyone on an insecure hub, which has no identities. An agency's
// exchanges are counted on the day the hub receives them.
func maySetBusinessTime(ctx context.Context) bool {
	id, ok := auth.FromContext(ctx)
	return !ok || id.IsOperator()
}

// certified reports whether the consumer of the call is the caller's own
// certificate (an agency's), rather than named by the request.
func certified(ctx context.Context) bool {
	id, ok := auth.FromContext(ctx)
	return ok && id.Role == auth.RoleAgency
}

func who(id auth.Identity) string {
	if id.Agency != "" {
		return id.Agency
	}
	return id.Subject
}

// authorize applies access control to an exchange whose provider offers
// svc, for consumer, whose kind comes from its certificate: the provider's grant (deny by default), then, for personal data, a
// stated purpose and end user.
func (h *Hub) authorize(ctx context.Context, consumer string, req *hubv1.ExchangeRequest, svc *hubv1.Service) error {
	if !h.cfg.Security.EnforceGrants {
		return nil
	}
	// Group membership is what the certificate states, not what the
	// agency registered itself as: only the CA vouches for a kind. When
	// the operator acts for a consumer, the consumer's registration says
	// (an agency may register only under its certificate's kind).
	id, _ := auth.FromContext(ctx)
	kind := id.Kind
	if id.IsOperator() {
		if h.reg.KnownAgency(consumer) { // no error built for an unregistered one
			a, _ := h.reg.Get(consumer)
			kind = a.GetKind()
		}
	}
	if err := h.access.Check(consumer, kind, req.GetProvider(), req.GetService()); err != nil {
		return err
	}
	if !svc.GetPersonalData() {
		return nil
	}
	if !hasVisible(req.GetPurpose()) {
		return field.Errorf("purpose", "is required: %s/%s returns personal data; state the case or procedure the request serves", req.GetProvider(), req.GetService())
	}
	if !hasVisible(req.GetUserId()) {
		return field.Errorf("user_id", "is required: %s/%s returns personal data; name the official the request is made for", req.GetProvider(), req.GetService())
	}
	return nil
}
