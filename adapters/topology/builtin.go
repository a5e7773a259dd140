package topology

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultBuiltin is the built-in topology Builtin("default") returns.
const DefaultBuiltin = "2023"

// builtins maps a built-in name to the year of the shape.
var builtins = map[string]int{"2021": 2021, "2021-full": 2021, "2023": 2023}

// BuiltinNames lists the built-in topologies, oldest first: "2021" (August
// 2021: 85 LGSPs, 5 national databases, 9 national systems), "2021-full"
// (the same with the other information systems the report counts, as
// generic nodes: 220 systems of 90 agencies) and "2023" (May 2023: 85
// LGSPs, 9 databases, 13 systems, and the population database's consumers
// EVN and the three telecom operators). Builtin also accepts "default".
func BuiltinNames() []string {
	return slices.Sorted(maps.Keys(builtins))
}

// Builtin returns a fresh copy of a built-in topology, which the caller
// may modify. name is one of BuiltinNames or "default" (DefaultBuiltin);
// any other name is an error wrapping ErrUnknownBuiltin.
func Builtin(name string) (*Topology, error) {
	if name == "default" {
		name = DefaultBuiltin
	}
	year, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("%w %q: want one of %s or default", ErrUnknownBuiltin, name, strings.Join(BuiltinNames(), ", "))
	}
	return build(name, year), nil
}

// build assembles a shape: national databases, national systems, ministry
// LGSPs, then province LGSPs.
func build(name string, year int) *Topology {
	t := &Topology{Name: name}
	for _, n := range slices.Concat(databases, systems, enterprises) {
		if n.since <= year {
			t.Agencies = append(t.Agencies, Agency{
				Code: n.code, Name: n.name, Kind: n.kind, Simulator: n.simulator,
				Provides: servicesOf(n.simulator, false),
			})
		}
	}
	for _, m := range Ministries {
		t.Agencies = append(t.Agencies, lgsp(m.Code, m.Name, hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP))
	}
	for _, p := range vn.Provinces {
		t.Agencies = append(t.Agencies, lgsp(p.AgencyCode, p.Name, hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP))
	}
	if name == "2021-full" {
		t.Agencies = append(t.Agencies, agencySystems(t)...)
	}
	for i := range t.Agencies {
		t.Agencies[i].Consumes = present(t, consumes(t, &t.Agencies[i]))
	}
	return t
}

func lgsp(code, name string, kind hubv1.AgencyKind) Agency {
	province := kind == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP
	return Agency{Code: code, Name: name, Kind: kind, Simulator: SimulatorLGSP, Provides: lgspServices(province)}
}

// present drops the references to providers absent from t (the officials
// database before 2023), so one rule set serves every shape.
func present(t *Topology, refs []ServiceRef) []ServiceRef {
	var out []ServiceRef
	for _, r := range refs {
		if p, _, _ := r.Split(); t.Find(p) != nil {
			out = append(out, r)
		}
	}
	return out
}
