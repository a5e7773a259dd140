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
	// Holiday names the public holiday the day is part of, if any.
	Holiday string `json:"holiday,omitempty"`

	start time.Time // midnight, Vietnam time
}

// plan splits the profile's traffic over days days from start (empty
// means the profile's Start), scaled. Each day's published figure comes
// from the calendar (see Profile.published); the scaled plan apportions
// the scaled total in proportion to them, so it is exact too.
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
	published := p.published(first, days)
	weights := make([]float64, days)
	var total int64
	for i := range out {
		d := first.AddDate(0, 0, i)
		out[i] = DayPlan{Day: vn.Day(d), Published: published[i], start: d}
		out[i].Holiday = vn.Holiday(d)
		weights[i] = float64(published[i])
		total += published[i]
	}
	scaled := apportion(int64(math.Round(float64(total)*scale)), weights)
	for i := range out {
		out[i].Planned = scaled[i]
	}
	return out, nil
}

// published is the profile's figure for each of days days from first. A
// day of the period PeriodTotal covers gets its share of that total by
// the calendar's day weights (the shares add up to PeriodTotal exactly);
// another day gets PerDay times its weight over the average weight of
// its year's days, so that a year's days average PerDay, weekends and
// holidays lower and weekdays higher; rounding is kept exact over the
// run's days outside the period.
func (p Profile) published(first time.Time, days int) []int64 {
	out := make([]int64, days)
	period := map[string]int64{}
	if p.PeriodTotal > 0 {
		start, _ := vn.ParseDay(p.PeriodStart)
		for i, n := range apportion(p.PeriodTotal, p.Curve.weights(start, p.PeriodDays)) {
			period[vn.Day(start.AddDate(0, 0, i))] = n
		}
	}
	means := map[int]float64{}
	var rest []int
	var restW []float64
	exact := 0.0
	for i := range out {
		d := first.AddDate(0, 0, i)
		if n, ok := period[vn.Day(d)]; ok {
			out[i] = n
			continue
		}
		y := d.Year()
		if _, ok := means[y]; !ok {
			jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, vn.Zone)
			means[y] = average(p.Curve.weights(jan1, int(jan1.AddDate(1, 0, 0).Sub(jan1)/(24*time.Hour))))
		}
		w := p.Curve.dayWeight(d)
		rest, restW = append(rest, i), append(restW, w)
		exact += float64(p.PerDay) * w / means[y]
	}
	for k, n := range apportion(int64(math.Round(exact)), restW) {
		out[rest[k]] = n
	}
	return out
}

// weights are the day weights of n days from start.
func (c Curve) weights(start time.Time, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = c.dayWeight(start.AddDate(0, 0, i))
	}
	return w
}

func average(w []float64) float64 {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	if sum == 0 {
		return 1
	}
	return sum / float64(len(w))
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
