package delivery

import "github.com/prometheus/client_golang/prometheus"

// Attempt results, the values of the result label.
const (
	resultDelivered = "delivered" // the provider answered: final
	resultFailed    = "failed"    // the provider's error, or the last attempt: final
	resultRetried   = "retried"   // the provider was unreachable: tried again later
)

// metrics are this hub's delivery attempts; the outcomes are counted, with
// every transaction, by the counter.
type metrics struct {
	attempts *prometheus.CounterVec
	inFlight prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ndxp_delivery_attempts_total",
			Help: "Asynchronous delivery attempts this hub made, by result: delivered, failed (both final) or retried (the provider was unreachable).",
		}, []string{"result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ndxp_deliveries_in_flight",
			Help: "Asynchronous delivery attempts this hub is making right now.",
		}),
	}
	for _, r := range []string{resultDelivered, resultFailed, resultRetried} {
		m.attempts.WithLabelValues(r)
	}
	return m
}

// Collectors are the delivery path's Prometheus collectors (this hub's
// attempts); register them with the hub's.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.attempts, s.metrics.inFlight}
}
