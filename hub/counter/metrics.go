package counter

import "github.com/prometheus/client_golang/prometheus"

var txDesc = prometheus.NewDesc("ndxp_transactions_total",
	"Transactions counted from the shared record stream since it began, by consumer, provider, service and outcome code. Every hub on one NATS reports the same totals: aggregate across hubs with max(), not sum().",
	[]string{"consumer", "provider", "service", "code"}, nil)

var appliedDesc = prometheus.NewDesc("ndxp_counter_applied_sequence",
	"Stream sequence of the last transaction record this hub has counted.", nil, nil)

// Describe implements prometheus.Collector.
func (c *Counter) Describe(ch chan<- *prometheus.Desc) {
	ch <- txDesc
	ch <- appliedDesc
}

// Collect implements prometheus.Collector.
func (c *Counter) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	for k, n := range c.all {
		ch <- prometheus.MustNewConstMetric(txDesc, prometheus.CounterValue, float64(n), k.Consumer, k.Provider, k.Service, CodeName(k.Code))
	}
	c.mu.RUnlock()
	ch <- prometheus.MustNewConstMetric(appliedDesc, prometheus.GaugeValue, float64(c.Applied()))
}
