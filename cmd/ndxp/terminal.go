package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ndxp/ndxp/loadtest"
)

// isTerminal reports whether w is a terminal: live views redraw and
// progress bars animate only there; files and pipes get plain lines.
// TERM=dumb counts as no terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// plainProgressEvery is how often a load test's progress is printed as a
// plain line when stderr is not a terminal: a log, not an animation.
const plainProgressEvery = 5 * time.Second

// loadProgress shows a load test's progress on w: a progress bar
// (schollz/progressbar) on a terminal, else one plain line every
// plainProgressEvery and a last one at the end, with no control
// characters. It is called from one goroutine at a time.
type loadProgress struct {
	w         io.Writer
	tty       bool
	bar       *progressbar.ProgressBar
	lastPlain time.Duration // elapsed time of the last plain line; -1: none yet
}

func newLoadProgress(w io.Writer) *loadProgress {
	return &loadProgress{w: w, tty: isTerminal(w), lastPlain: -1}
}

// show implements loadtest.Config.Progress.
func (l *loadProgress) show(p loadtest.Progress) {
	if l.tty {
		l.showBar(p)
		return
	}
	if p.Final || l.lastPlain < 0 || p.Elapsed-l.lastPlain >= plainProgressEvery {
		l.lastPlain = p.Elapsed
		fmt.Fprintln(l.w, progressLine(p))
	}
}

func (l *loadProgress) showBar(p loadtest.Progress) {
	if l.bar == nil {
		l.bar = progressbar.NewOptions64(max(p.Planned, 1),
			progressbar.OptionSetWriter(l.w),
			progressbar.OptionSetDescription("load test"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("tx"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	l.bar.Describe(progressDetail(p))
	_ = l.bar.Set64(p.Done)
	if p.Final {
		_ = l.bar.Exit()
		fmt.Fprintln(l.w)
	}
}

// progressLine is the progress as a plain line.
func progressLine(p loadtest.Progress) string {
	return fmt.Sprintf("load test: %d/%d (%.1f%%)  %s", p.Done, p.Planned, 100*float64(p.Done)/float64(max(p.Planned, 1)), progressDetail(p))
}

func progressDetail(p loadtest.Progress) string {
	eta := "?"
	if p.ETA >= 0 {
		eta = p.ETA.Round(time.Second).String()
	}
	return fmt.Sprintf("%.0f tx/s  p99 %s  errors %d  elapsed %s  ETA %s", p.Rate, p.P99, p.Errors, p.Elapsed.Round(time.Second), eta)
}
