package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
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
			[]string{"COMPLETED", "funeral allowance:", "pid-cancel", "5 transactions"}},
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
	// A procedure that ends FAILED is a failed operation (exit status 1);
	// --json prints the result all the same.
	t.Run("failed", func(t *testing.T) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"procedure", "death", "--province", "H29", "--personal-id", "001999999999", "--full-name", "Không Có",
			"--claimant", "079090000123", "--json", "--insecure", "--hub", env.GRPCAddr()})
		err := root.Execute()
		if exitCode(err) != exitFailure || !strings.Contains(fmt.Sprint(err), "FAILED") {
			t.Fatalf("a failed procedure returned %v (exit %d), want exit 1", err, exitCode(err))
		}
		var res struct {
			Result struct {
				Completed  bool   `json:"completed"`
				FailedStep string `json:"failed_step"`
			} `json:"result"`
			Transactions []struct{ Count int64 } `json:"transactions"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Result.Completed || res.Result.FailedStep == "" || len(res.Transactions) == 0 {
			t.Fatalf("--json = %s (%v), want a failed result and its transactions", out.String(), err)
		}
	})
	t.Run("bad province", func(t *testing.T) {
		root := newRoot()
		root.SetArgs([]string{"procedure", "birth", "--province", "H99", "--insecure", "--hub", env.GRPCAddr()})
		if err := root.Execute(); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--province") {
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
