package hub

import (
	"context"
	"time"

	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Period validates a day ("YYYY-MM-DD") or month ("YYYY-MM") selector,
// at most one of them set, into the period Stats takes; both empty mean
// today (Vietnam time). Its errors are field errors naming day or month.
func Period(day, month string) (string, error) {
	switch {
	case day != "" && month != "":
		return "", field.Errorf("month", "set either day or month, not both")
	case day != "":
		if _, err := vn.ParseDay(day); err != nil {
			return "", field.Errorf("day", "%q is not a date of the form 2022-03-15", day)
		}
		return day, nil
	case month != "":
		if _, err := vn.ParseMonth(month); err != nil {
			return "", field.Errorf("month", "%q is not a month of the form 2022-03", month)
		}
		return month, nil
	}
	return vn.Day(time.Now()), nil
}

// Stats returns the counters of a period ("YYYY-MM-DD" or "YYYY-MM"). With
// sync, it first records the refusals this hub holds in aggregate and
// waits until every record stored so far is counted.
func (h *Hub) Stats(ctx context.Context, p string, sync bool) (*hubv1.Stats, error) {
	if sync {
		if err := h.doOnNATS(ctx, h.countedSoFar); err != nil {
			return nil, err
		}
	}
	st := h.counter.Snapshot(p)
	h.addDeclared(st)
	return st, nil
}

// countedSoFar records the refusals this hub holds in aggregate and waits
// until every record stored so far is counted.
func (h *Hub) countedSoFar(ctx context.Context) error {
	if err := h.refused.sync(ctx); err != nil {
		return err
	}
	last, err := h.txlog.LastSequence(ctx)
	if err != nil {
		return err
	}
	return h.counter.WaitFor(ctx, last)
}

// Counter is the hub's transaction counter, for read-outs and tests.
func (h *Hub) Counter() *counter.Counter { return h.counter }
