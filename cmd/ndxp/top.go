package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// publishedDaily are the platform's published daily volumes (FACTS.md).
var publishedDaily = []struct {
	label  string
	perDay int64
}{
	{"Aug 2021", 150_000},
	{"H1 2022", 1_900_000},
	{"May 2023", 1_470_000},
}

// ANSI sequences for redrawing in place.
const (
	ansiHome      = "\x1b[H"
	ansiClear     = "\x1b[2J"
	ansiClearLine = "\x1b[K"
	ansiClearDown = "\x1b[J"
	ansiHide      = "\x1b[?25l"
	ansiShow      = "\x1b[?25h"
)

func newTopCmd() *cobra.Command {
	var (
		cf       clientFlags
		req      hubv1.WatchStatsRequest
		interval time.Duration
		topN     int
		once     bool
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Watch the transaction counters live, redrawn in place",
		Long: `Watch the hub's counters live: transactions per second now, today's total
against the platform's published daily figures, the error rate, latency and
the busiest agencies and services. It follows WatchStats and redraws the
terminal in place every interval; Ctrl-C quits. Without --day or --month it
follows today (Vietnam time), rolling over at midnight.

When stdout is not a terminal (a file, a pipe) it prints one plain summary
line per update instead of redrawing, with no control characters; --json
prints each update as one JSON line (the Stats message).`,
		Example: `  ndxp top
  ndxp top --interval 5s --top 15
  ndxp top --once   # one frame (after two updates, for the rate), no redraw
  ndxp top --json | jq .count.total`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval < 100*time.Millisecond {
				return usagef("--interval %s: want at least 100ms", interval)
			}
			if topN < 1 {
				return usagef("--top %d: want at least 1", topN)
			}
			req.IntervalMs = int32(interval / time.Millisecond)
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			watch, err := hubv1.NewStatsServiceClient(conn).WatchStats(cmd.Context(), &req)
			if err != nil {
				return fmt.Errorf("watch %s: %w", cf.hub, err)
			}
			v := topView{out: cmd.OutOrStdout(), hub: cf.hub, topN: topN, once: once, json: asJSON}
			v.redraw = !once && !asJSON && isTerminal(v.out)
			if v.redraw {
				fmt.Fprint(v.out, ansiHide+ansiClear)
				defer fmt.Fprint(v.out, ansiShow)
			}
			for {
				u, err := watch.Recv()
				if err != nil {
					if status.Code(err) == codes.Canceled || errors.Is(err, cmd.Context().Err()) {
						return nil
					}
					return fmt.Errorf("watch %s: %w", cf.hub, err)
				}
				if done, err := v.show(u.GetStats()); done || err != nil {
					return err
				}
			}
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&req.Day, "day", "", "watch this business day (YYYY-MM-DD) instead of today")
	cmd.Flags().StringVar(&req.Month, "month", "", "watch this business month (YYYY-MM)")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between updates")
	cmd.Flags().IntVar(&topN, "top", 8, "how many agencies and services to list")
	cmd.Flags().BoolVar(&once, "once", false, "print one frame (the second update, which has a rate) and exit")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each update as one JSON line (the Stats message) instead of a view")
	return cmd
}

// topView shows the updates of `ndxp top` one of four ways: one frame
// (--once), JSON lines (--json), a view redrawn in place (a terminal), or
// one plain line per update (a file or a pipe).
type topView struct {
	out                io.Writer
	hub                string
	topN               int
	once, json, redraw bool
	prev               *hubv1.Stats
}

// show shows one update; done is true once --once has printed its frame.
func (v *topView) show(st *hubv1.Stats) (done bool, err error) {
	defer func() { v.prev = st }()
	switch {
	case v.once && v.json:
		if v.prev == nil {
			return false, nil
		}
		return true, writeJSON(v.out, st)
	case v.once:
		if v.prev == nil { // the second frame has a rate
			return false, nil
		}
		_, err := io.WriteString(v.out, renderTop(st, v.prev, v.hub, v.topN))
		return true, err
	case v.json:
		return false, writeJSONLine(v.out, st)
	case v.redraw:
		frame := renderTop(st, v.prev, v.hub, v.topN)
		_, err := fmt.Fprint(v.out, ansiHome+strings.ReplaceAll(frame, "\n", ansiClearLine+"\n")+ansiClearDown)
		return false, err
	default:
		_, err := fmt.Fprintln(v.out, topLine(st, v.prev))
		return false, err
	}
}

