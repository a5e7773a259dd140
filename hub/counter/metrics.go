package counter

import "github.com/prometheus/client_golang/prometheus"

var (
	txDesc = prometheus.NewDesc("ndxp_transactions_total",
		"Transactions counted from the shared record stream since it began, by consumer, provider, service and outcome code. Every hub on one NATS reports the same totals: aggregate across hubs with max(), not sum().",
		[]string{"consumer", "provider", "service", "code"}, nil)
	appliedDesc = prometheus.NewDesc("ndxp_records_applied_sequence",
		"Stream sequence of the last transaction record this hub has counted.", nil, nil)
	savedDesc = prometheus.NewDesc("ndxp_records_checkpoint_sequence",
		"Stream sequence included in the newest counter checkpoint this hub wrote or restored.", nil, nil)
	lostDesc = prometheus.NewDesc("ndxp_records_lost_total",
		"Transaction records the stream discarded (MaxBytes or MaxAge) before a checkpoint included them; should stay 0.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Counter) Describe(ch chan<- *prometheus.Desc) {
	ch <- txDesc
	ch <- appliedDesc
	ch <- savedDesc
	ch <- lostDesc
}

// Collect implements prometheus.Collector.
func (c *Counter) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	ms := make([]prometheus.Metric, 0, len(c.all))
	for k, n := range c.all {
		ms = append(ms, prometheus.MustNewConstMetric(txDesc, prometheus.CounterValue, float64(n), k.Consumer, k.Provider, k.Service, CodeName(k.Code)))
	}
	lost := c.lost
	c.mu.RUnlock()
	for _, m := range ms {
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(appliedDesc, prometheus.GaugeValue, float64(c.Applied()))
	ch <- prometheus.MustNewConstMetric(savedDesc, prometheus.GaugeValue, float64(c.Saved()))
	ch <- prometheus.MustNewConstMetric(lostDesc, prometheus.CounterValue, float64(lost))
}
