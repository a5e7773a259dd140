package hub_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
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
	// The codes are spelled as the gRPC metrics' grpc_code.
	if byCode["OK"] != float64(ok) || byCode["InvalidArgument"] != float64(failed) {
		t.Fatalf("/metrics ndxp_transactions_total by code = %v, want OK %d, InvalidArgument %d", byCode, ok, failed)
	}

	var records struct {
		Records []struct {
			MessageID string `json:"messageId"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(get(t, "http://"+env.HTTPAddr()+"/api/records?agency="+population.Code+"&page_size=100")), &records); err != nil || len(records.Records) != ok+failed {
		t.Fatalf("/api/records: %d records, %v; want %d", len(records.Records), err, ok+failed)
	}
	for _, bad := range []string{"/api/records?from=10:05", "/api/records?page_size=x", "/api/records?service=Bad", "/api/stats?day=2023-02-30"} {
		resp, err := http.Get("http://" + env.HTTPAddr() + bad)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid ") {
			t.Errorf("GET %s = %d %s, want 400 naming the field", bad, resp.StatusCode, body)
		}
	}

	problems, err := testutil.GatherAndLint(env.Platform.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promtool check metrics: %s: %s", p.Metric, p.Text)
	}
}

// TestProfilesServed: the HTTP listener serves Go's profiles, so an
// operator can see where a hub's memory and CPU go (go tool pprof).
func TestProfilesServed(t *testing.T) {
	env := hubtest.Start(t)
	body := get(t, "http://"+env.HTTPAddr()+"/debug/pprof/heap?debug=1")
	if !strings.Contains(body, "heap profile") {
		t.Fatalf("/debug/pprof/heap answered %.200q, want a heap profile", body)
	}
}
