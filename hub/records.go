package hub

import (
	"context"
	"strconv"
	"time"

	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Page sizes of QueryRecords.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// QueryRecords returns one page of the records of a time window (of
// received_at, or of business_time), filtered by agency or service. An
// authenticated agency may read only its own (the operator all).
func (h *Hub) QueryRecords(ctx context.Context, req *hubv1.QueryRecordsRequest) (*hubv1.QueryRecordsResponse, error) {
	if err := mayReadRecords(ctx, req.GetAgency()); err != nil {
		return nil, err
	}
	q, err := h.RecordQuery(req)
	if err != nil {
		return nil, err
	}
	return h.Records(ctx, q)
}

// Records returns the page of records q selects; its errors are the
// record stream's (the hub cannot serve), never the query's.
func (h *Hub) Records(ctx context.Context, q txlog.Query) (*hubv1.QueryRecordsResponse, error) {
	page, err := onNATS(h, ctx, func(ctx context.Context) (*txlog.Page, error) { return h.txlog.Query(ctx, q) })
	if err != nil {
		return nil, err
	}
	return recordsResponse(page), nil
}

func recordsResponse(page *txlog.Page) *hubv1.QueryRecordsResponse {
	resp := &hubv1.QueryRecordsResponse{Records: page.Records}
	if page.Next > 0 {
		resp.NextPageToken = strconv.FormatUint(page.Next, 10)
	}
	return resp
}

// RecordQuery validates req into a query; its errors are field errors
// naming what is wrong with req. It does not check who may read.
func (h *Hub) RecordQuery(req *hubv1.QueryRecordsRequest) (txlog.Query, error) {
	q := txlog.Query{
		Agency: req.GetAgency(), Service: req.GetService(), Limit: defaultPageSize,
		// A record is stored at most the longest exchange plus the time to
		// store it (retried for RecordRetry) after it was received; a
		// minute more for clock skew.
		Slack: h.cfg.MaxTimeout + h.cfg.RecordRetry + time.Minute,
	}
	if req.From != nil {
		if err := req.GetFrom().CheckValid(); err != nil {
			return q, field.Errorf("from", "%v", err)
		}
		q.From = req.GetFrom().AsTime()
	}
	q.ByBusinessTime = req.GetByBusinessTime()
	if !q.ByBusinessTime {
		q.To = time.Now()
	}
	if req.To != nil {
		if err := req.GetTo().CheckValid(); err != nil {
			return q, field.Errorf("to", "%v", err)
		}
		q.To = req.GetTo().AsTime()
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, field.Errorf("to", "%s is not after from (%s)", q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	if q.Agency != "" {
		if err := wire.ValidateAgencyCode(q.Agency); err != nil {
			return q, field.Wrap("agency", err)
		}
	}
	if q.Service != "" {
		if err := wire.ValidateServiceCode(q.Service); err != nil {
			return q, field.Wrap("service", err)
		}
	}
	switch n := req.GetPageSize(); {
	case n < 0 || n > maxPageSize:
		return q, field.Errorf("page_size", "%d is out of range; want 1 to %d, or 0 for %d", n, maxPageSize, defaultPageSize)
	case n > 0:
		q.Limit = int(n)
	}
	if t := req.GetPageToken(); t != "" {
		seq, err := strconv.ParseUint(t, 10, 64)
		if err != nil || seq == 0 {
			return q, field.Errorf("page_token", "%q is not a token this hub returned in next_page_token", t)
		}
		q.StartSeq = seq
	}
	return q, nil
}
