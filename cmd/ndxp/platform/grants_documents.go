package platform

import (
	"slices"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/hub/documents"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// documentGrants let every agency of t send documents to every other, as
// the national document exchange axis connects them all: each agency
// grants "documents" to each kind of agency of t (one grant per group, so
// a new agency of a kind is covered). An operator narrows it by revoking
// a group and granting agencies one by one.
func documentGrants(t *topology.Topology) []*hubv1.AccessGrant {
	var kinds []hubv1.AgencyKind
	for _, a := range t.Agencies {
		if !slices.Contains(kinds, a.Kind) && a.Kind != hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
			kinds = append(kinds, a.Kind)
		}
	}
	var out []*hubv1.AccessGrant
	for _, a := range t.Agencies {
		for _, k := range kinds {
			out = append(out, &hubv1.AccessGrant{Provider: a.Code, Service: documents.GrantService, To: &hubv1.AccessGrant_Group{Group: k}})
		}
	}
	return out
}
