package simulators_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestWholeTopology starts every agency of each built-in topology, as
// "ndxp up" does, and checks that each registered the services its entry
// declares.
func TestWholeTopology(t *testing.T) {
	for _, name := range topology.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			top, err := topology.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			env := hubtest.Start(t, hubtest.WithTopology(top))
			resp, err := env.Registry.ListAgencies(context.Background(), &hubv1.ListAgenciesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(resp.GetAgencies()), len(top.Agencies); got != want {
				t.Fatalf("%d agencies registered, want %d", got, want)
			}
			for _, a := range resp.GetAgencies() {
				entry := top.Find(a.GetCode())
				if entry == nil {
					t.Fatalf("unexpected agency %s", a.GetCode())
				}
				var got, want []string
				for _, s := range a.GetServices() {
					got = append(got, s.GetCode())
				}
				for _, s := range entry.Provides {
					want = append(want, s.Code)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s serves %v, declares %v", a.GetCode(), got, want)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	full, _ := topology.Builtin("2023")
	tests := []struct {
		name   string
		mutate func(*topology.Agency)
		cfg    simulators.Config
	}{
		{"undeclared service", func(a *topology.Agency) { a.Provides = append(a.Provides, topology.Service{Code: "teleport"}) }, simulators.Config{}},
		{"bad behaviour in the file", func(a *topology.Agency) { a.Behaviour = "latency=fast" }, simulators.Config{}},
		{"bad behaviour override", func(*topology.Agency) {}, simulators.Config{Behaviours: []simulators.Override{{Selector: "*", Behaviour: "errors=2"}}}},
		{"unknown simulator", func(a *topology.Agency) { a.Simulator = "oracle" }, simulators.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := *full.Find(topology.LandCode)
			a.Provides = slices.Clone(a.Provides)
			tt.mutate(&a)
			_, err := simulators.Build(&topology.Topology{Name: "x", Agencies: []topology.Agency{a}}, tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
}
