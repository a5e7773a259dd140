package hub

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ndxp/ndxp/hub/dashboard"
	"github.com/ndxp/ndxp/internal/field"
)

// HTTPHandler serves the hub's HTTP endpoints:
//
//	/            the dashboard (assets embedded in the binary)
//	/api/stats   the counters of ?day=YYYY-MM-DD or ?month=YYYY-MM (default
//	             today) as JSON: the Stats message of the gRPC API, in
//	             protojson; &sync=1 waits for every stored record first
//	/metrics     Prometheus text format, from reg
//	/healthz     200 while the process runs
//	/readyz      200 while the hub can serve (NATS connected), else 503
func (h *Hub) HTTPHandler(reg *prometheus.Registry) *http.ServeMux {
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
	mux.HandleFunc("GET /api/stats", h.serveStats)
	mux.Handle("GET /", dashboard.Handler())
	return mux
}

// serveStats answers /api/stats with the same Stats as GetStats.
func (h *Hub) serveStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := period(q.Get("day"), q.Get("month"))
	if err == nil && q.Get("sync") != "" && q.Get("sync") != "1" && q.Get("sync") != "0" {
		err = field.Errorf("sync", "%q: want 1 or 0", q.Get("sync"))
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	st, err := h.Stats(r.Context(), p, q.Get("sync") == "1")
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, err)
		return
	}
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(st)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

func writeJSONError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
