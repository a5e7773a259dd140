package topology

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// small returns a fresh valid topology: a provider and a consumer.
func small() *Topology {
	return &Topology{Name: "t", Agencies: []Agency{
		{
			Code: PopulationCode, Name: "Dân cư", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE,
			Simulator: SimulatorPopulation,
			Provides: []Service{
				{Code: "citizen-lookup", RequestType: "ndxp.population.v1.LookupCitizenRequest", ResponseType: "ndxp.population.v1.LookupCitizenResponse"},
				{Code: "pid-issue"},
			},
		},
		{
			Code: "000.00.00.H29", Name: "Hồ Chí Minh", Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP,
			Simulator: SimulatorLGSP,
			Consumes:  []ServiceRef{Ref(PopulationCode, "citizen-lookup")},
		},
	}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Topology)
		err    error
		msg    string // the whole first line of the error must start with it
	}{
		{"valid", func(*Topology) {}, nil, ""},
		{"no agencies", func(t *Topology) { t.Agencies = nil }, ErrNoAgencies,
			"topology: agencies: no agencies"},
		{"bad code", func(t *Topology) { t.Agencies[1].Code = "000.00.00.H2x" }, wire.ErrAgencyCode,
			`topology: agencies[1] (000.00.00.H2x): code: wire: invalid agency code "000.00.00.H2x"`},
		{"empty code", func(t *Topology) { t.Agencies[1].Code = "" }, wire.ErrAgencyCode,
			`topology: agencies[1] (no code): code: wire: invalid agency code ""`},
		{"duplicate code", func(t *Topology) { t.Agencies[1].Code = PopulationCode }, ErrDuplicate,
			"topology: agencies[1] (000.00.01.G01): code: duplicate agency code, first at agencies[0]"},
		{"empty name", func(t *Topology) { t.Agencies[0].Name = " " }, ErrEmpty,
			"topology: agencies[0] (000.00.01.G01): name: empty"},
		{"unspecified kind", func(t *Topology) { t.Agencies[0].Kind = 0 }, ErrUnknownKind,
			"topology: agencies[0] (000.00.01.G01): kind: unknown kind AGENCY_KIND_UNSPECIFIED"},
		{"unknown kind", func(t *Topology) { t.Agencies[0].Kind = 42 }, ErrUnknownKind,
			"topology: agencies[0] (000.00.01.G01): kind: unknown kind 42"},
		{"unknown simulator", func(t *Topology) { t.Agencies[0].Simulator = "census" }, ErrUnknownSimulator,
			`topology: agencies[0] (000.00.01.G01): simulator: unknown simulator "census"`},
		{"bad service code", func(t *Topology) { t.Agencies[0].Provides[1].Code = "PID" }, wire.ErrServiceCode,
			`topology: agencies[0] (000.00.01.G01): provides[1].code: wire: invalid service code "PID"`},
		{"duplicate service", func(t *Topology) { t.Agencies[0].Provides[1].Code = "citizen-lookup" }, ErrDuplicate,
			`topology: agencies[0] (000.00.01.G01): provides[1].code: duplicate service "citizen-lookup", first at provides[0]`},
		{"bad request type", func(t *Topology) { t.Agencies[0].Provides[0].RequestType = "LookupCitizenRequest" }, ErrTypeName,
			`topology: agencies[0] (000.00.01.G01): provides[0].request_type: invalid protobuf type name "LookupCitizenRequest"`},
		{"bad response type", func(t *Topology) { t.Agencies[0].Provides[0].ResponseType = "ndxp..X" }, ErrTypeName,
			`topology: agencies[0] (000.00.01.G01): provides[0].response_type: invalid protobuf type name "ndxp..X"`},
		{"malformed ref", func(t *Topology) { t.Agencies[1].Consumes[0] = "citizen-lookup" }, ErrServiceRef,
			`topology: agencies[1] (000.00.00.H29): consumes[0]: invalid service reference "citizen-lookup"`},
		{"ref bad provider code", func(t *Topology) { t.Agencies[1].Consumes[0] = "G01/citizen-lookup" }, wire.ErrAgencyCode,
			`topology: agencies[1] (000.00.00.H29): consumes[0]: wire: invalid agency code "G01"`},
		{"ref bad service code", func(t *Topology) { t.Agencies[1].Consumes[0] = Ref(PopulationCode, "a.b") }, wire.ErrServiceCode,
			`topology: agencies[1] (000.00.00.H29): consumes[0]: wire: invalid service code "a.b"`},
		{"ref unknown provider", func(t *Topology) { t.Agencies[1].Consumes[0] = Ref("000.00.01.G02", "record-lookup") }, ErrUnknownProvider,
			`topology: agencies[1] (000.00.00.H29): consumes[0]: unknown provider 000.00.01.G02`},
		{"ref unknown service", func(t *Topology) { t.Agencies[1].Consumes[0] = Ref(PopulationCode, "pid-cancel") }, ErrUnknownService,
			`topology: agencies[1] (000.00.00.H29): consumes[0]: unknown service "000.00.01.G01/pid-cancel"`},
		{"duplicate ref", func(t *Topology) { t.Agencies[1].Consumes = append(t.Agencies[1].Consumes, t.Agencies[1].Consumes[0]) }, ErrDuplicate,
			`topology: agencies[1] (000.00.00.H29): consumes[1]: duplicate "000.00.01.G01/citizen-lookup", first at consumes[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := small()
			tt.mutate(topo)
			err := topo.Validate()
			if !errors.Is(err, tt.err) {
				t.Fatalf("Validate() = %v, want %v", err, tt.err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), tt.msg) {
				t.Fatalf("Validate() = %q, want it to start with %q", err, tt.msg)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	topo := small()
	topo.Agencies[0].Simulator = ""
	topo.Agencies[1].Name = ""
	topo.Agencies[1].Consumes = []ServiceRef{"x"}
	err := topo.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		fields = append(fields, fe.Code+" "+fe.Field)
	}
	want := []string{PopulationCode + " simulator", "000.00.00.H29 name", "000.00.00.H29 consumes[0]"}
	if !slices.Equal(fields, want) {
		t.Fatalf("Validate() problems = %q, want %q", fields, want)
	}
}
