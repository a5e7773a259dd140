package topology

import (
	"errors"
	"strings"
	"testing"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	"google.golang.org/protobuf/proto"
)

func TestAgencyProto(t *testing.T) {
	a := Agency{
		Code: "000.00.01.G02", Name: "Hộ tịch", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE,
		Simulator: SimulatorCivilRegistry,
		Provides: []Service{{
			Code: "record-lookup", Description: "d",
			RequestType: "ndxp.civilregistry.v1.LookupRecordRequest", ResponseType: "ndxp.civilregistry.v1.LookupRecordResponse",
			PersonalData: true,
		}},
		Consumes: []ServiceRef{Ref(PopulationCode, ServicePIDIssue)},
	}
	want := &hubv1.Agency{
		Code: "000.00.01.G02", Name: "Hộ tịch", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE,
		Services: []*hubv1.Service{{
			Code: "record-lookup", Description: "d",
			RequestType: "ndxp.civilregistry.v1.LookupRecordRequest", ResponseType: "ndxp.civilregistry.v1.LookupRecordResponse",
			PersonalData: true,
		}},
	}
	if got := a.Proto(); !proto.Equal(got, want) {
		t.Fatalf("Proto() = %v, want %v", got, want)
	}
}

func TestServiceRefSplit(t *testing.T) {
	tests := []struct {
		ref               ServiceRef
		provider, service string
		ok                bool
	}{
		{Ref(PopulationCode, ServiceCitizenLookup), PopulationCode, ServiceCitizenLookup, true},
		{"a/b/c", "a", "b/c", true},
		{"nope", "nope", "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.ref), func(t *testing.T) {
			p, s, ok := tt.ref.Split()
			if p != tt.provider || s != tt.service || ok != tt.ok {
				t.Fatalf("Split() = %q, %q, %v, want %q, %q, %v", p, s, ok, tt.provider, tt.service, tt.ok)
			}
		})
	}
}

func TestKindNames(t *testing.T) {
	for _, name := range KindNames() {
		k, err := ParseKind(name)
		if err != nil || KindName(k) != name {
			t.Errorf("ParseKind(%q) = %v, %v; KindName = %q", name, k, err, KindName(k))
		}
	}
	if _, err := ParseKind("ministry"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("ParseKind(ministry) error = %v, want ErrUnknownKind", err)
	}
	if got := KindName(hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED); got != "" {
		t.Errorf("KindName(UNSPECIFIED) = %q, want empty", got)
	}
}

func TestFilter(t *testing.T) {
	topo := mustBuiltin(t, "2023")
	tests := []struct {
		selectors []string
		want      int
		err       error
	}{
		{[]string{PopulationCode}, 1, nil},
		{[]string{"province-lgsp"}, 63, nil},
		{[]string{"national-database", "national-system"}, 22, nil},
		{[]string{"province-lgsp", "000.00.00.H29", PopulationCode}, 64, nil},
		{[]string{"other"}, 4, nil}, // EVN and the telecom operators
		{nil, 0, nil},
		{[]string{"000.00.00.H99"}, 0, ErrUnknownSelector},
		{[]string{"population"}, 0, ErrUnknownSelector},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.selectors, "+"), func(t *testing.T) {
			sub, err := topo.Filter(tt.selectors...)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Filter(%v) error = %v, want %v", tt.selectors, err, tt.err)
			}
			if err != nil {
				return
			}
			if len(sub.Agencies) != tt.want || sub.Name != topo.Name {
				t.Fatalf("Filter(%v) = %d agencies named %q, want %d named %q", tt.selectors, len(sub.Agencies), sub.Name, tt.want, topo.Name)
			}
		})
	}
}
