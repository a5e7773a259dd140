package restapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the ingress's own Prometheus collectors, beside the hub's
// transaction counters (which count every exchange whichever way it
// came): HTTP requests by route and status, and their durations by route.
// A route is one of the ingress's fixed patterns (e.g. "POST
// /r1/{provider}/{service}"; "/r1/" for a path it does not serve), so the
// series are bounded whatever the traffic.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ndxp_rest_requests_total",
			Help: "HTTP requests the REST ingress answered, by route (the pattern that served it) and HTTP status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ndxp_rest_request_duration_seconds",
			Help:    "How long the REST ingress took to answer, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms to 16 s
		}, []string{"route"}),
	}
}

// handle serves pattern with h, counted and timed under the route pattern.
func (a *API) handle(pattern string, h http.HandlerFunc) {
	route := prometheus.Labels{"route": pattern}
	a.mux.Handle(pattern, promhttp.InstrumentHandlerDuration(a.metrics.duration.MustCurryWith(route),
		promhttp.InstrumentHandlerCounter(a.metrics.requests.MustCurryWith(route), h)))
}

// Collectors are the ingress's Prometheus collectors: register them on
// the registry the hub's /metrics exposes.
func (a *API) Collectors() []prometheus.Collector {
	return []prometheus.Collector{a.metrics.requests, a.metrics.duration}
}
