package loadtest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ndxp/ndxp/adapters/topology"
)

// replayCounts runs the generator of a profile's whole period at scale
// and returns the hub transactions it plans by service (nested hops
// under their own service), scaled back to full size.
func replayCounts(t *testing.T, name string, scale float64) (map[string]float64, int64) {
	t.Helper()
	p, err := LoadProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	days, err := plan(p, p.PeriodStart, p.PeriodDays, scale)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{cfg: Config{Profile: p, Seed: 1}, days: days}
	r.consumers, _ = consumerSpread(p.Consumers, p.MinistryShare)
	for _, m := range p.Mix {
		prov, code, _ := topology.ServiceRef(m.Service).Split()
		r.services = append(r.services, service{ref: m.Service, provider: prov, code: code, weight: m.Weight, hops: hopsOf(m.Service)})
	}
	jobs := make(chan job, 1024)
	go r.generate(context.Background(), time.Now(), jobs)
	out := map[string]float64{}
	var total int64
	for j := range jobs {
		s := r.services[j.svc]
		out[s.ref] += 1 / scale
		for _, h := range nestedHops[s.ref] {
			out[ref(h.provider, h.service)+" nested"] += 1 / scale
		}
		total += s.hops
	}
	return out, total
}

// TestMixPublishedFigures: replaying a profile's period gives the
// per-service figures the reports publish, within rounding (one exchange
// at the replay's scale): births with an ID number, household checks,
// documents per month; and the period's total exactly, nested hops
// included.
func TestMixPublishedFigures(t *testing.T) {
	births := ref(topology.CivilRegistryCode, topology.ServiceBirthRegister)
	checks := ref(topology.SocialInsuranceCode, topology.ServiceHouseholdVerify)
	docs := ref(topology.DocumentExchangeCode, topology.ServiceDocumentSend)
	nestedMembers := ref(topology.PopulationCode, topology.ServiceHouseholdMembers) + " nested"
	tests := []struct {
		profile string
		scale   float64
		total   int64
		want    map[string]float64 // over the period
	}{
		{"2021", 0.01, 37_067_063, map[string]float64{
			checks: 8_100_000, nestedMembers: 8_100_000, births: BirthsPerDay * 232, docs: 2_500_000.0 * 232 / 231}},
		{"2022-h1", 0.001, 350_000_000, map[string]float64{births: BirthsPerDay * 181, checks: HouseholdChecksPerDay * 181}},
		{"2021-08", 0.1, 8_110_019, map[string]float64{docs: 486_881.0 * 20 / 31, births: BirthsPerDay * 20}},
		{"2023-05", 0.01, 28_045_703, map[string]float64{docs: 2_900_000.0 / 151 * 20, births: BirthsPerDay * 20}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			got, total := replayCounts(t, tt.profile, tt.scale)
			if want := int64(math.Round(float64(tt.total) * tt.scale)); total != want {
				t.Errorf("the period replays %d transactions at scale %g, want %d", total, tt.scale, want)
			}
			for svc, want := range tt.want {
				if d := math.Abs(got[svc] - want); d > 1.5/tt.scale {
					t.Errorf("%s: %.0f over the period, want %.0f (within %.0f)", svc, got[svc], want, 1.5/tt.scale)
				}
			}
		})
	}
}
