package hub

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ndxp/ndxp/hub/counter"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// metrics are this hub instance's own measurements; the shared totals come
// from the counter.
type metrics struct {
	inFlight prometheus.Gauge
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	return &metrics{
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ndxp_exchanges_in_flight",
			Help: "Exchanges this hub is handling right now.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ndxp_exchange_duration_seconds",
			Help:    "Time this hub took to handle an exchange, from receipt to answer, by provider (unknown if not registered) and outcome code (as grpc_code).",
			Buckets: prometheus.ExponentialBucketsRange(0.0001, 30, 16),
		}, []string{"provider", "code"}),
	}
}

// observe measures an exchange whose record tx names only registered
// providers (see Hub.unregistered), so the series stay bounded by the
// registry: providers x 17 codes. The service is left out: with it, the
// product reaches tens of thousands of histograms per hub.
func (m *metrics) observe(tx *hubv1.TransactionRecord, d time.Duration) {
	m.duration.WithLabelValues(tx.Provider, counter.GRPCCode(tx.Code)).Observe(d.Seconds())
}

// Collectors are the hub's Prometheus collectors: the shared transaction
// totals and this instance's gauges, histograms and delivery attempts,
// and the grant store's usage.
// Register them on the registry the HTTP server exposes.
func (h *Hub) Collectors() []prometheus.Collector {
	c := append(append([]prometheus.Collector{h.counter.Collector(h.reg), h.audit, h.metrics.inFlight, h.metrics.duration}, h.deliver.Collectors()...), h.access.Collectors()...)
	c = append(c, h.link.Collectors()...)
	return append(c, h.store.collectors()...)
}
