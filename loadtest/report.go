package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"
)

// Report is the outcome of a run. Its JSON form is what `ndxp loadtest
// --json` prints.
type Report struct {
	// RunID prefixes the message ids of the run's transactions.
	RunID string `json:"run_id"`
	// Profile is the profile's name and Source where its figures come from.
	Profile string `json:"profile"`
	Source  string `json:"source,omitempty"`
	// Mode, Speed, Scale, Connections and Concurrency are the settings.
	Mode        string  `json:"mode"`
	Speed       string  `json:"speed"`
	Scale       float64 `json:"scale"`
	Connections int     `json:"connections"`
	Concurrency int     `json:"concurrency"`
	// Started is when sending began; DurationS how long it took, seconds.
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"`
	// Interrupted is true if the run was stopped before its end.
	Interrupted bool `json:"interrupted"`
	// Planned is the transactions the run was to send; Sent those handed
	// to gRPC; Succeeded and Failed their outcomes as the client saw them.
	Planned   int64 `json:"planned"`
	Sent      int64 `json:"sent"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// Throughput is completed transactions per second of the run.
	Throughput float64 `json:"throughput_tps"`
	// DaysPerMinute is how many national days (at the profile's published
	// volume) the run sent per minute: the transactions sent over the
	// published figure of an average replayed day, per minute of the run.
	DaysPerMinute float64 `json:"days_per_minute"`
	// Latency is measured from each transaction's scheduled time (paced
	// runs) or its send (speed max) to its answer.
	Latency Latency `json:"latency"`
	// Errors counts failed transactions by gRPC code name.
	Errors map[string]int64 `json:"errors"`
	// PendingRetries counts the retries, with the same message id, of
	// transactions the hub answered "record pending" (UNAVAILABLE: carried,
	// record not stored yet).
	PendingRetries int64 `json:"pending_retries,omitempty"`
	// Services is the mix actually used: the profile's services that the
	// hub has registered. Unregistered lists the others, not sent.
	Services     []ServiceReport `json:"services"`
	Unregistered []string        `json:"unregistered,omitempty"`
	// Days is the per-day reconciliation.
	Days []DayReport `json:"days"`
	// Reconciled is true when the hub's counters were read and every day
	// matches; ReconcileError says why they could not be read;
	// ReconcileSkipped is true when the run did not read them.
	Reconciled       bool   `json:"reconciled"`
	ReconcileSkipped bool   `json:"reconcile_skipped,omitempty"`
	ReconcileError   string `json:"reconcile_error,omitempty"`
	// Timeline is the throughput and latency over time.
	Timeline []Bucket `json:"timeline"`
	// ByHour is the transactions sent by business hour of the day (Vietnam
	// time, summed over the days), each with its nested hops (counted at
	// its business time): the daily curve as replayed, which the hub's
	// hourly counters of the day show.
	ByHour [24]int64 `json:"by_hour"`
	// Histogram is the latency distribution (microseconds, count).
	Histogram []HistBar `json:"histogram"`
	// Failures lists why the run is not green; Green is true when it is
	// empty.
	Failures []string `json:"failures"`
	Green    bool     `json:"green"`
}

// Latency summarises a latency distribution in microseconds.
type Latency struct {
	P50us  int64   `json:"p50_us"`
	P90us  int64   `json:"p90_us"`
	P99us  int64   `json:"p99_us"`
	P999us int64   `json:"p999_us"`
	MaxUs  int64   `json:"max_us"`
	MeanUs float64 `json:"mean_us"`
}

// ServiceReport is one service of the mix.
type ServiceReport struct {
	// Service is "provider/service"; Share its part of the mix.
	Service string  `json:"service"`
	Share   float64 `json:"share"`
	// Succeeded and Failed are the client-seen outcomes.
	Succeeded int64   `json:"succeeded"`
	Failed    int64   `json:"failed"`
	Latency   Latency `json:"latency"`
}

// DayReport reconciles one business day: what the profile publishes, what
// the client sent and saw, and what the hub counted during the run (its
// counters after minus before, so earlier traffic on the day does not
// count; other traffic during the run would).
type DayReport struct {
	DayPlan
	Sent      int64 `json:"sent"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// RecordPending are the failed transactions whose last answer, after
	// every retry, was still "record pending": carried and succeeded, but
	// not stored yet; the hub counts each as a success once it stores it.
	RecordPending int64 `json:"record_pending,omitempty"`
	// Counted, CountedSucceeded and CountedFailed are the hub's, nested
	// hops included.
	Counted          int64 `json:"counted"`
	CountedSucceeded int64 `json:"counted_succeeded"`
	CountedFailed    int64 `json:"counted_failed"`
	// Nested and NestedSucceeded are the nested hops among them: the
	// exchanges the simulators made through the hub while serving the
	// run's (a household-verify's household-members), counted on the
	// replayed day. NestedExpected is how many the exchanges sent may
	// make; those that succeeded made theirs for sure.
	Nested          int64 `json:"nested"`
	NestedSucceeded int64 `json:"nested_succeeded"`
	NestedExpected  int64 `json:"nested_expected"`
	// OK is true when the counts, nested hops aside, are the run's:
	// counted - nested == sent and counted_succeeded - nested_succeeded ==
	// succeeded, the pending records aside (each is either counted, as a
	// success, or not yet); and the nested hops are those the exchanges
	// sent made: at most nested_expected, at least one per exchange that
	// succeeded.
	OK bool `json:"ok"`

	nestedOK int64 // nested hops of the exchanges that succeeded
}

