package loadtest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
)

// Consumer spreads: how the consumers of a profile's transactions are
// chosen among the 85 LGSPs (63 provinces, 22 ministries).
const (
	// SpreadPopulation gives the ministry LGSPs MinistryShare of the
	// transactions, evenly, and the provinces the rest in proportion to
	// their population (2019 census).
	SpreadPopulation = "population"
	// SpreadUniform gives each of the 85 LGSPs the same share.
	SpreadUniform = "uniform"
)

// DefaultMinistryShare is the part of the transactions the 22 ministry
// LGSPs make under SpreadPopulation when a profile does not say.
const DefaultMinistryShare = 0.15

// ErrProfile wraps every error about a profile's content.
var ErrProfile = errors.New("loadtest: invalid profile")

// Profile describes the national traffic to replay, in hub transactions:
// an interlinked procedure counts as each of its hops, so the hub's
// counter for a replayed day equals the profile's figure for that day.
// The zero values of Curve, Mix and Consumers mean the defaults.
type Profile struct {
	// Name identifies the profile ("2022-h1" or a file's name).
	Name string `yaml:"name" json:"name"`
	// Source says where the figures come from.
	Source string `yaml:"source" json:"source,omitempty"`
	// PerDay is the average number of transactions per calendar day,
	// weekends and holidays included.
	PerDay int64 `yaml:"per_day" json:"per_day"`
	// Start is the first day of the period, YYYY-MM-DD (Vietnam time).
	Start string `yaml:"start" json:"start"`
	// Days is the number of days replayed by default (at least 1).
	Days int `yaml:"days" json:"days"`
	// PeriodTotal, if set, is the published total of the PeriodDays days
	// from PeriodStart, split over them by the curve's day weights (remainder
	// distributed so the sum is exact): a run of that period replays that
	// total, and a day of it replayed alone its share. Days outside the
	// period replay PerDay times their weight over their year's average
	// weight (see Curve).
	PeriodTotal int64 `yaml:"period_total" json:"period_total,omitempty"`
	// PeriodDays is the length of the period PeriodTotal covers.
	PeriodDays int `yaml:"period_days" json:"period_days,omitempty"`
	// PeriodStart is the period's first day, YYYY-MM-DD; empty means Start.
	PeriodStart string `yaml:"period_start" json:"period_start,omitempty"`
	// Curve is the shape of a day and of a week.
	Curve Curve `yaml:"curve" json:"curve"`
	// Mix is the services called and their relative weights.
	Mix []MixEntry `yaml:"mix" json:"mix"`
	// Consumers is SpreadPopulation (default) or SpreadUniform.
	Consumers string `yaml:"consumers" json:"consumers"`
	// MinistryShare is the ministries' part under SpreadPopulation, in
	// [0, 1); zero means DefaultMinistryShare.
	MinistryShare float64 `yaml:"ministry_share" json:"ministry_share,omitempty"`
	// SinceLaunch, if set, is a published cumulative figure the operator
	// declares to the hub instead of replaying it (ndxp stats declare
	// --profile).
	SinceLaunch *Cumulative `yaml:"since_launch" json:"since_launch,omitempty"`
}

// Cumulative is a published total since the platform's launch.
type Cumulative struct {
	// Total is the transactions since launch.
	Total int64 `yaml:"total" json:"total"`
	// AsOf is the day it is published for, YYYY-MM-DD.
	AsOf string `yaml:"as_of" json:"as_of"`
	// Source says where it comes from.
	Source string `yaml:"source" json:"source"`
}

// Curve is the shape of the traffic in time. A day's transactions are
// spread over its 24 hours in proportion to Hourly (Vietnam time), and
// days weigh 1 for a weekday, Weekend for Saturday and Sunday and Holiday
// for a public holiday (vn.Holiday: Tết and the others, with the days off
// of each year's calendar): a period's total is shared in proportion to
// them, and a day outside is PerDay times its weight over the average.
type Curve struct {
	// Hourly are 24 non-negative weights, hour 0 (midnight-1am) first;
	// they need not sum to anything. All zero (or absent) means
	// DefaultHourly.
	Hourly []float64 `yaml:"hourly" json:"hourly"`
	// Weekend is the weight of a Saturday or Sunday relative to a weekday;
	// zero means DefaultWeekend. Set it to 1 for a flat week.
	Weekend float64 `yaml:"weekend" json:"weekend"`
	// Holiday is the weight of a public holiday; zero means
	// DefaultHoliday.
	Holiday float64 `yaml:"holiday" json:"holiday"`
}

