package hub

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/hub/auth"
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
	// (0: unlimited); RateBurst how many at once (default: RateLimit,
	// at least 1).
	RateLimit float64
	RateBurst int
	// DailyQuota is how many exchanges each consumer may make per business
	// day on this hub (0: unlimited).
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

func who(id auth.Identity) string {
	if id.Agency != "" {
		return id.Agency
	}
	return id.Subject
}
