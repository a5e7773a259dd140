package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
)

// topologyFlags select the topology and the behaviour of its simulators.
type topologyFlags struct {
	topology   string
	only       []string
	behaviours []string
	seed       uint64
	backend    string
}

func (f *topologyFlags) register(cmd *cobra.Command, only bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.topology, "topology", topology.DefaultBuiltin, "the topology: a built-in one ("+strings.Join(topology.BuiltinNames(), ", ")+") or a YAML/JSON file (see \"ndxp topology export\")")
	fs.StringArrayVar(&f.behaviours, "behave", nil, "inject behaviour into simulated agencies: SELECTOR=SPEC, SELECTOR an agency code, a kind or *, SPEC e.g. latency=20ms/250ms,errors=0.01:UNAVAILABLE,outage=on (repeatable)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the synthetic population (same seed, same citizens; use the same in every process)")
	if only {
		fs.StringVar(&f.backend, "backend", "", "serve the --only agencies from your own HTTP backend (e.g. http://127.0.0.1:8000): each request is POSTed as JSON to <backend>/<service> (see docs/joining.md)")
		fs.StringSliceVar(&f.only, "only", nil, "start only these agencies: agency codes and/or kinds ("+strings.Join(topology.KindNames(), ", ")+"), comma-separated; default all")
	}
}

// group loads the topology, keeps the selected agencies and builds their
// simulators as one node group.
func (f *topologyFlags) group() (*node.Group, *topology.Topology, error) {
	t, err := topology.Open(f.topology)
	if err != nil {
		return nil, nil, err
	}
	cfg := simulators.Config{Seed: f.seed, Whole: t}
	if len(f.only) > 0 {
		if t, err = t.Filter(f.only...); err != nil {
			return nil, nil, err
		}
	}
	if f.backend != "" {
		if len(f.only) == 0 {
			return nil, nil, errors.New("--backend needs --only: name the agency (or agencies) your backend serves, e.g. --only 000.00.01.G01")
		}
		for i := range t.Agencies {
			t.Agencies[i].Backend = f.backend
		}
	}
	for _, b := range f.behaviours {
		sel, spec, ok := strings.Cut(b, "=")
		if !ok {
			return nil, nil, fmt.Errorf("--behave %q: want SELECTOR=SPEC", b)
		}
		cfg.Behaviours = append(cfg.Behaviours, simulators.Override{Selector: sel, Behaviour: spec})
	}
	set, err := simulators.Build(t, cfg)
	if err != nil {
		return nil, nil, err
	}
	return &node.Group{Services: set.Services}, t, nil
}

func newTopologyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "topology", Short: "Work with topologies (who is connected to the hub)"}
	var (
		name, format string
		asJSON       bool
	)
	export := &cobra.Command{
		Use:   "export",
		Short: "Write a built-in topology, to edit and load with --topology FILE",
		Long: `Write a built-in topology (agencies, kinds, simulators, the services each
provides and consumes) to stdout, in YAML or JSON. Edit it (remove agencies,
add a "behaviour" to one) and start it with "ndxp up --topology FILE".`,
		Example: "  ndxp topology export > my.yaml\n  ndxp topology export --name 2021 --json > 2021.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := topology.Builtin(name)
			if err != nil {
				return usageError{err}
			}
			if asJSON {
				format = topology.FormatJSON
			}
			b, err := t.Marshal(format)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	export.Flags().StringVar(&name, "name", topology.DefaultBuiltin, "the built-in topology: "+strings.Join(topology.BuiltinNames(), ", "))
	export.Flags().StringVar(&format, "format", topology.FormatYAML, "yaml or json")
	export.Flags().BoolVar(&asJSON, "json", false, "write JSON (same as --format json)")
	cmd.AddCommand(export)
	return cmd
}