// DefaultHourly is an office day: quiet night, ramp from 7h, a morning
// peak 8h-11h, the lunch dip at 12h, an afternoon peak 14h-16h, then a
// tail of evening use of the public service portal.
var DefaultHourly = []float64{
	0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.5, 4, // 0h-7h
	9, 10, 10, 8, 3.5, 5, 9.5, 10, // 8h-15h
	9, 5, 2.5, 2, 1.8, 1.5, 1, 0.7, // 16h-23h
}

// DefaultWeekend is the weight of a weekend day relative to a weekday.
const DefaultWeekend = 0.25

// DefaultHoliday is the weight of a public holiday relative to a weekday:
// less than a weekend day, as the offices that make the platform's
// traffic are closed and the bridges around holidays keep citizens away
// (an assumption: the reports publish no holiday figure).
const DefaultHoliday = 0.15

// MixEntry is one service of the mix.
type MixEntry struct {
	// Service is "provider-code/service-code", any service of the
	// topology (adapters/topology), e.g. "000.00.01.G01/citizen-lookup".
	Service string `yaml:"service" json:"service"`
	// Weight is the service's relative share of the transactions.
	Weight float64 `yaml:"weight" json:"weight"`
}

// DefaultMix is the mix of the latest profile (2023-05, see mixes.go),
// for profile files that give none: the services whose volume the reports
// publish (births with an ID number, marriages, deaths and the hops of
// their interlinked procedures, household checks, documents) at that
// volume, the rest mostly population lookups and verifications.
//
// Every service of the mix is one whose request the load test can build
// valid from independent random data (builders.go), so that against the
// simulators (nearly) every transaction succeeds. The civil registry's
// record-lookup and the insurance's card-lookup are left out: they find
// only what the run registered earlier, and a random citizen has no
// record and no card (NOT_FOUND). pid-cancel and residence-remove act on
// random living citizens (a death, a move abroad); among billions of
// synthetic citizens a later lookup of the same one is a rare chance,
// which then fails as FAILED_PRECONDITION and is counted so.
var DefaultMix = anchoredMix(28_045_703.0/20, DocumentsPerDay2023)

func ref(provider, service string) string { return string(topology.Ref(provider, service)) }

// builtinProfiles are the published figures (FACTS.md), each with the mix
// derived from the reports of its year (mixes.go).
var builtinProfiles = map[string]Profile{
	"2021": {
		Name: "2021", PerDay: 159_772, Start: "2021-01-01", Days: 1,
		PeriodTotal: 37_067_063, PeriodDays: 232,
		Mix:    anchoredMix(37_067_063.0/232, DocumentsPerDay2021YTD),
		Source: "Report 76/BC-BTTTT: 37,067,063 transactions in 2021 up to 20 Aug (232 days)",
	},
	"2021-08": {
		Name: "2021-08", PerDay: 150_000, Start: "2021-08-01", Days: 1,
		PeriodTotal: 8_110_019, PeriodDays: 20,
		Mix:    anchoredMix(8_110_019.0/20, DocumentsPerDay2021),
		Source: "Report 76/BC-BTTTT: 8,110,019 transactions 1-20 Aug 2021; about 150,000 a day over 2021",
	},
	"2022-h1": {
		Name: "2022-h1", PerDay: 1_900_000, Start: "2022-03-15", Days: 1,
		PeriodStart: "2022-01-01", PeriodTotal: 350_000_000, PeriodDays: 181,
		Mix:    anchoredMix(350_000_000.0/181, DocumentsPerDay2022),
		Source: "MIC mid-2022 review: about 350 million transactions in the first half of 2022 (181 days), about 1.9 million a day",
	},
	"2023-05": {
		Name: "2023-05", PerDay: 1_470_000, Start: "2023-05-01", Days: 1,
		PeriodTotal: 28_045_703, PeriodDays: 20,
		Mix:    anchoredMix(28_045_703.0/20, DocumentsPerDay2023),
		Source: "MIC report H1 2023: 28,045,703 transactions 1-20 May 2023, about 1.47 million a day",
		SinceLaunch: &Cumulative{Total: 1_300_000_000, AsOf: "2023-05-20",
			Source: "MIC report H1 2023: over 1.3 billion transactions since launch (\"hơn 1,3 tỷ\")"},
	},
}

// BuiltinProfiles lists the names of the built-in profiles.
func BuiltinProfiles() []string { return slices.Sorted(maps.Keys(builtinProfiles)) }

