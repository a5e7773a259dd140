package hub

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/dashboard"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// HTTPHandler serves the hub's HTTP endpoints:
//
//	/            the dashboard (assets embedded in the binary)
//	/api/stats   the counters of ?day=YYYY-MM-DD or ?month=YYYY-MM (default
//	             today) as JSON: the Stats message of the gRPC API, in
//	             protojson; &sync=1 waits for every stored record first
//	/api/records transaction records, as QueryRecords: ?from=&to= (RFC 3339),
//	             &by=business_time (window on business time), &agency=,
//	             &service=, &page_size=, &page_token=
//	/api/rates   transactions per second over the last ten minutes, one
//	             value a second, sampled by the hub (see rates.go)
//	/metrics     Prometheus text format, from reg
//	/healthz     200 while the process runs
//	/readyz      200 while the hub can serve (NATS connected), else 503
//	/debug/pprof/ Go's profiles (CPU, heap, goroutines, traces) of the
//	             process: go tool pprof http://<addr>/debug/pprof/heap
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
	mux.HandleFunc("GET /api/records", h.serveRecords)
	mux.HandleFunc("GET /api/rates", h.serveRates)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
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
	writeProtoJSON(w, st)
}

// serveRecords answers /api/records with a page of QueryRecords.
func (h *Hub) serveRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := &hubv1.QueryRecordsRequest{Agency: q.Get("agency"), Service: q.Get("service"), PageToken: q.Get("page_token"),
		ByBusinessTime: q.Get("by") == "business_time"}
	var err error
	if by := q.Get("by"); by != "" && by != "business_time" && by != "received_at" {
		err = field.Errorf("by", "%q: want business_time or received_at", by)
	}
	for _, f := range []struct {
		name string
		dst  **timestamppb.Timestamp
	}{{"from", &req.From}, {"to", &req.To}} {
		if v := q.Get(f.name); v != "" && err == nil {
			t, perr := time.Parse(time.RFC3339Nano, v)
			if perr != nil {
				err = field.Errorf(f.name, "%q is not an RFC 3339 time such as 2023-05-20T10:05:00+07:00", v)
			}
			*f.dst = timestamppb.New(t)
		}
	}
	if v := q.Get("page_size"); v != "" && err == nil {
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil {
			err = field.Errorf("page_size", "%q is not a number", v)
		}
		req.PageSize = int32(n)
	}
	var query txlog.Query
	if err == nil {
		query, err = h.recordQuery(req)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	page, err := h.txlog.Query(r.Context(), query)
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, err)
		return
	}
	writeProtoJSON(w, recordsResponse(page))
}

func writeProtoJSON(w http.ResponseWriter, m proto.Message) {
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
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
