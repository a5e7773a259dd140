package loadtest

import (
	"math/rand/v2"
	"sort"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/vn"
)

// picker draws indexes in proportion to weights.
type picker struct {
	cum []float64
}

func newPicker(weights []float64) picker {
	cum := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		cum[i] = sum
	}
	for i := range cum {
		cum[i] /= sum
	}
	return picker{cum: cum}
}

func (p picker) pick(r *rand.Rand) int {
	return min(sort.SearchFloat64s(p.cum, r.Float64()), len(p.cum)-1)
}

// consumerSpread returns the 85 LGSP codes (ministries, then provinces)
// and their weights under spread.
func consumerSpread(spread string, ministryShare float64) ([]string, []float64) {
	var codes []string
	var weights []float64
	nm := float64(len(topology.Ministries))
	for _, m := range topology.Ministries {
		codes = append(codes, m.Code)
		weights = append(weights, ministryShare/nm)
	}
	total := 0
	for _, p := range vn.Provinces {
		total += max(synth.ProvincePopulation(p.Code), 1)
	}
	for _, p := range vn.Provinces {
		codes = append(codes, p.AgencyCode)
		weights = append(weights, (1-ministryShare)*float64(max(synth.ProvincePopulation(p.Code), 1))/float64(total))
	}
	if spread == SpreadUniform {
		for i := range weights {
			weights[i] = 1
		}
	}
	return codes, weights
}

// consumerPickers returns, for each service, a picker over consumers
// restricted to the LGSPs that consume it in the built-in topology (the
// flows the hub's default grants follow), so that a run against a secure
// hub is not refused: only provinces register births, for instance. A
// service no LGSP consumes in the topology keeps the whole spread.
func consumerPickers(consumers []string, weights []float64, services []service) []picker {
	consumes := map[string]map[string]bool{} // service ref -> consumer codes
	if t, err := topology.Builtin(topology.DefaultBuiltin); err == nil {
		for _, a := range t.Agencies {
			for _, ref := range a.Consumes {
				if consumes[string(ref)] == nil {
					consumes[string(ref)] = map[string]bool{}
				}
				consumes[string(ref)][a.Code] = true
			}
		}
	}
	out := make([]picker, len(services))
	for i, s := range services {
		who := consumes[string(topology.Ref(s.provider, s.code))]
		w := make([]float64, len(weights))
		found := false
		for j, c := range consumers {
			if who[c] {
				w[j], found = weights[j], true
			}
		}
		if !found {
			copy(w, weights)
		}
		out[i] = newPicker(w)
	}
	return out
}
