package topology

import (
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func mustBuiltin(t *testing.T, name string) *Topology {
	t.Helper()
	topo, err := Builtin(name)
	if err != nil {
		t.Fatalf("Builtin(%q) error = %v", name, err)
	}
	return topo
}

func TestBuiltinShapes(t *testing.T) {
	tests := []struct {
		name                         string
		wantName                     string
		ministries, provinces        int
		databases, systems, agencies int
		others, owners               int
	}{
		{"2021", "2021", 22, 63, 5, 9, 99, 0, 86},
		// Report 003: 220 information systems of 90 agencies.
		{"2021-full", "2021-full", 22, 63, 5, 9, 220, 121, 90},
		// Report 000: EVN and the 3 telecom operators use the population database.
		{"2023", "2023", 22, 63, 9, 13, 111, 4, 90},
		{"default", "2023", 22, 63, 9, 13, 111, 4, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := mustBuiltin(t, tt.name)
			if topo.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", topo.Name, tt.wantName)
			}
			counts := []struct {
				kind hubv1.AgencyKind
				want int
			}{
				{hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP, tt.ministries},
				{hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP, tt.provinces},
				{hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE, tt.databases},
				{hubv1.AgencyKind_AGENCY_KIND_NATIONAL_SYSTEM, tt.systems},
				{hubv1.AgencyKind_AGENCY_KIND_OTHER, tt.others},
			}
			for _, c := range counts {
				if got := len(topo.ByKind(c.kind)); got != c.want {
					t.Errorf("len(ByKind(%s)) = %d, want %d", c.kind, got, c.want)
				}
			}
			if got := len(topo.Agencies); got != tt.agencies {
				t.Errorf("len(Agencies) = %d, want %d", got, tt.agencies)
			}
			if got := topo.Owners(); got != tt.owners {
				t.Errorf("Owners() = %d, want %d", got, tt.owners)
			}
			if err := topo.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestBuiltinCodesAndRefs(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			topo := mustBuiltin(t, name)
			seen := map[string]bool{}
			for _, a := range topo.Agencies {
				if err := wire.ValidateAgencyCode(a.Code); err != nil {
					t.Errorf("%s: %v", a.Name, err)
				}
				if seen[a.Code] {
					t.Errorf("duplicate code %s", a.Code)
				}
				seen[a.Code] = true
				if len(a.Provides) == 0 {
					t.Errorf("%s provides nothing", a.Code)
				}
			}
			for _, a := range topo.Agencies {
				for _, r := range a.Consumes {
					p, s, ok := r.Split()
					if !ok || topo.Find(p) == nil {
						t.Errorf("%s consumes %q: no such provider", a.Code, r)
						continue
					}
					if _, ok := topo.Find(p).Service(s); !ok {
						t.Errorf("%s consumes %q: no such service", a.Code, r)
					}
				}
			}
		})
	}
}

// unitRE matches a national node: a level-2 unit 000.00.NN.Gxx, NN > 00.
var unitRE = regexp.MustCompile(`^000\.00\.(\d\d)\.(G\d\d)$`)

func TestBuiltinNationalNodesBelongToOwners(t *testing.T) {
	owners := map[string]bool{}
	for _, m := range slices.Concat(Ministries, SystemOwners) {
		if owners[m.Code] {
			t.Errorf("duplicate owner code %s", m.Code)
		}
		owners[m.Code] = true
	}
	topo := mustBuiltin(t, "2023")
	for _, a := range topo.Agencies {
		if a.Simulator == SimulatorLGSP {
			continue
		}
		if a.Kind == hubv1.AgencyKind_AGENCY_KIND_OTHER {
			// The state enterprises are bodies of their own, K codes.
			if !regexp.MustCompile(`^000\.00\.00\.K\d\d$`).MatchString(a.Code) {
				t.Errorf("%s (%s): want an enterprise code 000.00.00.Kxx", a.Code, a.Name)
			}
			continue
		}
		m := unitRE.FindStringSubmatch(a.Code)
		if m == nil || m[1] == "00" {
			t.Errorf("%s (%s): want a level-2 unit code 000.00.NN.Gxx", a.Code, a.Name)
			continue
		}
		if !owners["000.00.00."+m[2]] {
			t.Errorf("%s (%s): owner 000.00.00.%s is not in Ministries or SystemOwners", a.Code, a.Name, m[2])
		}
	}
}

