package audit

import "github.com/prometheus/client_golang/prometheus"

var (
	chainedDesc = prometheus.NewDesc("ndxp_audit_chained_sequence",
		"Last transaction stream sequence the audit chain covers, as this hub last saw it; compare with ndxp_records_applied_sequence for the chain's lag.", nil, nil)
	writerDesc = prometheus.NewDesc("ndxp_audit_writer",
		"1 while this hub holds the lease to write the audit chain, else 0; exactly one hub should.", nil, nil)
	blocksDesc = prometheus.NewDesc("ndxp_audit_blocks_written_total",
		"Signed audit blocks this hub appended.", nil, nil)
	damagedDesc = prometheus.NewDesc("ndxp_audit_damaged_blocks_total",
		"Blocks at the chain's tail found missing, unreadable or not validly signed when this hub took over writing; should stay 0 (run ndxp audit verify).", nil, nil)
	absentDesc = prometheus.NewDesc("ndxp_audit_absent_records_total",
		"Transaction records gone from the stream before this hub could chain them (written down as absent); should stay 0.", nil, nil)
)

func newChainMetrics() *chainMetrics { return &chainMetrics{} }

// Describe implements prometheus.Collector.
func (c *Chain) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{chainedDesc, writerDesc, blocksDesc, damagedDesc, absentDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Chain) Collect(ch chan<- prometheus.Metric) {
	writer := 0.0
	if c.m.writer.Load() {
		writer = 1
	}
	ch <- prometheus.MustNewConstMetric(chainedDesc, prometheus.GaugeValue, float64(c.m.chained.Load()))
	ch <- prometheus.MustNewConstMetric(writerDesc, prometheus.GaugeValue, writer)
	ch <- prometheus.MustNewConstMetric(blocksDesc, prometheus.CounterValue, float64(c.m.blocks.Load()))
	ch <- prometheus.MustNewConstMetric(damagedDesc, prometheus.CounterValue, float64(c.m.damaged.Load()))
	ch <- prometheus.MustNewConstMetric(absentDesc, prometheus.CounterValue, float64(c.m.absent.Load()))
}
