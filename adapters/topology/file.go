package topology

import "errors"

// fileTopology is the file form of a Topology: the same fields, snake_case
// names, kinds by name and references as strings.
type fileTopology struct {
	Name     string       `yaml:"name,omitempty" json:"name,omitempty"`
	Agencies []fileAgency `yaml:"agencies" json:"agencies"`
}

type fileAgency struct {
	Code      string        `yaml:"code" json:"code"`
	Name      string        `yaml:"name" json:"name"`
	Kind      string        `yaml:"kind" json:"kind"`
	Simulator string        `yaml:"simulator" json:"simulator"`
	Provides  []fileService `yaml:"provides,omitempty" json:"provides,omitempty"`
	Consumes  []string      `yaml:"consumes,omitempty" json:"consumes,omitempty"`
	Behaviour string        `yaml:"behaviour,omitempty" json:"behaviour,omitempty"`
	Backend   string        `yaml:"backend,omitempty" json:"backend,omitempty"`
}

type fileService struct {
	Code         string `yaml:"code" json:"code"`
	Description  string `yaml:"description,omitempty" json:"description,omitempty"`
	RequestType  string `yaml:"request_type,omitempty" json:"request_type,omitempty"`
	ResponseType string `yaml:"response_type,omitempty" json:"response_type,omitempty"`
	PersonalData bool   `yaml:"personal_data,omitempty" json:"personal_data,omitempty"`
}

// topology converts f; the only possible errors are unknown kind names,
// reported as Validate would.
func (f *fileTopology) topology() (*Topology, error) {
	t := &Topology{Name: f.Name}
	var errs []error
	for i, fa := range f.Agencies {
		kind, err := ParseKind(fa.Kind)
		if err != nil {
			errs = append(errs, &FieldError{Index: i, Code: fa.Code, Field: "kind", Err: err})
		}
		a := Agency{Code: fa.Code, Name: fa.Name, Kind: kind, Simulator: fa.Simulator, Behaviour: fa.Behaviour, Backend: fa.Backend}
		for _, s := range fa.Provides {
			a.Provides = append(a.Provides, Service(s))
		}
		for _, r := range fa.Consumes {
			a.Consumes = append(a.Consumes, ServiceRef(r))
		}
		t.Agencies = append(t.Agencies, a)
	}
	return t, errors.Join(errs...)
}

// toFile converts a valid t.
func toFile(t *Topology) fileTopology {
	f := fileTopology{Name: t.Name}
	for _, a := range t.Agencies {
		fa := fileAgency{Code: a.Code, Name: a.Name, Kind: KindName(a.Kind), Simulator: a.Simulator, Behaviour: a.Behaviour, Backend: a.Backend}
		for _, s := range a.Provides {
			fa.Provides = append(fa.Provides, fileService(s))
		}
		for _, r := range a.Consumes {
			fa.Consumes = append(fa.Consumes, string(r))
		}
		f.Agencies = append(f.Agencies, fa)
	}
	return f
}
