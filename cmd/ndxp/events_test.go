package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/events"
)

// TestEventsCommand lists the types, publishes two births as the civil
// registry and receives them as the population database.
func TestEventsCommand(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	run := func(args ...string) (string, error) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(append(args, "--insecure", "--hub", env.GRPCAddr()))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("events", "list")
	if err != nil || !strings.Contains(out, "birth-registered   "+events.CivilRegistry) || !strings.Contains(out, "ndxp.events.v1.BirthRegistered") {
		t.Fatalf("events list: %v\n%s", err, out)
	}
	for _, id := range []string{"KS-1", "KS-2"} {
		out, err := run("events", "publish", "--publisher", events.CivilRegistry, "--event-id", id, "birth-registered",
			`{"registrationRef": "KS-079-2026-000001", "childName": "Nguyễn Minh An", "dateOfBirth": "2026-12-01", "provinceCode": "079"}`)
		if err != nil || !strings.Contains(out, `"event_id": "`+id+`"`) {
			t.Fatalf("events publish: %v\n%s", err, out)
		}
	}
	out, err = run("events", "subscribe", "--subscriber", events.Population, "--count", "2", "birth-registered")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 2 || !strings.Contains(lines[0], "\tbirth-registered\tKS-1\t") || !strings.Contains(lines[1], "KS-2") || !strings.Contains(lines[1], "Nguyễn Minh An") {
		t.Fatalf("events subscribe: %v\n%s", err, out)
	}
	// Acknowledged: the next subscription starts after them.
	if _, err := run("events", "publish", "--publisher", events.CivilRegistry, "--event-id", "KS-3", "birth-registered", `{"childName": "B"}`); err != nil {
		t.Fatal(err)
	}
	out, err = run("events", "subscribe", "--subscriber", events.Population, "--count", "1", "birth-registered")
	if err != nil || !strings.Contains(out, "\tKS-3\t") {
		t.Fatalf("events subscribe again: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "publish", "--publisher", events.CivilRegistry, "wedding"}, "unknown event type"},
		{[]string{"events", "publish", "--publisher", events.CivilRegistry, "birth-registered", `{"nope": 1}`}, "BirthRegistered"},
		{[]string{"events", "publish", "--publisher", events.Population, "birth-registered"}, events.CivilRegistry},
		{[]string{"events", "subscribe", "--subscriber", events.Population, "--count", "-1", "birth-registered"}, "--count"},
	} {
		if _, err := run(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error naming %q", tt.args, err, tt.want)
		}
	}
}

// TestDocumentsCommand sends a document to two agencies, receives it as
// each, reports a rejection and reads the receipts back.
func TestDocumentsCommand(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	run := func(args ...string) (string, error) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(append(args, "--insecure", "--hub", env.GRPCAddr()))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("documents", "send", "--sender", "000.00.00.H29", "--to", "000.00.00.H01,000.00.01.G01", "--document-id", "cv-76",
		"--number", "76/BC-BTTTT", "--type", "báo cáo", "--subject", "Báo cáo tháng 8", "Kính gửi ...")
	if err != nil || !strings.Contains(out, `"document_id": "cv-76"`) {
		t.Fatalf("send: %v\n%s", err, out)
	}
	for _, r := range []string{"000.00.00.H01", "000.00.01.G01"} {
		out, err := run("documents", "receive", "--recipient", r, "--count", "1")
		if err != nil || !strings.Contains(out, "\t000.00.00.H29\tcv-76\t76/BC-BTTTT\tBáo cáo tháng 8") {
			t.Fatalf("receive as %s: %v\n%s", r, err, out)
		}
	}
	if _, err := run("documents", "receipt", "--recipient", "000.00.00.H01", "000.00.00.H29", "cv-76", "rejected"); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("a rejection without a reason: %v", err)
	}
	if _, err := run("documents", "receipt", "--recipient", "000.00.00.H01", "--reason", "sai thẩm quyền", "000.00.00.H29", "cv-76", "rejected"); err != nil {
		t.Fatal(err)
	}
	out, err = run("documents", "get", "000.00.00.H29", "cv-76")
	if err != nil || strings.Count(out, "RECEIPT_STATUS_RECEIVED") != 2 || !strings.Contains(out, "sai thẩm quyền") {
		t.Fatalf("get: %v\n%s", err, out)
	}
}

// TestLoadtestDocumentsCommand replays a hundredth of the 2024 month of
// the document axis and reconciles it.
func TestLoadtestDocumentsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 1,437 documents")
	}
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"loadtest", "documents", "--month", "2024-08", "--scale", "0.01", "--json", "--insecure", "--hub", env.GRPCAddr()})
	if err := root.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{`"sent": 1438`, `"received": 6246`, `"counted_sent": 1438`, `"counted_received": 6246`, `"reconciled": true`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
}

// TestLoadtestBirthsCommand runs event-driven births on a topology of two
// provinces and reconciles the deliveries.
func TestLoadtestBirthsCommand(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, "000.00.00.H01", "000.00.00.H29")
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	// Births go to the 63 provinces in turn: with 2 here, the first one
	// (Hà Nội, H01) only.
	root.SetArgs([]string{"loadtest", "births", "--births", "1", "--json", "--insecure", "--hub", env.GRPCAddr()})
	if err := root.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{`"completed": 1`, `"provinces": 2`, `"birth_registered": 1`, `"pid_issued": 3`, `"child_card_issued": 2`, `"reconciled": true`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
}