// HistBar is one bar of the latency histogram.
type HistBar struct {
	FromUs int64 `json:"from_us"`
	ToUs   int64 `json:"to_us"`
	Count  int64 `json:"count"`
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	return Latency{
		P50us: h.ValueAtQuantile(50), P90us: h.ValueAtQuantile(90), P99us: h.ValueAtQuantile(99),
		P999us: h.ValueAtQuantile(99.9), MaxUs: h.Max(), MeanUs: h.Mean(),
	}
}

// report builds the client side of the report.
func (r *runner) report(start time.Time, elapsed time.Duration, interrupted bool) *Report {
	c := r.col
	rep := &Report{
		RunID: r.cfg.RunID, Profile: r.cfg.Profile.Name, Source: r.cfg.Profile.Source,
		Mode: r.cfg.Mode, Speed: speedString(r.cfg.Speed), Scale: r.cfg.Scale,
		Connections: len(r.conns), Concurrency: r.cfg.Concurrency,
		Started: start, DurationS: elapsed.Seconds(), Interrupted: interrupted,
		Latency: latencyOf(c.all), Errors: map[string]int64{}, Timeline: c.timeline,
		Histogram: histBars(c.all), ByHour: c.byHour, ReconcileSkipped: r.cfg.SkipReconcile,
		PendingRetries: c.retries,
	}
	if s := elapsed.Seconds(); s > 0 {
		rep.Throughput = float64(c.done) / s
	}
	for code, n := range c.codes {
		if code != codes.OK {
			rep.Errors[code.String()] = n
		}
	}
	var weight float64
	for _, s := range r.services {
		weight += s.weight
	}
	for _, i := range r.sortedServices() {
		s, st := r.services[i], c.services[i]
		rep.Services = append(rep.Services, ServiceReport{
			Service: s.ref, Share: s.weight / weight, Succeeded: st.succeeded, Failed: st.failed, Latency: latencyOf(st.hist),
		})
	}
	used := map[string]bool{}
	for _, s := range r.services {
		used[s.ref] = true
	}
	for _, m := range r.cfg.Profile.Mix {
		if !used[m.Service] {
			rep.Unregistered = append(rep.Unregistered, m.Service)
		}
	}
	for i, d := range r.days {
		ds := c.days[i]
		rep.Planned += d.Planned
		rep.Sent += ds.sent
		rep.Succeeded += ds.succeeded
		rep.Failed += ds.failed
		rep.Days = append(rep.Days, DayReport{DayPlan: d, Sent: ds.sent, Succeeded: ds.succeeded, Failed: ds.failed,
			RecordPending: ds.pending, NestedExpected: ds.nested, nestedOK: ds.nestedOK})
	}
	var published int64
	for _, d := range r.days {
		published += d.Published
	}
	if m := elapsed.Minutes(); m > 0 && published > 0 {
		rep.DaysPerMinute = float64(rep.Sent) / (float64(published) / float64(len(r.days))) / m
	}
	return rep
}

