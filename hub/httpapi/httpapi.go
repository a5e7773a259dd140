// Package httpapi is the hub's HTTP views over the exchange core
// (hub.Hub): the dashboard, the counters, records and rates as JSON,
// metrics, health and profiles. The REST ingress of exchanges is
// hub/restapi.
package httpapi

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/dashboard"
)

// Handler serves the hub's HTTP endpoints over h:
//
//	/            the dashboard (assets embedded in the binary)
//	/api/stats   the counters of ?day=YYYY-MM-DD or ?month=YYYY-MM (default
//	             today) as JSON: the Stats message of the gRPC API, in
//	             protojson; &sync=1 waits for every stored record first
//	/api/records transaction records, as QueryRecords: ?from=&to= (RFC 3339),
//	             &by=business_time (window on business time), &agency=,
//	             &service=, &page_size=, &page_token=
//	/api/rates   transactions per second over the last ten minutes, one
//	             value a second, sampled by the hub (see hub/rates.go)
//	/metrics     Prometheus text format, from reg
//	/healthz     200 while the process runs
//	/readyz      200 while the hub can serve (NATS connected), else 503
//	/debug/pprof/ Go's profiles (CPU, heap, goroutines, traces) of the
//	             process: go tool pprof http://<addr>/debug/pprof/heap
//
// It guards nothing: who may read is the server's to decide in front of it.
func Handler(h *hub.Hub, reg *prometheus.Registry) *http.ServeMux {
	v := views{h: h}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := h.Ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /api/stats", v.stats)
	mux.HandleFunc("GET /api/records", v.records)
	mux.HandleFunc("GET /api/rates", v.rates)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /", dashboard.Handler())
	return mux
}

// views are the JSON read-outs of one hub.
type views struct{ h *hub.Hub }
