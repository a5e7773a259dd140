package loadtest

import (
	"github.com/ndxp/ndxp/adapters/topology"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// hop is an exchange a simulator makes through the hub while it serves an
// exchange of the mix: its consumer is the serving provider.
type hop struct{ consumer, provider, service string }

// nestedHops are the nested exchanges of the mix's services: a
// household-verify makes the insurance database ask the population
// database for the household's members. The hub counts them on the
// replayed day (the node SDK carries the hub's context token), so a
// service's transactions are its own plus these, and the plan counts both.
var nestedHops = map[string][]hop{
	ref(topology.SocialInsuranceCode, topology.ServiceHouseholdVerify): {
		{topology.SocialInsuranceCode, topology.PopulationCode, topology.ServiceHouseholdMembers},
	},
}

// isNested reports whether a counter row is a nested hop of the mix. The
// load tool calls as the LGSPs, never as a national database, so no row
// of its own looks like one.
func isNested(r *hubv1.Row) bool {
	for _, hops := range nestedHops {
		for _, h := range hops {
			if r.GetConsumer() == h.consumer && r.GetProvider() == h.provider && r.GetService() == h.service {
				return true
			}
		}
	}
	return false
}

// hopPicker chooses the services of a run by stride scheduling: each
// service comes up in turn every 1/weight, so after any number of picks
// each service's count is within one of its share (the published
// per-service figures are replayed within rounding, not within sampling
// noise), evenly spread over the day's hours. When what is left of a
// day is less than the next service's transactions (its nested hops),
// it takes the next service that makes none, so the day's transactions,
// nested hops included, add up to the plan exactly. Not safe for
// concurrent use.
type hopPicker struct {
	pass, stride []float64
	hops         []int64 // transactions per exchange sent, by service
}

func newHopPicker(services []service) *hopPicker {
	p := &hopPicker{}
	for _, s := range services {
		stride := 1 / s.weight
		p.stride = append(p.stride, stride)
		p.pass = append(p.pass, stride/2)
		p.hops = append(p.hops, s.hops)
	}
	return p
}

// pick returns a service making at most left transactions, or -1 if none can.
func (p *hopPicker) pick(left int64) int {
	best := -1
	for i := range p.pass {
		if p.hops[i] <= left && (best < 0 || p.pass[i] < p.pass[best]) {
			best = i
		}
	}
	if best >= 0 {
		p.pass[best] += p.stride[best]
	}
	return best
}

// hopsOf is how many transactions the hub counts for one exchange of ref.
func hopsOf(ref string) int64 { return 1 + int64(len(nestedHops[ref])) }
