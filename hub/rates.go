package hub

import (
	"sync"
	"time"
)

// Rate history served to the dashboard, so that its tx/s chart shows the
// recent past as soon as the page opens, not only what it saw itself.
const (
	// RateInterval is how often the hub samples its total for Rates.
	RateInterval = time.Second
	rateSamples  = 600 // ten minutes
)

// rateSample is the all-time total counted at a time.
type rateSample struct {
	At    time.Time `json:"at"`
	Total int64     `json:"total"`
}

// rateHistory samples the counter's all-time total every RateInterval in
// a ring of rateSamples. It is safe for concurrent use.
type rateHistory struct {
	mu      sync.Mutex
	samples []rateSample
	stop    chan struct{}
	done    chan struct{}
}

func startRates(total func() int64) *rateHistory {
	r := &rateHistory{stop: make(chan struct{}), done: make(chan struct{})}
	go r.run(total)
	return r
}

func (r *rateHistory) run(total func() int64) {
	defer close(r.done)
	t := time.NewTicker(RateInterval)
	defer t.Stop()
	for {
		r.add(rateSample{At: time.Now(), Total: total()})
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
	}
}

func (r *rateHistory) add(s rateSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
	if n := len(r.samples); n > rateSamples {
		r.samples = append(r.samples[:0], r.samples[n-rateSamples:]...)
	}
}

// Rate is transactions per second between two samples.
type Rate struct {
	// At is the end of the interval; Count the transactions counted in
	// it; PerSecond the rate over it.
	At        time.Time `json:"at"`
	Count     int64     `json:"count"`
	PerSecond float64   `json:"per_second"`
}

// rates are the per-second rates between consecutive samples, oldest first.
func (r *rateHistory) rates() []Rate {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Rate, 0, len(r.samples))
	for i := 1; i < len(r.samples); i++ {
		a, b := r.samples[i-1], r.samples[i]
		if d := b.At.Sub(a.At).Seconds(); d > 0 {
			n := max(b.Total-a.Total, 0)
			out = append(out, Rate{At: b.At, Count: n, PerSecond: float64(n) / d})
		}
	}
	return out
}

func (r *rateHistory) close() {
	close(r.stop)
	<-r.done
}

// Rates are the transactions per second this hub counted over the last
// ten minutes, one value every RateInterval, oldest first.
func (h *Hub) Rates() []Rate { return h.rates.rates() }
