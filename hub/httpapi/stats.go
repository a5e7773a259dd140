package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/field"
)

// stats answers /api/stats with the same Stats as GetStats.
func (v views) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := hub.Period(q.Get("day"), q.Get("month"))
	if err == nil && q.Get("sync") != "" && q.Get("sync") != "1" && q.Get("sync") != "0" {
		err = field.Errorf("sync", "%q: want 1 or 0", q.Get("sync"))
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	st, err := v.h.Stats(r.Context(), p, q.Get("sync") == "1")
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, err)
		return
	}
	writeProtoJSON(w, st)
}

// rates answers /api/rates: the transactions per second counted by this
// hub over the last ten minutes, one value a second, oldest first
// ({"rates": [{"at": RFC 3339, "count": n, "per_second": r}, ...]}).
func (v views) rates(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"rates": v.h.Rates(), "interval_s": hub.RateInterval.Seconds()})
}
