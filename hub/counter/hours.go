package counter

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// HourKey is the dimension of the hourly counters: a service and an
// outcome (the consumer is left out, so that a day's 24 hours stay small
// whatever the number of consumers).
type HourKey struct {
	Provider, Service string
	Code              int32
}

// hours are one day's counters by business hour (Vietnam time, 0-23).
type hours [24]map[HourKey]int64

// countHour adds rec to its day's hour; mu must be held and the day must
// exist (count made it).
func (c *Counter) countHour(rec *hubv1.TransactionRecord) {
	bt := rec.GetBusinessTime().AsTime()
	d := c.days[dayOf(bt)]
	h := hourOf(bt)
	if d.hours[h] == nil {
		d.hours[h] = map[HourKey]int64{}
	}
	d.hours[h][HourKey{rec.GetProvider(), rec.GetService(), rec.GetCode()}] += Weight(rec)
}

// hourRows are the hourly counters of the days of a period, summed.
type hourRows map[int]map[HourKey]int64

func (r hourRows) add(h *hours) {
	for i, m := range h {
		if len(m) == 0 {
			continue
		}
		if r[i] == nil {
			r[i] = map[HourKey]int64{}
		}
		for k, n := range m {
			r[i][k] += n
		}
	}
}

// proto returns the 24 hour buckets (key "00" to "23", every hour present)
// and the rows by hour, service and outcome, sorted.
func (r hourRows) proto() ([]*hubv1.Bucket, []*hubv1.HourRow) {
	buckets := make([]*hubv1.Bucket, 24)
	var rows []*hubv1.HourRow
	for h := range 24 {
		var t count
		for k, n := range r[h] {
			t.add(k.Code, n)
			rows = append(rows, &hubv1.HourRow{Hour: int32(h), Provider: k.Provider, Service: k.Service, Code: wire.CodeName(k.Code), Count: n})
		}
		buckets[h] = &hubv1.Bucket{Key: twoDigits(h), Count: t.proto()}
	}
	slices.SortFunc(rows, func(a, b *hubv1.HourRow) int {
		return cmp.Or(cmp.Compare(a.Hour, b.Hour), strings.Compare(a.Provider, b.Provider),
			strings.Compare(a.Service, b.Service), strings.Compare(a.Code, b.Code))
	})
	return buckets, rows
}

func twoDigits(h int) string { return string([]byte{byte('0' + h/10), byte('0' + h%10)}) }

func dayOf(t time.Time) string { return vn.Day(t) }

func hourOf(t time.Time) int { return t.In(vn.Zone).Hour() }

// Total is every transaction counted since the stream began.
func (c *Counter) Total() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var n int64
	for _, v := range c.all {
		n += v
	}
	return n
}