// LoadProfile returns the built-in profile of that name, or reads a
// profile from a YAML or JSON file (JSON is YAML). Absent fields take
// their defaults; the result is validated.
func LoadProfile(nameOrPath string) (Profile, error) {
	if p, ok := builtinProfiles[nameOrPath]; ok {
		p.setDefaults()
		return p, nil
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %q is neither a built-in profile (%s) nor a readable file: %v",
			ErrProfile, nameOrPath, strings.Join(BuiltinProfiles(), ", "), err)
	}
	var p Profile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%w: %s: %v", ErrProfile, nameOrPath, err)
	}
	if p.Name == "" {
		p.Name = nameOrPath
	}
	p.setDefaults()
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return p, nil
}

// setDefaults fills in the zero values.
func (p *Profile) setDefaults() {
	if p.Days == 0 {
		p.Days = 1
	}
	if p.PeriodStart == "" {
		p.PeriodStart = p.Start
	}
	if !slices.ContainsFunc(p.Curve.Hourly, func(w float64) bool { return w != 0 }) {
		p.Curve.Hourly = slices.Clone(DefaultHourly)
	}
	if p.Curve.Weekend == 0 {
		p.Curve.Weekend = DefaultWeekend
	}
	if p.Curve.Holiday == 0 {
		p.Curve.Holiday = DefaultHoliday
	}
	if len(p.Mix) == 0 {
		p.Mix = slices.Clone(DefaultMix)
	}
	if p.Consumers == "" {
		p.Consumers = SpreadPopulation
	}
	if p.MinistryShare == 0 {
		p.MinistryShare = DefaultMinistryShare
	}
}

// Validate reports the first problem of p, naming the field.
func (p *Profile) Validate() error {
	bad := func(f string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrProfile, fmt.Sprintf(f, args...))
	}
	if _, err := vn.ParseDay(p.Start); err != nil {
		return bad("start: %q is not a day of the form 2022-03-15", p.Start)
	}
	if _, err := vn.ParseDay(p.PeriodStart); err != nil {
		return bad("period_start: %q is not a day of the form 2022-03-15", p.PeriodStart)
	}
	switch {
	case p.PerDay <= 0:
		return bad("per_day: %d, want a positive number of transactions", p.PerDay)
	case p.Days < 1:
		return bad("days: %d, want at least 1", p.Days)
	case p.PeriodTotal < 0 || (p.PeriodTotal > 0) != (p.PeriodDays > 0):
		return bad("period_total and period_days: set both (positive) or neither")
	case len(p.Curve.Hourly) != 24:
		return bad("curve.hourly: %d weights, want 24 (hour 0 to hour 23)", len(p.Curve.Hourly))
	case p.Curve.Weekend < 0:
		return bad("curve.weekend: %g, want a positive factor", p.Curve.Weekend)
	case p.Curve.Holiday < 0:
		return bad("curve.holiday: %g, want a positive factor", p.Curve.Holiday)
	case p.Consumers != SpreadPopulation && p.Consumers != SpreadUniform:
		return bad("consumers: %q, want %s or %s", p.Consumers, SpreadPopulation, SpreadUniform)
	case p.MinistryShare < 0 || p.MinistryShare >= 1:
		return bad("ministry_share: %g, want a fraction in [0, 1)", p.MinistryShare)
	}
	for h, w := range p.Curve.Hourly {
		if w < 0 {
			return bad("curve.hourly[%d]: %g, want a non-negative weight", h, w)
		}
	}
	return validateMix(p.Mix)
}

func validateMix(mix []MixEntry) error {
	seen := map[string]bool{}
	for i, m := range mix {
		prov, svc, ok := topology.ServiceRef(m.Service).Split()
		switch {
		case !ok || wire.ValidateAgencyCode(prov) != nil || wire.ValidateServiceCode(svc) != nil:
			return fmt.Errorf("%w: mix[%d].service: %q, want provider-code/service-code such as 000.00.01.G01/citizen-lookup",
				ErrProfile, i, m.Service)
		case !(m.Weight > 0):
			return fmt.Errorf("%w: mix[%d].weight: %g, want a positive weight", ErrProfile, i, m.Weight)
		case seen[m.Service]:
			return fmt.Errorf("%w: mix[%d].service: %q appears twice", ErrProfile, i, m.Service)
		}
		seen[m.Service] = true
	}
	if len(mix) == 0 {
		return fmt.Errorf("%w: mix: empty", ErrProfile)
	}
	return nil
}

// dayWeight is the share factor of a day: Holiday on a public holiday
// (Tết included, see vn.Holiday), Weekend on Saturday and Sunday, else 1.
func (c Curve) dayWeight(d time.Time) float64 {
	if vn.Holiday(d) != "" {
		return c.Holiday
	}
	if wd := d.In(vn.Zone).Weekday(); wd == time.Saturday || wd == time.Sunday {
		return c.Weekend
	}
	return 1
}
