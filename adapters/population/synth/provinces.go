package synth

import (
	"math/rand/v2"

	"github.com/ndxp/ndxp/internal/vn"
)

// provincePopulation is each province's population in thousands, from the
// 2019 census (rounded; background figures, not from the seed reports).
// It weights where sampled citizens are born and where migrants live.
var provincePopulation = map[string]int{
	"001": 8054, "002": 855, "004": 530, "006": 314, "008": 785, "010": 731,
	"011": 599, "012": 460, "014": 1249, "015": 822, "017": 855, "019": 1287,
	"020": 782, "022": 1321, "024": 1804, "025": 1464, "026": 1152, "027": 1369,
	"030": 1893, "031": 2029, "033": 1253, "034": 1861, "035": 853, "036": 1781,
	"037": 983, "038": 3641, "040": 3328, "042": 1289, "044": 896, "045": 633,
	"046": 1129, "048": 1135, "049": 1496, "051": 1232, "052": 1487, "054": 873,
	"056": 1232, "058": 591, "060": 1231, "062": 540, "064": 1514, "066": 1869,
	"067": 622, "068": 1297, "070": 995, "072": 1170, "074": 2456, "075": 3097,
	"077": 1149, "079": 8993, "080": 1689, "082": 1765, "083": 1289, "084": 1010,
	"086": 1023, "087": 1600, "089": 1908, "091": 1723, "092": 1236, "093": 734,
	"094": 1200, "095": 907, "096": 1194,
}

// byPopulation draws provinces weighted by population.
var byPopulation = func() weighted[*vn.Province] {
	entries := make([]entry[*vn.Province], len(vn.Provinces))
	for i := range vn.Provinces {
		p := &vn.Provinces[i]
		entries[i] = entry[*vn.Province]{p, max(provincePopulation[p.Code], 1)}
	}
	return newWeighted(entries...)
}()

// centralCities are the five centrally-run cities, mostly urban districts.
var centralCities = map[string]bool{"001": true, "031": true, "048": true, "079": true, "092": true}

// isSouthern reports whether p lies in the Southeast or the Mekong Delta,
// where hamlets are called "ấp" rather than "thôn".
func isSouthern(p *vn.Province) bool { return p.Code >= "070" }

// randomProvince draws a province weighted by population.
func randomProvince(r *rand.Rand) *vn.Province { return byPopulation.pick(r.Uint64()) }
