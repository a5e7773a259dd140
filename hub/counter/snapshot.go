package counter

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Snapshot returns the counters of one period: a day "YYYY-MM-DD" or a
// month "YYYY-MM" (every day whose name starts with it).
func (c *Counter) Snapshot(period string) *hubv1.Stats {
	rows := map[Key]int64{}
	perDay := map[string]map[Key]int64{}
	hist := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)
	var allTime count
	byHour := hourRows{}
	c.mu.RLock()
	seq := c.applied.Load()
	for name, d := range c.days {
		if name != period && !(len(period) == 7 && strings.HasPrefix(name, period)) {
			continue
		}
		perDay[name] = d.rows
		for k, n := range d.rows {
			rows[k] += n
		}
		hist.Merge(d.latency)
		byHour.add(&d.hours)
	}
	dayTotals := make(map[string]count, len(perDay))
	for name, r := range perDay {
		var t count
		for k, n := range r {
			t.add(k.Code, n)
		}
		dayTotals[name] = t
	}
	for k, n := range c.all {
		allTime.add(k.Code, n)
	}
	c.mu.RUnlock()
	st := build(period, rows, dayTotals, hist, allTime, seq)
	st.ByHour, st.HourRows = byHour.proto()
	return st
}

type count struct{ total, ok int64 }

func (c *count) add(code int32, n int64) {
	c.total += n
	if code == 0 {
		c.ok += n
	}
}

func (c count) proto() *hubv1.Count {
	return &hubv1.Count{Total: c.total, Succeeded: c.ok, Failed: c.total - c.ok}
}

func build(period string, rows map[Key]int64, days map[string]count, hist *hdrhistogram.Histogram, allTime count, seq uint64) *hubv1.Stats {
	var total count
	byConsumer, byProvider, byService, byCode := map[string]count{}, map[string]count{}, map[string]count{}, map[string]count{}
	out := make([]*hubv1.Row, 0, len(rows))
	for k, n := range rows {
		total.add(k.Code, n)
		bump(byConsumer, k.Consumer, k.Code, n)
		bump(byProvider, k.Provider, k.Code, n)
		bump(byService, k.Provider+"/"+k.Service, k.Code, n)
		bump(byCode, wire.CodeName(k.Code), k.Code, n)
		out = append(out, &hubv1.Row{Consumer: k.Consumer, Provider: k.Provider, Service: k.Service, Code: wire.CodeName(k.Code), Count: n})
	}
	slices.SortFunc(out, func(a, b *hubv1.Row) int {
		return cmp.Or(strings.Compare(a.Consumer, b.Consumer), strings.Compare(a.Provider, b.Provider),
			strings.Compare(a.Service, b.Service), strings.Compare(a.Code, b.Code))
	})
	byDay := buckets(days)
	slices.SortFunc(byDay, func(a, b *hubv1.Bucket) int { return strings.Compare(a.Key, b.Key) })
	return &hubv1.Stats{
		Period:     period,
		Count:      total.proto(),
		ByConsumer: buckets(byConsumer),
		ByProvider: buckets(byProvider),
		ByService:  buckets(byService),
		ByCode:     buckets(byCode),
		ByDay:      byDay,
		Rows:       out,
		Latency: &hubv1.Latency{
			P50Us: hist.ValueAtQuantile(50), P90Us: hist.ValueAtQuantile(90),
			P99Us: hist.ValueAtQuantile(99), MaxUs: hist.Max(),
		},
		AsOf:     timestamppb.Now(),
		Sequence: seq,
		AllTime:  allTime.proto(),
	}
}

func bump(m map[string]count, key string, code int32, n int64) {
	c := m[key]
	c.add(code, n)
	m[key] = c
}

// buckets turns a map into buckets sorted by descending total, then key.
func buckets(m map[string]count) []*hubv1.Bucket {
	out := make([]*hubv1.Bucket, 0, len(m))
	for k, c := range m {
		out = append(out, &hubv1.Bucket{Key: k, Count: c.proto()})
	}
	slices.SortFunc(out, func(a, b *hubv1.Bucket) int {
		return cmp.Or(cmp.Compare(b.Count.Total, a.Count.Total), strings.Compare(a.Key, b.Key))
	})
	return out
}