// histBars is the distribution in at most ~60 logarithmic bars.
func histBars(h *hdrhistogram.Histogram) []HistBar {
	var bars []HistBar
	const step = 1.25
	lo := int64(1)
	for lo <= h.Max() {
		hi := max(int64(float64(lo)*step), lo+1)
		bars = append(bars, HistBar{FromUs: lo, ToUs: hi})
		lo = hi
	}
	if len(bars) == 0 {
		return nil
	}
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(bars, b.From, func(x HistBar, v int64) int {
			switch {
			case x.ToUs <= v:
				return -1
			case x.FromUs > v:
				return 1
			}
			return 0
		})
		bars[min(i, len(bars)-1)].Count += b.Count
	}
	first := slices.IndexFunc(bars, func(b HistBar) bool { return b.Count > 0 })
	if first < 0 {
		return nil
	}
	return bars[first:]
}

// reconcile fills in the hub's counts: the deltas of its counters over
// the run.
func (r *runner) reconcile(rep *Report, before, after []dayCount, err error) {
	if err != nil {
		rep.ReconcileError = err.Error()
		return
	}
	rep.Reconciled = true
	for i := range rep.Days {
		d, b, a := &rep.Days[i], before[i], after[i]
		d.Counted = a.all.GetTotal() - b.all.GetTotal()
		d.CountedSucceeded = a.all.GetSucceeded() - b.all.GetSucceeded()
		d.CountedFailed = a.all.GetFailed() - b.all.GetFailed()
		d.Nested, d.NestedSucceeded = a.nested-b.nested, a.nestedSucceeded-b.nestedSucceeded
		d.OK = d.reconciles()
		rep.Reconciled = rep.Reconciled && d.OK
	}
}

// reconciles compares the hub's counts with the client's: every
// transaction sent is counted once, with the outcome the client saw, but
// for those whose record was still pending at the end, each counted as a
// success or (not stored yet) not at all.
func (d *DayReport) reconciles() bool {
	counted, succeeded := d.Counted-d.Nested, d.CountedSucceeded-d.NestedSucceeded
	stored := counted - (d.Sent - d.RecordPending) // pending records stored so far
	return stored >= 0 && stored <= d.RecordPending && succeeded == d.Succeeded+stored &&
		d.Nested <= d.NestedExpected && d.NestedSucceeded >= d.nestedOK
}

// judge applies the thresholds and sets Green.
func (rep *Report) judge(cfg Config) {
	if !cfg.SkipReconcile {
		switch {
		case rep.ReconcileError != "":
			rep.Failures = append(rep.Failures, "reconciliation: "+rep.ReconcileError)
		case !rep.Reconciled:
			for _, d := range rep.Days {
				if !d.OK {
					rep.Failures = append(rep.Failures, fmt.Sprintf(
						"reconciliation %s: sent %d, succeeded %d (%d records pending), with up to %d nested hops; the hub counted %d, %d succeeded, of which %d nested hops, %d succeeded",
						d.Day, d.Sent, d.Succeeded, d.RecordPending, d.NestedExpected, d.Counted, d.CountedSucceeded, d.Nested, d.NestedSucceeded))
				}
			}
		}
	}
	if done := rep.Succeeded + rep.Failed; cfg.MaxErrorRate != nil && done > 0 {
		if rate := float64(rep.Failed) / float64(done); rate > *cfg.MaxErrorRate {
			rep.Failures = append(rep.Failures, fmt.Sprintf("error rate %.4f%% exceeds --max-error-rate %.4f%%", 100*rate, 100**cfg.MaxErrorRate))
		}
	}
	if p99 := time.Duration(rep.Latency.P99us) * time.Microsecond; cfg.MaxP99 > 0 && p99 > cfg.MaxP99 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("p99 latency %s exceeds --max-p99 %s", p99, cfg.MaxP99))
	}
	if rep.Failures == nil {
		rep.Failures = []string{}
	}
	rep.Green = len(rep.Failures) == 0
}

