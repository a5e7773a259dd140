package hub_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ndxp/ndxp/internal/hubtest"
)

// TestReadoutsAgree: after a run of exchanges, the gRPC API, /api/stats
// and /metrics show the totals the clients saw, and /metrics passes the
// linter of `promtool check metrics`.
func TestReadoutsAgree(t *testing.T) {
	env := hubtest.Start(t)
	ok, failed := 0, 0
	for i := range 12 {
		id := knownID
		if i%4 == 0 {
			id = "0011"
		}
		req := lookup(t, id)
		req.MessageId = fmt.Sprint("agree-", i)
		if _, err := env.Exchange.Exchange(ctxT(t), req); err != nil {
			failed++
		} else {
			ok++
		}
	}
	grpcStats := todayStats(t, env)
	if c := grpcStats.GetCount(); c.GetSucceeded() != int64(ok) || c.GetFailed() != int64(failed) {
		t.Fatalf("gRPC counted %v; the clients saw %d succeed and %d fail", c, ok, failed)
	}

	var api struct {
		Period string `json:"period"`
		Count  struct {
			Total     string `json:"total"`
			Succeeded string `json:"succeeded"`
		} `json:"count"`
	}
	if err := json.Unmarshal([]byte(get(t, "http://"+env.HTTPAddr()+"/api/stats")), &api); err != nil {
		t.Fatal(err)
	}
	if api.Period != grpcStats.GetPeriod() || api.Count.Total != fmt.Sprint(ok+failed) || api.Count.Succeeded != fmt.Sprint(ok) {
		t.Fatalf("/api/stats = %+v, want period %s, %d total, %d succeeded", api, grpcStats.GetPeriod(), ok+failed, ok)
	}

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(get(t, "http://"+env.HTTPAddr()+"/metrics")))
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]float64{}
	for _, m := range families["ndxp_transactions_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" {
				byCode[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	if byCode["OK"] != float64(ok) || byCode["INVALID_ARGUMENT"] != float64(failed) {
		t.Fatalf("/metrics ndxp_transactions_total by code = %v, want OK %d, INVALID_ARGUMENT %d", byCode, ok, failed)
	}

	problems, err := testutil.GatherAndLint(env.Platform.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promtool check metrics: %s: %s", p.Metric, p.Text)
	}
}
