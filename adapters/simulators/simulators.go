// Package simulators builds the simulated agency nodes of a topology: one
// node.Service per agency, chosen by its simulator name, with its
// behaviour (latency, errors, outage) applied.
package simulators

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ndxp/ndxp/adapters/basic"
	"github.com/ndxp/ndxp/adapters/behave"
	"github.com/ndxp/ndxp/adapters/civilregistry"
	"github.com/ndxp/ndxp/adapters/httpbackend"
	"github.com/ndxp/ndxp/adapters/insurance"
	"github.com/ndxp/ndxp/adapters/lgsp"
	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/adapters/procedure"
	"github.com/ndxp/ndxp/adapters/topology"
)

// Config configures Build. Zero values mean defaults.
type Config struct {
	// Seed selects the synthetic population.
	Seed uint64
	// Whole is the whole topology when Build is given a subset of it (see
	// topology.Filter): the national databases the LGSPs' procedures call
	// are looked up there. Nil means the topology given to Build.
	Whole *topology.Topology
	// Behaviours override the topology's behaviour per selector: an agency
	// code, a kind name ("province-lgsp") or "*" for every agency. The
	// last matching selector wins over the topology file.
	Behaviours []Override
}

// Override is a behaviour for the agencies a selector names.
type Override struct {
	// Selector is an agency code, a kind name or "*".
	Selector string
	// Behaviour is in the form behave.Parse reads.
	Behaviour string
}

// Set is the simulators built for a topology, with direct access to the
// national databases' state for tests and tools.
type Set struct {
	// Services are the nodes to run, in topology order.
	Services []node.Service
	// Population, CivilRegistry and Insurance are the simulators of those
	// databases, nil if the topology has none.
	Population    *population.Simulator
	CivilRegistry *civilregistry.Simulator
	Insurance     *insurance.Simulator
	// Behaviours are the behaviours applied, by agency code, so that an
	// outage can be toggled at run time.
	Behaviours map[string]*behave.Behaviour
}

// Build returns the simulators of t's agencies. It checks that every
// service an agency declares is one its simulator implements.
func Build(t *topology.Topology, cfg Config) (*Set, error) {
	set := &Set{Behaviours: map[string]*behave.Behaviour{}}
	whole := cfg.Whole
	if whole == nil {
		whole = t
	}
	providers := providerCodes(whole)
	var errs []error
	for _, a := range t.Agencies {
		if a.Backend != "" {
			b, err := httpbackend.New(a.Proto(), a.Backend, httpbackend.Config{})
			if err != nil {
				errs = append(errs, fmt.Errorf("agency %s (backend): %w", a.Code, err))
				continue
			}
			set.Services = append(set.Services, b)
			continue
		}
		svc, err := set.build(a, cfg, providers)
		if err == nil {
			err = checkServices(a, svc)
		}
		if err == nil {
			svc, err = set.behave(a, svc, cfg)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("agency %s (%s): %w", a.Code, a.Simulator, err))
			continue
		}
		set.Services = append(set.Services, svc)
	}
	return set, errors.Join(errs...)
}

// providerCodes finds the national databases the procedures call: the
// first agency of each simulator in t, or the built-in codes.
func providerCodes(t *topology.Topology) procedure.Config {
	var p procedure.Config
	for _, a := range t.Agencies {
		switch {
		case a.Simulator == topology.SimulatorPopulation && p.Population == "":
			p.Population = a.Code
		case a.Simulator == topology.SimulatorCivilRegistry && p.CivilRegistry == "":
			p.CivilRegistry = a.Code
		case a.Simulator == topology.SimulatorSocialInsurance && p.Insurance == "":
			p.Insurance = a.Code
		}
	}
	return p
}

func (set *Set) build(a topology.Agency, cfg Config, providers procedure.Config) (node.Service, error) {
	reg := a.Proto()
	reg.Services = nil
	switch a.Simulator {
	case topology.SimulatorPopulation:
		s := population.New(population.Config{Seed: cfg.Seed, Agency: reg, Events: true})
		set.Population = first(set.Population, s)
		return s, nil
	case topology.SimulatorCivilRegistry:
		s := civilregistry.New(reg)
		set.CivilRegistry = first(set.CivilRegistry, s)
		return s, nil
	case topology.SimulatorSocialInsurance:
		s := insurance.New(reg)
		set.Insurance = first(set.Insurance, s)
		return s, nil
	case topology.SimulatorLGSP:
		return lgsp.New(lgsp.Config{Agency: reg, Procedure: providers})
	default:
		return basic.New(a.Simulator, reg)
	}
}

func first[T any](have *T, s *T) *T {
	if have != nil {
		return have
	}
	return s
}

// checkServices fails if a declares a service its simulator lacks.
func checkServices(a topology.Agency, svc node.Service) error {
	have := Implemented(svc)
	var errs []error
	for _, s := range a.Provides {
		if !slices.Contains(have, s.Code) {
			errs = append(errs, fmt.Errorf("declares service %q, which simulator %q does not implement (it has %v)", s.Code, a.Simulator, have))
		}
	}
	return errors.Join(errs...)
}

// Implemented lists the service codes svc installs.
func Implemented(svc node.Service) []string {
	n, err := node.New(node.Config{Agency: svc.Agency(), NATSURL: "nats://unused"}, nil)
	if err != nil {
		return nil
	}
	svc.Install(n)
	var out []string
	for _, s := range n.Agency().GetServices() {
		out = append(out, s.GetCode())
	}
	return out
}

func (set *Set) behave(a topology.Agency, svc node.Service, cfg Config) (node.Service, error) {
	spec := a.Behaviour
	for _, o := range cfg.Behaviours {
		if o.Selector == "*" || o.Selector == a.Code || o.Selector == topology.KindName(a.Kind) {
			spec = o.Behaviour
		}
	}
	c, err := behave.Parse(spec)
	if err != nil {
		return nil, err
	}
	b, err := behave.New(c)
	if err != nil {
		return nil, err
	}
	set.Behaviours[a.Code] = b
	return behave.Service{Service: idempotent{svc}, B: b}, nil
}

// idempotent answers a retried message id with the first answer (see
// node.Dedup), so the procedures can retry a step whose answer was lost.
type idempotent struct{ node.Service }

// Install puts node.Dedup in front of the wrapped handlers.
func (s idempotent) Install(n *node.Node) {
	n.Use(node.Dedup(0))
	s.Service.Install(n)
}