// WriteText prints the report for people.
func (rep *Report) WriteText(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	state := "complete"
	if rep.Interrupted {
		state = "INTERRUPTED (partial)"
	}
	fmt.Fprintf(w, "run %s: profile %s, mode %s, speed %s, scale %g, %d connection(s), concurrency %d: %s\n",
		rep.RunID, rep.Profile, rep.Mode, rep.Speed, rep.Scale, rep.Connections, rep.Concurrency, state)
	fmt.Fprintf(w, "%d of %d planned transactions sent in %s: %.0f tx/s (%.3g national days a minute); %d succeeded, %d failed\n",
		rep.Sent, rep.Planned, time.Duration(rep.DurationS*float64(time.Second)).Round(time.Millisecond),
		rep.Throughput, rep.DaysPerMinute, rep.Succeeded, rep.Failed)
	l := rep.Latency
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", us(l.P50us), us(l.P90us), us(l.P99us), us(l.P999us), us(l.MaxUs))
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "\nERROR CODE\tCOUNT\n")
		for _, k := range slices.Sorted(maps.Keys(rep.Errors)) {
			fmt.Fprintf(w, "%s\t%d\n", k, rep.Errors[k])
		}
	}
	if rep.PendingRetries > 0 {
		fmt.Fprintf(w, "\n%d retries with the same message id after the hub answered \"record pending\"\n", rep.PendingRetries)
	}
	fmt.Fprintf(w, "\nSERVICE\tSHARE\tSUCCEEDED\tFAILED\tP50\tP99\tMAX\n")
	for _, s := range rep.Services {
		fmt.Fprintf(w, "%s\t%.1f%%\t%d\t%d\t%s\t%s\t%s\n", s.Service, 100*s.Share, s.Succeeded, s.Failed,
			us(s.Latency.P50us), us(s.Latency.P99us), us(s.Latency.MaxUs))
	}
	if len(rep.Unregistered) > 0 {
		fmt.Fprintf(w, "not registered at the hub, not sent: %d service(s) of the profile\n", len(rep.Unregistered))
	}
	fmt.Fprintf(w, "\nDAY\tPUBLISHED\tPLANNED\tSENT\tSUCCEEDED\tFAILED\tNESTED\tCOUNTED\tCOUNTED OK\tMATCH\n")
	for _, d := range rep.Days {
		match := "yes"
		switch {
		case rep.ReconcileSkipped:
			match = "not read"
		case !d.OK:
			match = "NO"
		case d.RecordPending > 0:
			match = fmt.Sprintf("yes, %d record(s) pending", d.RecordPending)
		}
		day := d.Day
		if d.Holiday != "" {
			day += " (" + d.Holiday + ")"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", day, d.Published, d.Planned, d.Sent, d.Succeeded, d.Failed, d.Nested, d.Counted, d.CountedSucceeded, match)
	}
	switch {
	case rep.Green && rep.ReconcileSkipped:
		fmt.Fprintf(w, "\nGREEN (the hub's counters were not read)\n")
	case rep.Green:
		fmt.Fprintf(w, "\nGREEN: every transaction sent was counted once by the hub with its outcome\n")
	default:
		fmt.Fprintf(w, "\nFAILED:\n")
		for _, f := range rep.Failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	return w.Flush()
}

func us(v int64) string { return (time.Duration(v) * time.Microsecond).String() }
