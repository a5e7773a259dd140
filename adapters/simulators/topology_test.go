package simulators_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	genericv1 "github.com/ndxp/ndxp/proto/ndxp/generic/v1"
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

// TestBehaviourFromFile: a behaviour written in a topology file applies to
// that agency only, and survives export and reload.
func TestBehaviourFromFile(t *testing.T) {
	const file = `
name: two
agencies:
  - code: 000.00.01.G03
    name: Down
    kind: national-database
    simulator: generic
    behaviour: outage=on
  - code: 000.00.01.G04
    name: Up
    kind: national-database
    simulator: generic
`
	top, err := topology.Parse([]byte(file), topology.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	out, err := top.Marshal(topology.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if top, err = topology.Parse(out, topology.FormatJSON); err != nil || top.Agencies[0].Behaviour != "outage=on" {
		t.Fatalf("behaviour lost in the round trip: %v %v", err, top)
	}
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithTopology(top))
	for code, want := range map[string]codes.Code{"000.00.01.G03": codes.Unavailable, "000.00.01.G04": codes.OK} {
		payload, _ := anypb.New(&genericv1.PingRequest{Text: "a"})
		_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{Consumer: "000.00.00.H01", Provider: code, Service: "ping", Payload: payload})
		if status.Code(err) != want {
			t.Errorf("%s: got %v, want %v", code, err, want)
		}
	}
}
