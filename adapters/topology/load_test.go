package topology

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestLoadSmall(t *testing.T) {
	topo, err := Load("testdata/small.yaml")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if topo.Name != "small" || len(topo.Agencies) != 7 {
		t.Fatalf("Load() = %q with %d agencies, want small with 7", topo.Name, len(topo.Agencies))
	}
	pop := topo.Find(PopulationCode)
	if pop == nil || pop.Simulator != SimulatorPopulation || pop.Kind != hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE {
		t.Fatalf("Find(PopulationCode) = %+v", pop)
	}
	want := Service{
		Code: ServiceCitizenLookup, Description: "Look up a citizen by personal identification number",
		RequestType: "ndxp.population.v1.LookupCitizenRequest", ResponseType: "ndxp.population.v1.LookupCitizenResponse",
		PersonalData: true,
	}
	if got, _ := pop.Service(ServiceCitizenLookup); got != want {
		t.Fatalf("Service(citizen-lookup) = %+v, want %+v", got, want)
	}
	hcm := topo.Find("000.00.00.H29")
	if wantRefs := []ServiceRef{Ref(PopulationCode, ServiceCitizenLookup), Ref(CivilRegistryCode, ServiceBirthRegister)}; !reflect.DeepEqual(hcm.Consumes, wantRefs) {
		t.Fatalf("H29 consumes %v, want %v", hcm.Consumes, wantRefs)
	}
	if got := len(ProvinceLGSPs(topo)); got != 2 {
		t.Fatalf("len(ProvinceLGSPs) = %d, want 2", got)
	}
}

func TestRoundTrip(t *testing.T) {
	small, err := Load("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*Topology{"small": small}
	for _, name := range BuiltinNames() {
		inputs[name] = mustBuiltin(t, name)
	}
	for name, topo := range inputs {
		for _, format := range []string{FormatYAML, FormatJSON, "yml", "JSON"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				data, err := topo.Marshal(format)
				if err != nil {
					t.Fatalf("Marshal(%s) error = %v", format, err)
				}
				got, err := Parse(data, format)
				if err != nil {
					t.Fatalf("Parse(Marshal(%s)) error = %v", format, err)
				}
				if !reflect.DeepEqual(got, topo) {
					t.Fatalf("Parse(Marshal(%s)) differs from the original", format)
				}
			})
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, format, data string
		err                error
		msg                []string // substrings of the error
	}{
		{"unknown format", "toml", "name = 1", ErrFormat, []string{`"toml"`}},
		{"yaml unknown field", "yaml", "name: x\nagencies:\n  - code: 000.00.00.H29\n    nme: HCM\n", ErrDecode,
			[]string{"line 4", "nme"}},
		{"yaml unknown top field", "yaml", "name: x\nversion: 2\n", ErrDecode, []string{"line 2", "version"}},
		{"yaml unknown service field", "yaml", "agencies:\n  - provides:\n      - code: a\n        personal: true\n", ErrDecode,
			[]string{"line 4", "personal"}},
		{"yaml duplicate key", "yaml", "name: a\nname: b\n", ErrDecode, []string{"line 2"}},
		{"yaml syntax", "yaml", "agencies: [\n", ErrDecode, []string{"yaml"}},
		{"yaml wrong type", "yaml", "agencies: 3\n", ErrDecode, []string{"line 1"}},
		{"yaml two documents", "yaml", "name: a\n---\nname: b\n", ErrDecode, []string{"single document"}},
		{"yaml empty", "yaml", "", ErrNoAgencies, nil},
		{"json unknown field", "json", `{"name": "x", "agencies": [{"code": "a", "nme": "b"}]}`, ErrDecode,
			[]string{`unknown field "nme"`}},
		{"json syntax", "json", "{\n\"name\": x}", ErrDecode, []string{"line 2"}},
		{"json wrong type", "json", "{\n\"agencies\": {}}", ErrDecode, []string{"line 2"}},
		{"json trailing", "json", `{"name": "x"} {}`, ErrDecode, []string{"single value"}},
		{"unknown kind name", "yaml", "agencies:\n  - code: 000.00.00.H29\n    kind: province\n", ErrUnknownKind,
			[]string{`topology: agencies[0] (000.00.00.H29): kind: unknown kind "province"`}},
		{"invalid content", "yaml", "agencies:\n  - code: H29\n    name: x\n    kind: other\n    simulator: generic\n", wire.ErrAgencyCode,
			[]string{"agencies[0] (H29): code:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), tt.format)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse() error = %v, want %v", err, tt.err)
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Parse() error = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"agencies": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		err  error
		msg  string
	}{
		{filepath.Join(dir, "t.toml"), ErrFormat, ".toml"},
		{filepath.Join(dir, "missing.yaml"), fs.ErrNotExist, "missing.yaml"},
		{bad, ErrNoAgencies, bad + ": topology: agencies: no agencies"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			_, err := Load(tt.path)
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Load(%s) error = %v, want %v containing %q", tt.path, err, tt.err, tt.msg)
			}
		})
	}
}

func TestFormatFor(t *testing.T) {
	tests := []struct{ path, want string }{
		{"a.yaml", FormatYAML}, {"a.YML", FormatYAML}, {"dir.json/a.json", FormatJSON}, {"a.txt", ""}, {"yaml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := FormatFor(tt.path)
			if got != tt.want || (err != nil) != (tt.want == "") {
				t.Fatalf("FormatFor(%q) = %q, %v, want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestMarshalInvalid(t *testing.T) {
	topo := small()
	topo.Agencies[0].Kind = 0
	if _, err := topo.Marshal(FormatYAML); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("Marshal() error = %v, want ErrUnknownKind", err)
	}
	if _, err := small().Marshal("xml"); !errors.Is(err, ErrFormat) {
		t.Fatalf("Marshal(xml) error = %v, want ErrFormat", err)
	}
}

func TestBackendField(t *testing.T) {
	topo, err := Load("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo.Find(PopulationCode).Backend = "http://127.0.0.1:8000"
	for _, format := range []string{FormatYAML, FormatJSON} {
		data, err := topo.Marshal(format)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "backend") {
			t.Fatalf("%s lacks the backend: %s", format, data)
		}
		got, err := Parse(data, format)
		if err != nil {
			t.Fatal(err)
		}
		if b := got.Find(PopulationCode).Backend; b != "http://127.0.0.1:8000" {
			t.Fatalf("%s: backend %q after a round trip", format, b)
		}
	}
}
