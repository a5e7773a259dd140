package topology

import (
	"fmt"
	"slices"
	"strings"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Topology is a set of agency nodes connected to the hub. The zero value is
// an empty topology; Validate reports whether it is usable.
type Topology struct {
	// Name identifies the topology, e.g. "2023" for a built-in one.
	Name string
	// Agencies are the nodes, in the order they are started and listed.
	Agencies []Agency
}

// Agency is one node connected to the hub.
type Agency struct {
	// Code is the electronic agency code (Decision 20/2020 form, e.g.
	// "000.00.00.H29"), unique in the topology.
	Code string
	// Name is the human-readable name.
	Name string
	// Kind is what the node is in the national topology.
	Kind hubv1.AgencyKind
	// Simulator names the simulator that implements the node, one of the
	// Simulator* constants.
	Simulator string
	// Provides are the services the node serves to others.
	Provides []Service
	// Consumes are the services of other nodes it calls.
	Consumes []ServiceRef
	// Behaviour is the injected latency, errors and outage of the
	// simulated node, in the form package behave parses, e.g.
	// "latency=20ms/250ms,errors=0.01:UNAVAILABLE"; empty is none. It is
	// checked when the node starts.
	Behaviour string
	// Backend, when set, is the agency's own HTTP backend
	// (adapters/httpbackend), e.g. "http://127.0.0.1:8000": it serves the
	// agency's Provides instead of the simulator.
	Backend string
}

// Service describes one service an agency provides; it mirrors
// hubv1.Service.
type Service struct {
	// Code names the service within its provider, e.g. "citizen-lookup".
	Code string
	// Description says what the service does.
	Description string
	// RequestType is the full protobuf name of the request payload, e.g.
	// "ndxp.population.v1.LookupCitizenRequest"; empty if not protobuf.
	RequestType string
	// ResponseType is the full protobuf name of the response payload.
	ResponseType string
	// PersonalData marks services returning personal data about citizens.
	PersonalData bool
}

// ServiceRef names a service of another agency as
// "provider-code/service-code", e.g. "000.00.01.G01/citizen-lookup".
type ServiceRef string

// Ref builds the ServiceRef of a provider's service.
func Ref(provider, service string) ServiceRef {
	return ServiceRef(provider + "/" + service)
}

// Split returns the provider code and service code of r; ok is false if r
// has no '/'. The parts are not validated: Validate does that.
func (r ServiceRef) Split() (provider, service string, ok bool) {
	return strings.Cut(string(r), "/")
}

// Proto returns the registration the node sends to the hub.
func (a Agency) Proto() *hubv1.Agency {
	p := &hubv1.Agency{Code: a.Code, Name: a.Name, Kind: a.Kind}
	for _, s := range a.Provides {
		p.Services = append(p.Services, s.Proto())
	}
	return p
}

// Proto returns s as a hubv1.Service.
func (s Service) Proto() *hubv1.Service {
	return &hubv1.Service{
		Code:         s.Code,
		Description:  s.Description,
		RequestType:  s.RequestType,
		ResponseType: s.ResponseType,
		PersonalData: s.PersonalData,
	}
}

// Service returns the provided service with the given code.
func (a Agency) Service(code string) (Service, bool) {
	i := slices.IndexFunc(a.Provides, func(s Service) bool { return s.Code == code })
	if i < 0 {
		return Service{}, false
	}
	return a.Provides[i], true
}

// Find returns the agency with the given code, or nil. The pointer aliases
// t.Agencies.
func (t *Topology) Find(code string) *Agency {
	for i := range t.Agencies {
		if t.Agencies[i].Code == code {
			return &t.Agencies[i]
		}
	}
	return nil
}

// ByKind returns the agencies of one kind, in topology order. The result
// is a new slice of shallow copies.
func (t *Topology) ByKind(kind hubv1.AgencyKind) []Agency {
	var out []Agency
	for _, a := range t.Agencies {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// ProvinceLGSPs returns the province LGSP nodes of t, in topology order.
func ProvinceLGSPs(t *Topology) []Agency {
	return t.ByKind(hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP)
}

// Filter returns the subset of t selected by agency codes and kind names
// ("province-lgsp", ...), keeping t's order and name; an agency is kept if
// any selector matches it. It is how a process starts only some nodes.
// Consumes are kept as they are, so they may name providers outside the
// subset (run by another process): validate the full topology, not the
// subset. A selector that is neither a code in t nor a kind name is an
// error wrapping ErrUnknownSelector.
func (t *Topology) Filter(selectors ...string) (*Topology, error) {
	codes := map[string]bool{}
	kinds := map[hubv1.AgencyKind]bool{}
	for _, s := range selectors {
		if k, err := ParseKind(s); err == nil {
			kinds[k] = true
			continue
		}
		if t.Find(s) == nil {
			return nil, fmt.Errorf("%w: %q is neither an agency code of topology %q nor a kind (%s)",
				ErrUnknownSelector, s, t.Name, strings.Join(KindNames(), ", "))
		}
		codes[s] = true
	}
	sub := &Topology{Name: t.Name}
	for _, a := range t.Agencies {
		if codes[a.Code] || kinds[a.Kind] {
			sub.Agencies = append(sub.Agencies, a)
		}
	}
	return sub, nil
}
