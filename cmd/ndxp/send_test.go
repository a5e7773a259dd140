package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// TestSendCommand sends an official document through the document
// exchange system asynchronously and follows its delivery.
func TestSendCommand(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.DocumentExchangeCode, "000.00.00.H29")
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}), hubtest.WithoutPopulation())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := []string{"--insecure", "--hub", env.GRPCAddr(), "--consumer", "000.00.00.H29"}
	doc := `{"recipientCode": "000.00.00.H01", "documentNumber": "76/BC-BTTTT", "subject": "Báo cáo tháng 8"}`
	tests := []struct {
		args []string
		want []string // regular expressions
		err  string
	}{
		{[]string{"send", "--message-id", "cv-76", topology.DocumentExchangeCode + "/document-send", doc},
			[]string{`"message_id": "cv-76"`, "DELIVERY_STATE_ACCEPTED"}, ""},
		{[]string{"delivery", "--wait", "50s", "cv-76"}, []string{"DELIVERY_STATE_DELIVERED", `"tracking_id": "cv-76"`, `"status": "stored"`}, ""},
		{[]string{"send", "--message-id", "cv-77", "--wait", "50s", topology.DocumentExchangeCode + "/document-send", doc},
			[]string{"DELIVERY_STATE_DELIVERED", `"attempts": 1,`}, ""},
		{[]string{"send", "--message-id", "cv-78", "--wait", "50s", topology.DocumentExchangeCode + "/document-send", "{}"},
			[]string{"DELIVERY_STATE_FAILED", "recipient_code"}, ""},
		{[]string{"delivery", "never-sent"}, nil, "NotFound"},
		{[]string{"send", topology.DocumentExchangeCode + "/nope"}, nil, `provides no service "nope"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := execute(t, ctx, append(tt.args, client...)...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (output %q)", err, out)
			}
			for _, w := range tt.want {
				if !regexp.MustCompile(w).MatchString(out) {
					t.Fatalf("output %q, want %q", out, w)
				}
			}
		})
	}
}
