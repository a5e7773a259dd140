package auth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Role is what kind of caller an Identity is.
type Role int

// Roles.
const (
	// RoleAgency is an agency system acting for its agency code.
	RoleAgency Role = iota
	// RoleOperator runs the platform: it may manage any agency's
	// registration and grants, read statistics and the audit log, but it
	// is not an agency and makes no exchanges.
	RoleOperator
	// RoleHub is a hub instance (its NATS identity).
	RoleHub
)

// ErrNoIdentity: a certificate carries no ndxp identity.
var ErrNoIdentity = errors.New("auth: certificate carries no ndxp identity")

// ParseURI maps one URI SAN to an identity. It is the one mapping from
// certificates to identities; agency codes are validated.
func ParseURI(uri string) (Identity, error) {
	switch uri {
	case wire.OperatorURI:
		return Identity{Role: RoleOperator, Subject: uri}, nil
	case wire.HubURI:
		return Identity{Role: RoleHub, Subject: uri}, nil
	}
	code, ok := strings.CutPrefix(uri, wire.AgencyURIPrefix)
	if !ok {
		return Identity{}, fmt.Errorf("%w: URI %.80q does not start with %s", ErrNoIdentity, uri, wire.AgencyURIPrefix)
	}
	if err := wire.ValidateAgencyCode(code); err != nil {
		return Identity{}, fmt.Errorf("%w: URI %.80q: %w", ErrNoIdentity, uri, err)
	}
	return Identity{Role: RoleAgency, Agency: code, Subject: uri}, nil
}

// FromCertificate maps a verified certificate to its identity: exactly one
// URI SAN must parse with ParseURI. The subject's common name is ignored,
// so that a name chosen by a person cannot be mistaken for a code.
func FromCertificate(cert *x509.Certificate) (Identity, error) {
	var found []Identity
	for _, u := range cert.URIs {
		if id, err := ParseURI(u.String()); err == nil {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return Identity{}, fmt.Errorf("%w: no URI SAN of the form %s<code> (subject %q)", ErrNoIdentity, wire.AgencyURIPrefix, cert.Subject.String())
	case 1:
		id := found[0]
		if id.Role == RoleAgency {
			id.Kind = KindOf(cert.Subject.OrganizationalUnit)
		}
		return id, nil
	}
	return Identity{}, fmt.Errorf("%w: %d ndxp URIs in one certificate; want exactly one", ErrNoIdentity, len(found))
}

// KindOf reads an agency kind from a certificate subject's organizational
// units: the first that names a kind (e.g. "AGENCY_KIND_PROVINCE_LGSP").
func KindOf(units []string) hubv1.AgencyKind {
	for _, u := range units {
		if k, ok := hubv1.AgencyKind_value[u]; ok && k != 0 {
			return hubv1.AgencyKind(k)
		}
	}
	return hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED
}
