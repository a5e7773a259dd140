package loadtest

import (
	"fmt"
	"sync"
	"time"
)

// startProgress prints the live line until the returned func is called.
func (r *runner) startProgress(start time.Time) func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	var planned int64
	for _, d := range r.days {
		planned += d.Planned
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				r.printProgress(start, planned)
				fmt.Fprintln(r.cfg.Progress)
				return
			case <-t.C:
				r.printProgress(start, planned)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *runner) printProgress(start time.Time, planned int64) {
	now := time.Now()
	p := r.col.progress(now)
	eta := "?"
	switch {
	case r.cfg.Speed > 0:
		total := time.Duration(float64(time.Duration(len(r.days))*24*time.Hour) / r.cfg.Speed)
		eta = max(total-now.Sub(start), 0).Round(time.Second).String()
	case p.done > 0:
		avg := float64(p.done) / now.Sub(start).Seconds()
		eta = (time.Duration(float64(planned-p.hops)/avg) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(r.cfg.Progress, "\r%d/%d (%.1f%%)  %.0f tx/s  p99 %s  errors %d  elapsed %s  ETA %s   ",
		p.hops, planned, 100*float64(p.hops)/float64(max(planned, 1)), p.rate, p.p99,
		p.errors, now.Sub(start).Round(time.Second), eta)
}