func TestBuiltinLGSPs(t *testing.T) {
	topo := mustBuiltin(t, "2021")
	if len(Ministries) != 22 {
		t.Fatalf("len(Ministries) = %d, want 22", len(Ministries))
	}
	for _, m := range Ministries {
		a := topo.Find(m.Code)
		if a == nil || a.Name != m.Name || a.Kind != hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP {
			t.Errorf("Find(%s) = %+v, want the LGSP of %s", m.Code, a, m.Name)
		}
	}
	provinces := ProvinceLGSPs(topo)
	if len(provinces) != len(vn.Provinces) {
		t.Fatalf("len(ProvinceLGSPs) = %d, want %d", len(provinces), len(vn.Provinces))
	}
	for i, p := range vn.Provinces {
		if a := provinces[i]; a.Code != p.AgencyCode || a.Name != p.Name || a.Simulator != SimulatorLGSP {
			t.Errorf("ProvinceLGSPs[%d] = %s %s %s, want %s %s lgsp", i, a.Code, a.Name, a.Simulator, p.AgencyCode, p.Name)
		}
	}
}

func TestBuiltinWellKnown(t *testing.T) {
	tests := []struct {
		code, simulator string
		since           string // first shape containing it
	}{
		{PopulationCode, SimulatorPopulation, "2021"},
		{CivilRegistryCode, SimulatorCivilRegistry, "2021"},
		{SocialInsuranceCode, SimulatorSocialInsurance, "2021"},
		{BusinessRegistrationCode, SimulatorBusinessRegistration, "2021"},
		{LandCode, SimulatorLand, "2021"},
		{OfficialsCode, SimulatorOfficials, "2023"},
		{PublicServicePortalCode, SimulatorPublicServicePortal, "2021"},
		{DocumentExchangeCode, SimulatorDocumentExchange, "2021"},
		{ReportingCode, SimulatorReporting, "2021"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			for _, name := range BuiltinNames() {
				a := mustBuiltin(t, name).Find(tt.code)
				if name < tt.since {
					if a != nil {
						t.Errorf("%s: Find(%s) = %s, want absent before %s", name, tt.code, a.Name, tt.since)
					}
					continue
				}
				if a == nil || a.Simulator != tt.simulator {
					t.Errorf("%s: Find(%s) = %+v, want simulator %s", name, tt.code, a, tt.simulator)
				}
			}
		})
	}
}

func TestBuiltinFlows(t *testing.T) {
	topo := mustBuiltin(t, "2023")
	tests := []struct {
		consumer string
		want     []ServiceRef
	}{
		{CivilRegistryCode, []ServiceRef{Ref(PopulationCode, ServicePIDIssue), Ref(PopulationCode, ServicePIDCancel)}},
		{SocialInsuranceCode, []ServiceRef{Ref(PopulationCode, ServiceHouseholdMembers), Ref(PopulationCode, ServiceCitizenVerify)}},
		{vn.Provinces[0].AgencyCode, []ServiceRef{
			Ref(CivilRegistryCode, ServiceBirthRegister), Ref(PopulationCode, ServiceResidenceRegister), Ref(SocialInsuranceCode, ServiceChildCardIssue),
			Ref(CivilRegistryCode, ServiceDeathRegister), Ref(PopulationCode, ServiceResidenceRemove), Ref(SocialInsuranceCode, ServiceFuneralAllowance),
		}},
		{MinistryJustice, []ServiceRef{Ref(PopulationCode, ServiceCitizenLookup), Ref(CivilRegistryCode, ServiceRecordLookup), Ref(SocialInsuranceCode, ServiceCardLookup)}},
		{PublicServicePortalCode, []ServiceRef{Ref(vn.Provinces[62].AgencyCode, ServiceProcedureStatus), Ref(GovernmentOffice, ServiceProcedureStatus)}},
	}
	for _, tt := range tests {
		t.Run(tt.consumer, func(t *testing.T) {
			a := topo.Find(tt.consumer)
			for _, r := range tt.want {
				if !slices.Contains(a.Consumes, r) {
					t.Errorf("%s does not consume %s", tt.consumer, r)
				}
			}
		})
	}
	for _, a := range mustBuiltin(t, "2021").Agencies {
		for _, r := range a.Consumes {
			if p, _, _ := r.Split(); p == OfficialsCode {
				t.Errorf("2021: %s consumes %s, absent before 2023", a.Code, r)
			}
		}
	}
}

func TestBuiltinUnknownAndFresh(t *testing.T) {
	if _, err := Builtin("2019"); !errors.Is(err, ErrUnknownBuiltin) {
		t.Fatalf("Builtin(2019) error = %v, want ErrUnknownBuiltin", err)
	}
	a := mustBuiltin(t, "2023")
	a.Agencies[0].Provides[0].Code = "changed"
	a.Agencies[0].Consumes = append(a.Agencies[0].Consumes, "x")
	if b := mustBuiltin(t, "2023"); b.Validate() != nil || b.Agencies[0].Provides[0].Code == "changed" {
		t.Fatalf("Builtin shares data between calls")
	}
	if got, want := BuiltinNames(), []string{"2021", "2021-full", "2023"}; !slices.Equal(got, want) {
		t.Fatalf("BuiltinNames() = %v, want %v", got, want)
	}
}
