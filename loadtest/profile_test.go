package loadtest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/adapters/population/synth"
	_ "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

func TestPlanTotals(t *testing.T) {
	tests := []struct {
		profile   string
		start     string
		days      int
		scale     float64
		wantTotal int64
		wantFirst string
	}{
		{"2021-08", "", 20, 1, 8_110_019, "2021-08-01"},
		{"2023-05", "", 20, 1, 28_045_703, "2023-05-01"},
		{"2023-05", "", 1, 1, 1_470_000, "2023-05-01"},
		{"2023-05", "2023-05-02", 20, 1, 20 * 1_470_000, "2023-05-02"},
		{"2022-h1", "", 1, 1, 1_900_000, "2022-03-15"},
		{"2022-h1", "", 1, 0.001, 1_900, "2022-03-15"},
		{"2023-05", "", 20, 0.001, 28_046, "2023-05-01"},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.start, func(t *testing.T) {
			p, err := LoadProfile(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			days, err := plan(p, tt.start, tt.days, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			var total, published int64
			for _, d := range days {
				total += d.Planned
				published += d.Published
			}
			if total != tt.wantTotal || len(days) != tt.days || days[0].Day != tt.wantFirst {
				t.Errorf("%d days from %s, total %d; want %d from %s, total %d", len(days), days[0].Day, total, tt.days, tt.wantFirst, tt.wantTotal)
			}
			if tt.scale == 1 && published != total {
				t.Errorf("published %d != planned %d at scale 1", published, total)
			}
		})
	}
}

func TestPlanWeekend(t *testing.T) {
	p, _ := LoadProfile("2023-05")
	days, _ := plan(p, "", 20, 1)
	// 2023-05-06 is a Saturday, 2023-05-08 a Monday.
	sat, mon := days[5], days[7]
	if sat.Day != "2023-05-06" || float64(sat.Published) > 0.3*float64(mon.Published) {
		t.Errorf("Saturday %s %d, Monday %s %d; want the weekend at a quarter of a weekday", sat.Day, sat.Published, mon.Day, mon.Published)
	}
}

func TestDayClock(t *testing.T) {
	c := newDayClock(DefaultHourly)
	const n = 100_000
	var perHour [24]int
	prev := time.Duration(-1)
	for k := range int64(n) {
		off := c.offset(k, n)
		if off < prev || off >= 24*time.Hour {
			t.Fatalf("offset %d = %s after %s: want increasing within the day", k, off, prev)
		}
		prev = off
		perHour[int(off/time.Hour)]++
	}
	sum := 0.0
	for _, w := range DefaultHourly {
		sum += w
	}
	for h, got := range perHour {
		want := n * DefaultHourly[h] / sum
		if d := float64(got) - want; d > 2 || d < -2 {
			t.Errorf("hour %d: %d transactions, want %.0f", h, got, want)
		}
	}
	if perHour[3] >= perHour[12] || perHour[12] >= perHour[10] {
		t.Errorf("night %d, lunch %d, morning %d: want night < lunch dip < morning peak", perHour[3], perHour[12], perHour[10])
	}
}

func TestApportionExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		w := make([]float64, 1+r.IntN(30))
		for i := range w {
			w[i] = r.Float64()
		}
		total := r.Int64N(1e9)
		var sum int64
		for _, p := range apportion(total, w) {
			sum += p
		}
		if sum != total {
			t.Fatalf("apportion(%d, %v) sums to %d", total, w, sum)
		}
	}
}

func TestLoadProfileFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `
name: night-shift
per_day: 1000
start: 2024-01-08
days: 3
curve:
  hourly: [10,10,10,10,10,10,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,10,10]
  weekend: 1
mix:
  - {service: 000.00.01.G01/citizen-lookup, weight: 3}
  - {service: 000.00.01.G23/card-lookup, weight: 1}
consumers: uniform
`)
	p, err := LoadProfile(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "night-shift" || p.Days != 3 || len(p.Mix) != 2 || p.Consumers != SpreadUniform || p.Curve.Weekend != 1 {
		t.Errorf("loaded %+v", p)
	}
	json := write("p.json", `{"per_day": 5, "start": "2024-01-08"}`)
	if p, err := LoadProfile(json); err != nil || len(p.Mix) != len(DefaultMix) || len(p.Curve.Hourly) != 24 {
		t.Errorf("JSON profile with defaults: %+v, %v", p, err)
	}

	bad := []struct{ name, body, want string }{
		{"perday", `{per_day: 0, start: 2024-01-08}`, "per_day"},
		{"start", `{per_day: 5, start: 8 Jan}`, "start"},
		{"hourly", `{per_day: 5, start: 2024-01-08, curve: {hourly: [1,2,3]}}`, "curve.hourly"},
		{"mix", `{per_day: 5, start: 2024-01-08, mix: [{service: population, weight: 1}]}`, "mix[0].service"},
		{"weight", `{per_day: 5, start: 2024-01-08, mix: [{service: 000.00.01.G01/citizen-lookup, weight: -1}]}`, "mix[0].weight"},
		{"spread", `{per_day: 5, start: 2024-01-08, consumers: random}`, "consumers"},
		{"unknown", `{per_day: 5, start: 2024-01-08, perday: 3}`, "perday"},
		{"period", `{per_day: 5, start: 2024-01-08, period_total: 100}`, "period_days"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadProfile(write(tt.name+".yaml", tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := LoadProfile("no-such-profile"); err == nil || !strings.Contains(err.Error(), "2022-h1") {
		t.Errorf("unknown profile: err = %v, want one listing the built-ins", err)
	}
}

func TestConsumerSpread(t *testing.T) {
	codes, w := consumerSpread(SpreadPopulation, DefaultMinistryShare)
	if len(codes) != 85 {
		t.Fatalf("%d consumers, want the 85 LGSPs", len(codes))
	}
	weight := map[string]float64{}
	for i, c := range codes {
		weight[c] = w[i]
	}
	// Ho Chi Minh City (H29) outweighs Bắc Kạn (H04) about 29 to 1.
	if r := weight["000.00.00.H29"] / weight["000.00.00.H04"]; r < 20 || r > 40 {
		t.Errorf("HCMC / Bắc Kạn weight = %.1f, want about 29", r)
	}
	_, w = consumerSpread(SpreadUniform, DefaultMinistryShare)
	if w[0] != w[84] {
		t.Errorf("uniform weights differ: %v", w)
	}
}

func TestCollectorBoundedTimeline(t *testing.T) {
	start := time.Unix(0, 0)
	c := newCollector(start, 1, 1)
	ch := make(chan result)
	go func() {
		for s := range 5000 { // 5000 seconds of traffic, one result a second
			ch <- result{code: codes.OK, latency: time.Millisecond, done: start.Add(time.Duration(s) * time.Second)}
		}
		close(ch)
	}()
	c.run(ch)
	c.finish()
	if len(c.timeline) > maxBuckets {
		t.Errorf("%d buckets, want at most %d", len(c.timeline), maxBuckets)
	}
	var n int64
	for _, b := range c.timeline {
		n += b.Count
	}
	if n != 5000 || c.done != 5000 {
		t.Errorf("timeline holds %d results, collector %d; want 5000", n, c.done)
	}
}

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]float64{"max": 0, "1x": 1, "60x": 60, "1440": 1440} {
		if got, err := ParseSpeed(in); err != nil || got != want {
			t.Errorf("ParseSpeed(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "0x", "-2x"} {
		if _, err := ParseSpeed(in); err == nil {
			t.Errorf("ParseSpeed(%q) accepted", in)
		}
	}
}

func TestReflectPayload(t *testing.T) {
	pop := synth.Population{Seed: 1}
	f := reflectPayload(pop, "ndxp.population.v1.VerifyCitizenRequest")
	if f == nil {
		t.Fatal("no builder for VerifyCitizenRequest")
	}
	m, ok := f(rand.New(rand.NewPCG(1, 1))).(*populationv1.VerifyCitizenRequest)
	if !ok {
		t.Fatalf("built %T", m)
	}
	c, found := pop.Citizen(m.GetPersonalId())
	if !found || c.GetFullName() != m.GetFullName() || c.GetDateOfBirth() != m.GetDateOfBirth() {
		t.Errorf("built %v, want an existing citizen's id, name and date of birth", m)
	}
	for _, name := range []string{"ndxp.nothing.v1.Unknown", "ndxp.hub.v1.GetAgencyRequest"} {
		if reflectPayload(pop, name) != nil {
			t.Errorf("a builder for %s, want none", name)
		}
	}
}
