package loadtest

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/internal/vn"
)

// Histogram range: 1 µs to 5 minutes, 3 significant digits.
const (
	histMin     = 1
	histMax     = int64(5 * time.Minute / time.Microsecond)
	histDigits  = 3
	maxBuckets  = 600 // timeline buckets kept; older ones are merged by pairs
	resultQueue = 4096
)

// result is the outcome of one transaction.
type result struct {
	svc     int
	day     int
	nested  int64 // the job's nested hops
	code    codes.Code
	pending bool // the last answer was "record pending" (see recordPending)
	retries int  // sent again after "record pending"
	latency time.Duration
	done    time.Time
}

// Bucket is the traffic of one interval of the run's timeline.
type Bucket struct {
	// At is the start of the interval, in seconds since the run began.
	At float64 `json:"at_s"`
	// Width is the interval's length in seconds (1 until the timeline is
	// downsampled to keep at most 600 buckets).
	Width float64 `json:"width_s"`
	// Count and Errors are the transactions completed in the interval.
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	// P50us, P99us and MaxUs summarise their latency in microseconds; a
	// merged bucket keeps the larger of its halves' P99 and Max (an upper
	// bound) and their count-weighted P50.
	P50us int64 `json:"p50_us"`
	P99us int64 `json:"p99_us"`
	MaxUs int64 `json:"max_us"`
}

// collector aggregates results in bounded memory: histograms, counters by
// day, service and code, and a downsampled timeline.
type collector struct {
	mu       sync.Mutex
	start    time.Time
	all      *hdrhistogram.Histogram
	services []*svcStats
	days     []dayStats
	codes    map[codes.Code]int64
	byHour   [24]int64 // sent by business hour of the day, with their nested hops
	done     int64
	hops     int64 // done plus their nested hops: the plan's unit
	errors   int64
	retries  int64

	width    time.Duration // current bucket width
	timeline []Bucket
	cur      *hdrhistogram.Histogram
	curIdx   int64 // index of the open bucket, in widths since start
	curCount int64
	curErrs  int64
}

type svcStats struct {
	hist              *hdrhistogram.Histogram
	succeeded, failed int64
}

type dayStats struct {
	sent, succeeded, failed, pending int64
	// nested is the nested hops the exchanges sent may make, nestedOK
	// those their success proves made (see nestedHops).
	nested, nestedOK int64
}

func newCollector(start time.Time, nsvc, ndays int) *collector {
	c := &collector{
		start: start, all: newHist(), days: make([]dayStats, ndays), codes: map[codes.Code]int64{},
		width: time.Second, cur: newHist(),
	}
	for range nsvc {
		c.services = append(c.services, &svcStats{hist: newHist()})
	}
	return c
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// sent counts a request handed to gRPC.
func (c *collector) sent(j job) {
	c.mu.Lock()
	c.days[j.day].sent++
	c.days[j.day].nested += j.nested
	c.byHour[j.business.In(vn.Zone).Hour()] += 1 + j.nested
	c.mu.Unlock()
}

// run records results until ch is closed.
func (c *collector) run(ch <-chan result) {
	for r := range ch {
		c.mu.Lock()
		c.record(r)
		for more := true; more; {
			select {
			case r2, ok := <-ch:
				if !ok {
					c.mu.Unlock()
					return
				}
				c.record(r2)
			default:
				more = false
			}
		}
		c.mu.Unlock()
	}
}

// record adds r; c.mu must be held.
func (c *collector) record(r result) {
	us := max(r.latency.Microseconds(), histMin)
	us = min(us, histMax)
	_ = c.all.RecordValue(us)
	s := c.services[r.svc]
	_ = s.hist.RecordValue(us)
	c.done++
	c.retries += int64(r.retries)
	c.hops += 1 + r.nested
	c.codes[r.code]++
	if r.code == codes.OK {
		s.succeeded++
		c.days[r.day].succeeded++
		c.days[r.day].nestedOK += r.nested
	} else {
		s.failed++
		c.days[r.day].failed++
		c.errors++
		if r.pending {
			c.days[r.day].pending++
		}
	}
	idx := int64(r.done.Sub(c.start) / c.width)
	if idx > c.curIdx {
		c.closeBucket()
		c.curIdx = idx
		for c.curIdx >= maxBuckets {
			c.downsample()
		}
	}
	_ = c.cur.RecordValue(us)
	c.curCount++
	if r.code != codes.OK {
		c.curErrs++
	}
}

// closeBucket appends the open bucket to the timeline (with empty buckets
// for the quiet intervals before it); c.mu must be held.
func (c *collector) closeBucket() {
	w := c.width.Seconds()
	for int64(len(c.timeline)) < c.curIdx {
		c.timeline = append(c.timeline, Bucket{At: float64(len(c.timeline)) * w, Width: w})
	}
	b := Bucket{At: float64(c.curIdx) * w, Width: w, Count: c.curCount, Errors: c.curErrs}
	if c.curCount > 0 {
		b.P50us, b.P99us, b.MaxUs = c.cur.ValueAtQuantile(50), c.cur.ValueAtQuantile(99), c.cur.Max()
	}
	c.timeline = append(c.timeline, b)
	c.cur.Reset()
	c.curCount, c.curErrs = 0, 0
}

// downsample doubles the bucket width, merging the timeline by pairs;
// c.mu must be held.
func (c *collector) downsample() {
	c.width *= 2
	w := c.width.Seconds()
	merged := make([]Bucket, 0, len(c.timeline)/2+1)
	for i := 0; i < len(c.timeline); i += 2 {
		a := c.timeline[i]
		if i+1 < len(c.timeline) {
			b := c.timeline[i+1]
			if n := a.Count + b.Count; n > 0 {
				a.P50us = (a.P50us*a.Count + b.P50us*b.Count) / n
			}
			a.Count += b.Count
			a.Errors += b.Errors
			a.P99us, a.MaxUs = max(a.P99us, b.P99us), max(a.MaxUs, b.MaxUs)
		}
		a.At, a.Width = float64(i/2)*w, w
		merged = append(merged, a)
	}
	c.timeline = merged
	c.curIdx /= 2
}

// progress is a cheap snapshot for the live line.
type progress struct {
	done, errors int64
	hops         int64 // done with their nested hops, to compare with the plan
	p99          time.Duration
	rate         float64 // tx/s over the last full bucket(s)
}

func (c *collector) progress(now time.Time) progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := progress{done: c.done, hops: c.hops, errors: c.errors, p99: time.Duration(c.all.ValueAtQuantile(99)) * time.Microsecond}
	if el := now.Sub(c.start).Seconds(); el > 0 {
		p.rate = float64(c.done) / el
	}
	if n := len(c.timeline); n > 0 && c.timeline[n-1].Width > 0 {
		b := c.timeline[n-1]
		p.rate = float64(b.Count) / b.Width
	}
	return p
}

// finish closes the open bucket; no result may come after.
func (c *collector) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.curCount > 0 {
		c.closeBucket()
	}
}
