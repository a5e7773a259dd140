package platform

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/events"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultGrants are the grants that make the flows of a topology work:
// each agency may call what it consumes. What every LGSP of a kind
// consumes is granted to the group (all provincial LGSPs, all ministry
// LGSPs), so that a new LGSP of that kind gets it too.
func DefaultGrants(t *topology.Topology) []*hubv1.AccessGrant {
	seen := map[string]bool{}
	var out []*hubv1.AccessGrant
	for _, a := range t.Agencies {
		lgsp := a.Kind == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP || a.Kind == hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP
		for _, ref := range a.Consumes {
			provider, service, ok := ref.Split()
			if !ok {
				continue
			}
			g := &hubv1.AccessGrant{Provider: provider, Service: service, To: &hubv1.AccessGrant_Consumer{Consumer: a.Code}}
			if lgsp {
				g.To = &hubv1.AccessGrant_Group{Group: a.Kind}
			}
			if k := access.Key(g); !seen[k] {
				seen[k] = true
				out = append(out, g)
			}
		}
	}
	return append(append(out, eventGrants(t)...), documentGrants(t)...)
}

// eventGrants are the subscriptions of the simulators (docs/events.md)
// among the agencies of t: the population database hears of births and
// deaths, social insurance and the province LGSPs of the numbers issued,
// the province LGSPs of the cards.
func eventGrants(t *topology.Topology) []*hubv1.AccessGrant {
	has := map[string]bool{}
	provinces := false
	for _, a := range t.Agencies {
		has[a.Code] = true
		provinces = provinces || a.Kind == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP
	}
	var out []*hubv1.AccessGrant
	add := func(publisher, eventType string, to *hubv1.AccessGrant) {
		if has[publisher] {
			to.Provider, to.Service = publisher, eventType
			out = append(out, to)
		}
	}
	toAgency := func(code string) *hubv1.AccessGrant {
		return &hubv1.AccessGrant{To: &hubv1.AccessGrant_Consumer{Consumer: code}}
	}
	toProvinces := func() *hubv1.AccessGrant {
		return &hubv1.AccessGrant{To: &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP}}
	}
	if has[events.Population] {
		add(events.CivilRegistry, events.TypeBirthRegistered, toAgency(events.Population))
		add(events.CivilRegistry, events.TypeDeathRegistered, toAgency(events.Population))
	}
	if has[events.Insurance] {
		add(events.Population, events.TypePIDIssued, toAgency(events.Insurance))
	}
	if provinces {
		add(events.Population, events.TypePIDIssued, toProvinces())
		add(events.Insurance, events.TypeChildCardIssued, toProvinces())
	}
	return out
}

// seedGrants stores Config.Grants on the first start (an empty grant
// bucket), so that an operator's later revocations survive restarts.
func (p *Platform) seedGrants(ctx context.Context) error {
	store := p.hub.Access()
	if len(p.cfg.Grants) == 0 || len(store.List("")) > 0 {
		return nil
	}
	for _, g := range p.cfg.Grants {
		if _, err := store.Grant(ctx, g, access.By{Name: "ndxp defaults", Operator: true}); err != nil {
			return fmt.Errorf("platform: default grant %s: %w", access.Describe(g), err)
		}
	}
	return nil
}
