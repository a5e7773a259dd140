package loadtest

import (
	"sync"
	"time"
)

// ProgressInterval is how often Config.Progress is called during a run.
const ProgressInterval = 500 * time.Millisecond

// Progress is how far a run is, for a live view (see Config.Progress).
type Progress struct {
	// Done of Planned transactions are answered (successes and failures).
	Done, Planned int64
	// Errors of them failed.
	Errors int64
	// Rate is the transactions per second answered lately.
	Rate float64
	// P99 is the 99th-percentile latency so far.
	P99 time.Duration
	// Elapsed is the time since the run started; ETA the time it should
	// still take, negative when unknown.
	Elapsed, ETA time.Duration
	// Final marks the last call, after every transaction was answered (or
	// the run was interrupted).
	Final bool
}

// startProgress calls Config.Progress every ProgressInterval until the
// returned func is called, which makes the final call.
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
		t := time.NewTicker(ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				r.cfg.Progress(r.progress(start, planned, true))
				return
			case <-t.C:
				r.cfg.Progress(r.progress(start, planned, false))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *runner) progress(start time.Time, planned int64, final bool) Progress {
	now := time.Now()
	p := r.col.progress(now)
	out := Progress{Done: p.hops, Planned: planned, Errors: p.errors, Rate: p.rate, P99: p.p99, Elapsed: now.Sub(start), ETA: -1, Final: final}
	switch {
	case final:
		out.ETA = 0
	case r.cfg.Speed > 0:
		total := time.Duration(float64(time.Duration(len(r.days))*24*time.Hour) / r.cfg.Speed)
		out.ETA = max(total-out.Elapsed, 0)
	case p.done > 0:
		avg := float64(p.hops) / out.Elapsed.Seconds()
		out.ETA = time.Duration(float64(planned-p.hops) / avg * float64(time.Second))
	}
	return out
}
