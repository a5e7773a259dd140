package loadtest

import (
	"math/rand/v2"

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

// hopPicker draws the services of a day so that their transactions,
// nested hops included, add up to the day's plan exactly: when what is
// left is less than the drawn service's transactions, it draws among the
// services that make none.
type hopPicker struct {
	all, single picker
	singles     []int   // service index of each entry of single
	hops        []int64 // transactions per exchange sent, by service
}

func newHopPicker(services []service) hopPicker {
	var w, sw []float64
	hp := hopPicker{}
	for i, s := range services {
		w = append(w, s.weight)
		hp.hops = append(hp.hops, s.hops)
		if s.hops == 1 {
			sw = append(sw, s.weight)
			hp.singles = append(hp.singles, i)
		}
	}
	hp.all = newPicker(w)
	if len(sw) > 0 {
		hp.single = newPicker(sw)
	}
	return hp
}

// pick returns a service making at most left transactions, or -1 if none can.
func (p hopPicker) pick(r *rand.Rand, left int64) int {
	if i := p.all.pick(r); p.hops[i] <= left {
		return i
	}
	if len(p.singles) == 0 {
		return -1
	}
	return p.singles[p.single.pick(r)]
}

// hopsOf is how many transactions the hub counts for one exchange of ref.
func hopsOf(ref string) int64 { return 1 + int64(len(nestedHops[ref])) }
