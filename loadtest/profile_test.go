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
		{"2023-05", "", 20, 0.001, 28_046, "2023-05-01"},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.start, func(t *testing.T) {
			days := mustPlan(t, tt.profile, tt.start, tt.days, tt.scale)
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

func mustPlan(t *testing.T, profile, start string, days int, scale float64) []DayPlan {
	t.Helper()
	p, err := LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan(p, start, days, scale)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlanSingleDayInPeriod: a day of a profile's period replayed alone
// gets the same figure as in the whole period's run.
func TestPlanSingleDayInPeriod(t *testing.T) {
	period := mustPlan(t, "2023-05", "", 20, 1)
	for _, i := range []int{0, 1, 4, 5, 19} {
		one := mustPlan(t, "2023-05", period[i].Day, 1, 1)
		if one[0].Published != period[i].Published || one[0].Planned != period[i].Published {
			t.Errorf("%s alone: %d (%d planned), in the period: %d", period[i].Day, one[0].Published, one[0].Planned, period[i].Published)
		}
	}
}

// TestPlanCalendar: weekends and public holidays weigh less than a
// weekday, in a period and in a single-day run alike, Tết and 1 May
// included; outside a period the days average PerDay.
func TestPlanCalendar(t *testing.T) {
	p, _ := LoadProfile("2023-05")
	days, _ := plan(p, "", 20, 1)
	// 2023-05-01..03 are the 30/4-1/5 holidays, 2023-05-06 a Saturday,
	// 2023-05-08 a Monday.
	may1, sat, mon := days[0], days[5], days[7]
	if sat.Day != "2023-05-06" || float64(sat.Published) > 0.3*float64(mon.Published) {
		t.Errorf("Saturday %s %d, Monday %s %d; want the weekend at a quarter of a weekday", sat.Day, sat.Published, mon.Day, mon.Published)
	}
	if may1.Holiday == "" || may1.Published >= sat.Published {
		t.Errorf("1 May (%q) %d, Saturday %d: want the holiday at most a weekend day", may1.Holiday, may1.Published, sat.Published)
	}
	single := func(profile, day string) DayPlan { return mustPlan(t, profile, day, 1, 1)[0] }
	sun, wed := single("2021-08", "2021-08-01"), single("2021-08", "2021-08-04")
	if sun.Published*3 > wed.Published {
		t.Errorf("Sunday 2021-08-01 alone: %d, Wednesday 2021-08-04: %d; want the Sunday at about a quarter", sun.Published, wed.Published)
	}
	tet, sunday, weekday := single("2023-05", "2023-01-23"), single("2023-05", "2023-01-29"), single("2023-05", "2023-01-31")
	if tet.Holiday != "Tết Nguyên Đán" || tet.Published >= sunday.Published || sunday.Published >= weekday.Published {
		t.Errorf("Tết %s (%q) %d, Sunday %d, weekday %d: want Tết < Sunday < weekday", tet.Day, tet.Holiday, tet.Published, sunday.Published, weekday.Published)
	}
	year := mustPlan(t, "2023-05", "2024-01-01", 366, 1)
	var sum int64
	for _, d := range year {
		sum += d.Published
	}
	if avg := float64(sum) / 366; avg < 1_469_000 || avg > 1_471_000 {
		t.Errorf("2024 averages %.0f a day, want the profile's 1,470,000", avg)
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
