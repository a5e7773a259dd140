package grpcapi

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/hub"
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
	e *edge
}

func (s *statsServer) GetStats(ctx context.Context, req *hubv1.GetStatsRequest) (*hubv1.GetStatsResponse, error) {
	p, err := hub.Period(req.GetDay(), req.GetMonth())
	if err != nil {
		return nil, toStatus(err)
	}
	st, err := s.e.h.Stats(ctx, p, req.GetSync())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.GetStatsResponse{Stats: st}, nil
}

// WatchStats sends the period's counters every interval. Without day or
// month it follows today: after midnight (Vietnam time) it sends the new day.
func (s *statsServer) WatchStats(req *hubv1.WatchStatsRequest, stream grpc.ServerStreamingServer[hubv1.WatchStatsResponse]) error {
	p, err := hub.Period(req.GetDay(), req.GetMonth())
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
		if err := stream.Send(&hubv1.WatchStatsResponse{Stats: s.e.h.Counter().Snapshot(p)}); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-s.e.watches.done():
			return toStatus(hub.ErrShuttingDown)
		case <-t.C:
		}
	}
}

// DeclareOffset implements StatsService.DeclareOffset.
func (s *statsServer) DeclareOffset(ctx context.Context, req *hubv1.DeclareOffsetRequest) (*hubv1.DeclareOffsetResponse, error) {
	o, err := s.e.h.DeclareOffset(ctx, req.GetOffset())
	if err != nil {
		return nil, toStatus(err)
	}
	return &hubv1.DeclareOffsetResponse{Offset: o}, nil
}

// QueryRecords returns one page of the records of a time window (of
// received_at, or of business_time), filtered by agency or service.
func (s *statsServer) QueryRecords(ctx context.Context, req *hubv1.QueryRecordsRequest) (*hubv1.QueryRecordsResponse, error) {
	resp, err := s.e.h.QueryRecords(ctx, req)
	return resp, toStatus(err)
}
