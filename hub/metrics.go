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
			Help:    "Time this hub took to handle an exchange, from receipt to answer, by provider, service and outcome code.",
			Buckets: prometheus.ExponentialBucketsRange(0.0001, 30, 16),
		}, []string{"provider", "service", "code"}),
	}
}

func (m *metrics) observe(tx *hubv1.TransactionRecord, d time.Duration) {
	m.duration.WithLabelValues(tx.Provider, tx.Service, counter.CodeName(tx.Code)).Observe(d.Seconds())
}

// Collectors are the hub's Prometheus collectors: the shared transaction
// totals and this instance's gauges, histograms, delivery attempts and
// NATS connection state.
// Register them on the registry the HTTP server exposes.
func (h *Hub) Collectors() []prometheus.Collector {
	c := append([]prometheus.Collector{h.counter, h.metrics.inFlight, h.metrics.duration}, h.deliver.Collectors()...)
	return append(c, h.link.Collectors()...)
}
