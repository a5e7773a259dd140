package restapi_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// TestRESTMetrics: /metrics counts the ingress's requests by route and
// status, and times them by route; made-up paths all land on one route,
// so the series stay bounded whatever the traffic.
func TestRESTMetrics(t *testing.T) {
	env := hubtest.Start(t)
	lookup := "/r1/" + population.Code + "/" + population.ServiceLookup
	who := []string{"Ndxp-Consumer: " + consumer, "Ndxp-Purpose: HS-2024-001", "Ndxp-User-Id: can-bo-01"}
	if r := curl(t, post(env, nil, lookup, `{"personalId": "`+knownID+`"}`, who...)...); r.status != http.StatusOK {
		t.Fatalf("lookup: status %d: %s", r.status, r.body)
	}
	if r := curl(t, post(env, nil, lookup, `{"personalId": "1"}`, who...)...); r.status != http.StatusBadRequest {
		t.Fatalf("bad lookup: status %d: %s", r.status, r.body)
	}
	for i := range 20 {
		if r := curl(t, get(env, fmt.Sprintf("/r1/made-up-%d/a/b", i))...); r.status != http.StatusNotFound {
			t.Fatalf("made-up path: status %d: %s", r.status, r.body)
		}
	}
	resp, err := http.Get("http://" + env.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	metrics := string(b)
	for _, want := range []string{
		`ndxp_rest_requests_total{code="200",route="POST /r1/{provider}/{service}"} 1`,
		`ndxp_rest_requests_total{code="400",route="POST /r1/{provider}/{service}"} 1`,
		`ndxp_rest_requests_total{code="404",route="/r1/"} 20`,
		`ndxp_rest_request_duration_seconds_count{route="POST /r1/{provider}/{service}"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^ndxp_rest_requests_total\{`).FindAllString(metrics, -1)); n != 3 {
		t.Errorf("%d series of ndxp_rest_requests_total, want 3 (one per route and code seen)", n)
	}
}
