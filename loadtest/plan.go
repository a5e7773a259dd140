package loadtest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ndxp/ndxp/internal/vn"
)

// DayPlan is what a run replays on one business day.
type DayPlan struct {
	// Day is the business day, YYYY-MM-DD (Vietnam time).
	Day string `json:"day"`
	// Published is the profile's figure for the day, at full scale.
	Published int64 `json:"published"`
	// Planned is the number of transactions the run sends for the day
	// (Published times the scale, the scaled period total kept exact).
	Planned int64 `json:"planned"`

	start time.Time // midnight, Vietnam time
}

// plan splits the profile's total over days days from start (empty means
// the profile's Start), scaled.
func plan(p Profile, start string, days int, scale float64) ([]DayPlan, error) {
	if start == "" {
		start = p.Start
	}
	first, err := vn.ParseDay(start)
	if err != nil {
		return nil, fmt.Errorf("%w: start day %q is not of the form 2022-03-15", ErrConfig, start)
	}
	if days < 1 {
		return nil, fmt.Errorf("%w: days %d, want at least 1", ErrConfig, days)
	}
	out := make([]DayPlan, days)
	weights := make([]float64, days)
	for i := range out {
		d := first.AddDate(0, 0, i)
		out[i] = DayPlan{Day: vn.Day(d), start: d}
		weights[i] = p.Curve.dayWeight(d)
	}
	total := p.PerDay * int64(days)
	if p.PeriodTotal > 0 && start == p.Start && days == p.PeriodDays {
		total = p.PeriodTotal
	}
	published := apportion(total, weights)
	scaled := apportion(int64(math.Round(float64(total)*scale)), weights)
	for i := range out {
		out[i].Published, out[i].Planned = published[i], scaled[i]
	}
	return out, nil
}

// apportion splits total in proportion to weights by the largest
// remainder method, so the parts sum to total exactly. All-zero weights
// count as equal.
func apportion(total int64, weights []float64) []int64 {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if sum == 0 {
		weights = slices.Repeat([]float64{1}, len(weights))
		sum = float64(len(weights))
	}
	parts := make([]int64, len(weights))
	rems := make([]float64, len(weights))
	left := total
	for i, w := range weights {
		exact := float64(total) * w / sum
		parts[i] = int64(math.Floor(exact))
		rems[i] = exact - float64(parts[i])
		left -= parts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for i := 0; left > 0; i = (i + 1) % len(order) {
		parts[order[i]]++
		left--
	}
	return parts
}

// dayClock maps the k-th of n transactions of a day to its offset from
// midnight, following the hourly weights: the inverse of the day's
// cumulative distribution at (k+0.5)/n, piecewise linear within an hour.
// Offsets grow with k, so a day is sent in business-time order.
type dayClock struct {
	cum []float64 // cum[h] is the share of the day before hour h; cum[24] = 1
}

func newDayClock(hourly []float64) dayClock {
	cum := make([]float64, 25)
	sum := 0.0
	for _, w := range hourly {
		sum += w
	}
	for h, w := range hourly {
		cum[h+1] = cum[h] + w/sum
	}
	cum[24] = 1
	return dayClock{cum: cum}
}

// offset returns the time of day of transaction k of n.
func (c dayClock) offset(k, n int64) time.Duration {
	u := (float64(k) + 0.5) / float64(n)
	h := sort.SearchFloat64s(c.cum[1:], u) // first hour whose end is >= u
	h = min(h, 23)
	width := c.cum[h+1] - c.cum[h]
	frac := 0.0
	if width > 0 {
		frac = (u - c.cum[h]) / width
	}
	d := time.Duration((float64(h) + frac) * float64(time.Hour))
	return min(max(d, 0), 24*time.Hour-time.Nanosecond)
}
