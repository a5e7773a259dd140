package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/hubtest"
)

// TestProcedureCommand runs the README's walk-through command against a
// real hub with the agencies the procedures need.
func TestProcedureCommand(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, "000.00.00.H29")
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"procedure", "birth", "--province", "H29", "--mother", "001194053383", "--dossier", "HS-CLI-1"},
			[]string{"COMPLETED", "health insurance card: TE1", "procedure-birth     OK    1", "child-card-issue    OK    1", "5 transactions"}},
		{[]string{"procedure", "death", "--province", "079", "--personal-id", "001194053383", "--full-name", "Trần Thị Lệ", "--claimant", "079090000123"},
			[]string{"COMPLETED", "funeral allowance:", "4 transactions"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			root := newRoot()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs(append(tt.args, "--insecure", "--hub", env.GRPCAddr()))
			if err := root.Execute(); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	t.Run("bad province", func(t *testing.T) {
		root := newRoot()
		root.SetArgs([]string{"procedure", "birth", "--province", "H99", "--insecure", "--hub", env.GRPCAddr()})
		if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "--province") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestTopologyExport(t *testing.T) {
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			root := newRoot()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs([]string{"topology", "export", "--format", format})
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			top, err := topology.Parse(out.Bytes(), format)
			if err != nil {
				t.Fatalf("export does not parse back: %v", err)
			}
			if len(top.Agencies) != 111 {
				t.Fatalf("%d agencies, want 111 (107 and EVN and the 3 telecom operators)", len(top.Agencies))
			}
		})
	}
}
