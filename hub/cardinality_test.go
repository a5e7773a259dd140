package hub_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/wire"
)

// series counts the samples (series) of a /metrics exposition.
func series(body string) int {
	n := 0
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

// TestInventedCodesBounded: a flood of refusals naming invented
// consumers, providers and services (2,000 distinct of each) adds a fixed
// handful of series to /metrics and of rows to the counters: the labels
// and the records name what is not registered as "unknown", while each
// refusal still tells its caller what it asked for.
func TestInventedCodesBounded(t *testing.T) {
	env := hubtest.Start(t)
	metricsURL := "http://" + env.HTTPAddr() + "/metrics"
	before := series(get(t, metricsURL))

	const n, workers = 2000, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				req := lookup(t, knownID)
				req.MessageId = fmt.Sprint("flood-", i)
				req.Consumer = fmt.Sprintf("%03d.%02d.%02d.Z%02d", i%1000, i/1000, 7, i%100)
				req.Provider = fmt.Sprintf("999.%02d.%02d.X%02d", i/100, i%100, i%97)
				req.Service = fmt.Sprintf("svc-%d", i)
				asked := req.Provider
				if i%4 == 0 { // a registered provider, an invented service
					req.Provider, asked = population.Code, req.Service
				}
				_, err := env.Exchange.Exchange(ctxT(t), req)
				if st := status.Convert(err); st.Code() != codes.NotFound || !strings.Contains(st.Message(), fmt.Sprintf("%q", asked)) {
					errs <- fmt.Errorf("request %d: %v %q, want NotFound naming what was asked", i, st.Code(), st.Message())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	st := todayStats(t, env)
	if st.GetCount().GetTotal() != n {
		t.Fatalf("counted %v, want %d", st.GetCount(), n)
	}
	if len(st.GetRows()) > 2 || len(st.GetByConsumer()) > 1 || len(st.GetByProvider()) > 2 || len(st.GetByService()) > 2 {
		t.Fatalf("counters keep %d rows, %d consumers, %d providers, %d services: want at most 2, 1, 2, 2 (unknown and %s)",
			len(st.GetRows()), len(st.GetByConsumer()), len(st.GetByProvider()), len(st.GetByService()), population.Code)
	}
	for _, b := range st.GetByConsumer() {
		if b.GetKey() != wire.Unknown {
			t.Errorf("an invented consumer is counted as %q, want %q", b.GetKey(), wire.Unknown)
		}
	}

	body := get(t, metricsURL)
	// At most: 2 providers x 1 code x 19 histogram lines, 2 + 1 totals.
	grown := series(body) - before
	if grown > 60 {
		t.Fatalf("/metrics grew by %d series (%d bytes) after %d invented codes; want a bounded handful", grown, len(body), n)
	}
	t.Logf("/metrics: %d series before, %d more after %d refusals with invented codes (%d bytes)", before, grown, n, len(body))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, m := range families["ndxp_transactions_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["code"] != codes.NotFound.String() || labels["service"] != wire.Unknown || (labels["provider"] != wire.Unknown && labels["provider"] != population.Code) {
			t.Errorf("ndxp_transactions_total%v, want provider unknown or %s, service unknown, code %s", labels, population.Code, codes.NotFound)
		}
		total += m.GetCounter().GetValue()
	}
	if total != n {
		t.Errorf("ndxp_transactions_total sums to %v, want %d", total, n)
	}
	for _, m := range families["ndxp_consumer_transactions_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "consumer" && l.GetValue() != wire.Unknown {
				t.Errorf("ndxp_consumer_transactions_total has consumer %q, want %q", l.GetValue(), wire.Unknown)
			}
		}
	}
}
