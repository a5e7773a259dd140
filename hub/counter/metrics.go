package counter

import (
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/internal/wire"
)

var (
	txDesc = prometheus.NewDesc("ndxp_transactions_total",
		"Transactions counted from the shared record stream since it began, by provider, service and outcome code (as grpc_code). Every hub on one NATS reports the same totals: aggregate across hubs with max(), not sum().",
		[]string{"provider", "service", "code"}, nil)
	consumerDesc = prometheus.NewDesc("ndxp_consumer_transactions_total",
		"Transactions counted from the shared record stream since it began, by consumer and outcome code (as grpc_code). Aggregate across hubs with max(), not sum().",
		[]string{"consumer", "code"}, nil)
	appliedDesc = prometheus.NewDesc("ndxp_records_applied_sequence",
		"Stream sequence of the last transaction record this hub has counted.", nil, nil)
	savedDesc = prometheus.NewDesc("ndxp_records_checkpoint_sequence",
		"Stream sequence included in the newest counter checkpoint this hub wrote or restored.", nil, nil)
	lostDesc = prometheus.NewDesc("ndxp_records_lost_total",
		"Transaction records the stream discarded (MaxBytes or MaxAge) before a checkpoint included them; should stay 0.", nil, nil)
)

// Known tells the collector which label values are registered. Series are
// then bounded by the registry's size (and the 17 gRPC codes), whatever
// the records name: anything else is labelled wire.Unknown.
type Known interface {
	// KnownAgency reports whether code is a registered agency.
	KnownAgency(code string) bool
	// KnownService reports whether provider is registered with service.
	KnownService(provider, service string) bool
}

// Collector returns a prometheus.Collector of c's totals since the stream
// began: ndxp_transactions_total{provider,service,code} and
// ndxp_consumer_transactions_total{consumer,code}, whose label values not
// in known at scrape time collapse into wire.Unknown, and the stream
// positions. The two families are separate so that the series stay what
// an operator's Prometheus can hold (providers x services x codes plus
// consumers x codes, not their product).
func (c *Counter) Collector(known Known) prometheus.Collector {
	return &collector{c: c, known: known}
}

type collector struct {
	c     *Counter
	known Known
}

type serviceKey struct {
	provider, service string
	code              int32
}

type consumerKey struct {
	consumer string
	code     int32
}

// Describe implements prometheus.Collector.
func (m *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- txDesc
	ch <- consumerDesc
	ch <- appliedDesc
	ch <- savedDesc
	ch <- lostDesc
}

// Collect implements prometheus.Collector.
func (m *collector) Collect(ch chan<- prometheus.Metric) {
	services, consumers, lost := m.totals()
	for k, n := range services {
		ch <- prometheus.MustNewConstMetric(txDesc, prometheus.CounterValue, float64(n), k.provider, k.service, GRPCCode(k.code))
	}
	for k, n := range consumers {
		ch <- prometheus.MustNewConstMetric(consumerDesc, prometheus.CounterValue, float64(n), k.consumer, GRPCCode(k.code))
	}
	ch <- prometheus.MustNewConstMetric(appliedDesc, prometheus.GaugeValue, float64(m.c.Applied()))
	ch <- prometheus.MustNewConstMetric(savedDesc, prometheus.GaugeValue, float64(m.c.Saved()))
	ch <- prometheus.MustNewConstMetric(lostDesc, prometheus.CounterValue, float64(lost))
}

// totals sums the counter's keys into the two families' label sets.
func (m *collector) totals() (map[serviceKey]int64, map[consumerKey]int64, uint64) {
	services, consumers := map[serviceKey]int64{}, map[consumerKey]int64{}
	m.c.mu.RLock()
	for k, n := range m.c.all {
		services[serviceKey{k.Provider, k.Service, k.Code}] += n
		consumers[consumerKey{k.Consumer, k.Code}] += n
	}
	lost := m.c.lost
	m.c.mu.RUnlock()
	// The registry is asked outside mu: records keep being counted.
	return m.collapse(services), m.collapseConsumers(consumers), lost
}

func (m *collector) collapse(in map[serviceKey]int64) map[serviceKey]int64 {
	out := make(map[serviceKey]int64, len(in))
	for k, n := range in {
		switch {
		case !m.known.KnownAgency(k.provider):
			k.provider, k.service = wire.Unknown, wire.Unknown
		case !m.known.KnownService(k.provider, k.service):
			k.service = wire.Unknown
		}
		out[k] += n
	}
	return out
}

func (m *collector) collapseConsumers(in map[consumerKey]int64) map[consumerKey]int64 {
	out := make(map[consumerKey]int64, len(in))
	for k, n := range in {
		if !m.known.KnownAgency(k.consumer) {
			k.consumer = wire.Unknown
		}
		out[k] += n
	}
	return out
}

// GRPCCode is the name of a gRPC code number as the gRPC metrics' grpc_code
// label spells it ("OK", "NotFound", "PermissionDenied"); a number outside
// the 17 codes is "Unknown".
func GRPCCode(code int32) string {
	if code < 0 || code > int32(codes.Unauthenticated) {
		return codes.Unknown.String()
	}
	return codes.Code(code).String()
}