// topLine is one update as a plain line, for a file or a pipe.
func topLine(st, prev *hubv1.Stats) string {
	c := st.GetCount()
	now := "-"
	if r, ok := rate(st, prev); ok {
		now = fmt.Sprintf("%.1f tx/s", r)
	}
	return fmt.Sprintf("%s ICT  now %s  %s: %s transactions, %s failed (%s)  p99 %s  record %d",
		st.GetAsOf().AsTime().In(vn.Zone).Format("2006-01-02 15:04:05"), now, st.GetPeriod(), group(c.GetTotal()),
		group(c.GetFailed()), percent(c.GetFailed(), c.GetTotal()), ms(st.GetLatency().GetP99Us()), st.GetSequence())
}

// rate is the transactions per second between two snapshots, from the
// all-time totals; ok is false without a previous snapshot.
func rate(st, prev *hubv1.Stats) (perSec float64, ok bool) {
	if prev == nil {
		return 0, false
	}
	dt := st.GetAsOf().AsTime().Sub(prev.GetAsOf().AsTime()).Seconds()
	if dt <= 0 {
		return 0, false
	}
	return float64(st.GetAllTime().GetTotal()-prev.GetAllTime().GetTotal()) / dt, true
}

// renderTop draws one frame of `ndxp top`.
func renderTop(st, prev *hubv1.Stats, hub string, topN int) string {
	var b strings.Builder
	c := st.GetCount()
	fmt.Fprintf(&b, "ndxp top — hub %s — %s ICT — record %d\n\n", hub,
		st.GetAsOf().AsTime().In(vn.Zone).Format("2006-01-02 15:04:05"), st.GetSequence())
	now := "–"
	if r, ok := rate(st, prev); ok {
		now = fmt.Sprintf("%.1f tx/s (%s a day at this rate)", r, group(int64(r*86400)))
	}
	fmt.Fprintf(&b, "now      %s\n", now)
	fmt.Fprintf(&b, "%-8s %s transactions, %s succeeded, %s failed\n", st.GetPeriod(), group(c.GetTotal()), group(c.GetSucceeded()), group(c.GetFailed()))
	fmt.Fprintf(&b, "errors   %s   latency p50 %s  p99 %s  max %s\n", percent(c.GetFailed(), c.GetTotal()),
		ms(st.GetLatency().GetP50Us()), ms(st.GetLatency().GetP99Us()), ms(st.GetLatency().GetMaxUs()))
	if len(st.GetPeriod()) == len(time.DateOnly) {
		var parts []string
		for _, f := range publishedDaily {
			parts = append(parts, fmt.Sprintf("%s of %s/day (%s)", percent(c.GetTotal(), f.perDay), group(f.perDay), f.label))
		}
		fmt.Fprintf(&b, "vs NDXP  %s\n", strings.Join(parts, ", "))
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, sec := range []struct {
		title string
		b     []*hubv1.Bucket
	}{{"CONSUMER", st.GetByConsumer()}, {"PROVIDER", st.GetByProvider()}, {"SERVICE", st.GetByService()}, {"OUTCOME", st.GetByCode()}} {
		if len(sec.b) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s\tTOTAL\tSHARE\tERRORS\n", sec.title)
		for _, bk := range sec.b[:min(topN, len(sec.b))] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", blank(bk.GetKey()), group(bk.GetCount().GetTotal()),
				percent(bk.GetCount().GetTotal(), c.GetTotal()), percent(bk.GetCount().GetFailed(), bk.GetCount().GetTotal()))
		}
		if len(sec.b) > topN {
			fmt.Fprintf(tw, "… %d more\t\t\t\n", len(sec.b)-topN)
		}
	}
	_ = tw.Flush()
	return b.String()
}

// group writes n with thousands separators: 1,234,567.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	p := 100 * float64(part) / float64(whole)
	if p > 0 && p < 1 {
		return fmt.Sprintf("%.2f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

func ms(us int64) string { return fmt.Sprintf("%.1fms", float64(us)/1000) }
