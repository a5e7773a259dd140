package hub

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Bounds on WatchStats intervals.
const (
	minWatchInterval     = 100 * time.Millisecond
	defaultWatchInterval = time.Second
)

type statsServer struct {
	hubv1.UnimplementedStatsServiceServer
	h *Hub
}

// period validates a day or month selector; empty means today.
func period(day, month string) (string, error) {
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
		if err := h.refused.sync(ctx); err != nil {
			return nil, err
		}
		last, err := h.txlog.LastSequence(ctx)
		if err != nil {
			return nil, err
		}
		if err := h.counter.WaitFor(ctx, last); err != nil {
			return nil, err
		}
	}
	st := h.counter.Snapshot(p)
	h.addDeclared(st)
	return st, nil
}

func (s *statsServer) GetStats(ctx context.Context, req *hubv1.GetStatsRequest) (*hubv1.GetStatsResponse, error) {
	p, err := period(req.GetDay(), req.GetMonth())
	if err != nil {
		return nil, toStatus(err)
	}
	st, err := s.h.Stats(ctx, p, req.GetSync())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetStatsResponse{Stats: st}, nil
}

// Counter is the hub's transaction counter, for read-outs and tests.
func (h *Hub) Counter() *counter.Counter { return h.counter }

// WatchStats sends the period's counters every interval. Without day or
// month it follows today: after midnight (Vietnam time) it sends the new day.
func (s *statsServer) WatchStats(req *hubv1.WatchStatsRequest, stream grpc.ServerStreamingServer[hubv1.WatchStatsResponse]) error {
	p, err := period(req.GetDay(), req.GetMonth())
	if err != nil {
		return toStatus(err)
	}
	today := req.GetDay() == "" && req.GetMonth() == ""
	if req.GetIntervalMs() < 0 {
		return toStatus(field.Errorf("interval_ms", "%d is negative; want 0 (one second) or a number of milliseconds", req.GetIntervalMs()))
	}
	interval := defaultWatchInterval
	if req.GetIntervalMs() > 0 {
		interval = max(time.Duration(req.GetIntervalMs())*time.Millisecond, minWatchInterval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if today {
			p = vn.Day(time.Now())
		}
		if err := stream.Send(&hubv1.WatchStatsResponse{Stats: s.h.counter.Snapshot(p)}); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-s.h.watches.done():
			return toStatus(ErrShuttingDown)
		case <-t.C:
		}
	}
}

// watches lets the server end every WatchStats stream at shutdown, so that
// a graceful stop does not wait for watchers. The zero value is ready.
type watches struct {
	mu     sync.Mutex
	ch     chan struct{}
	closed bool
}

// done is closed by end.
func (w *watches) done() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.chanLocked()
}

// chanLocked returns the channel, making it if needed; mu must be held.
func (w *watches) chanLocked() chan struct{} {
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// end ends every watch, now and later.
func (w *watches) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		close(w.chanLocked())
		w.closed = true
	}
}
