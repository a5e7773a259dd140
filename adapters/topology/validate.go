package topology

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ndxp/ndxp/internal/wire"
)

// typeNameRE matches a full protobuf message name: dotted identifiers with
// at least a package and a message.
var typeNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// Validate reports every problem in t, joined (errors.Join), each a
// *FieldError naming the agency and the field: invalid or duplicate codes,
// empty names, unknown kinds or simulators, invalid or duplicate service
// codes, invalid type names, and consumed services that are malformed,
// duplicated, or not provided by an agency of t. It returns nil if t is
// usable.
func (t *Topology) Validate() error {
	if len(t.Agencies) == 0 {
		return &FieldError{Index: -1, Field: "agencies", Err: ErrNoAgencies}
	}
	var errs []error
	first := map[string]int{}
	for i, a := range t.Agencies {
		v := agencyValidator{index: i, code: a.Code}
		v.agency(a, first)
		errs = append(errs, v.errs...)
	}
	for i, a := range t.Agencies {
		v := agencyValidator{index: i, code: a.Code}
		v.consumes(t, first, a.Consumes)
		errs = append(errs, v.errs...)
	}
	return errors.Join(errs...)
}

// agencyValidator collects the problems of one agency.
type agencyValidator struct {
	index int
	code  string
	errs  []error
}

func (v *agencyValidator) fail(field string, err error) {
	v.errs = append(v.errs, &FieldError{Index: v.index, Code: v.code, Field: field, Err: err})
}

// agency checks the agency's own fields; first maps the codes seen so far
// to their index.
func (v *agencyValidator) agency(a Agency, first map[string]int) {
	if err := wire.ValidateAgencyCode(a.Code); err != nil {
		v.fail("code", err)
	} else if j, dup := first[a.Code]; dup {
		v.fail("code", fmt.Errorf("%w agency code, first at agencies[%d]", ErrDuplicate, j))
	} else {
		first[a.Code] = v.index
	}
	if strings.TrimSpace(a.Name) == "" {
		v.fail("name", ErrEmpty)
	}
	if KindName(a.Kind) == "" {
		v.fail("kind", fmt.Errorf("%w %s: want one of %s", ErrUnknownKind, a.Kind, strings.Join(KindNames(), ", ")))
	}
	if !slices.Contains(simulators, a.Simulator) {
		v.fail("simulator", fmt.Errorf("%w %q: want one of %s", ErrUnknownSimulator, a.Simulator, strings.Join(simulators, ", ")))
	}
	v.provides(a.Provides)
}

func (v *agencyValidator) provides(services []Service) {
	first := map[string]int{}
	for j, s := range services {
		field := fmt.Sprintf("provides[%d]", j)
		if err := wire.ValidateServiceCode(s.Code); err != nil {
			v.fail(field+".code", err)
		} else if k, dup := first[s.Code]; dup {
			v.fail(field+".code", fmt.Errorf("%w service %q, first at provides[%d]", ErrDuplicate, s.Code, k))
		} else {
			first[s.Code] = j
		}
		v.typeName(field+".request_type", s.RequestType)
		v.typeName(field+".response_type", s.ResponseType)
	}
}

func (v *agencyValidator) typeName(field, name string) {
	if name != "" && !typeNameRE.MatchString(name) {
		v.fail(field, fmt.Errorf("%w %q: want a full message name such as ndxp.population.v1.LookupCitizenRequest", ErrTypeName, name))
	}
}

// consumes checks the consumed services; byCode maps the valid codes of t
// to their first index.
func (v *agencyValidator) consumes(t *Topology, byCode map[string]int, refs []ServiceRef) {
	seen := map[ServiceRef]int{}
	for j, r := range refs {
		field := fmt.Sprintf("consumes[%d]", j)
		if err := ref(t, byCode, r); err != nil {
			v.fail(field, err)
		} else if k, dup := seen[r]; dup {
			v.fail(field, fmt.Errorf("%w %q, first at consumes[%d]", ErrDuplicate, r, k))
		} else {
			seen[r] = j
		}
	}
}

// ref checks that r is "provider/service" naming a service of t.
func ref(t *Topology, byCode map[string]int, r ServiceRef) error {
	provider, service, ok := r.Split()
	if !ok {
		return fmt.Errorf("%w %q: want provider-code/service-code", ErrServiceRef, r)
	}
	if err := wire.ValidateAgencyCode(provider); err != nil {
		return err
	}
	if err := wire.ValidateServiceCode(service); err != nil {
		return err
	}
	i, ok := byCode[provider]
	if !ok {
		return fmt.Errorf("%w %s in %q: no agency has that code", ErrUnknownProvider, provider, r)
	}
	if _, ok := t.Agencies[i].Service(service); !ok {
		return fmt.Errorf("%w %q: %s does not provide it", ErrUnknownService, r, provider)
	}
	return nil
}
