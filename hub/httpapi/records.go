package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// records answers /api/records with a page of QueryRecords.
func (v views) records(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := &hubv1.QueryRecordsRequest{Agency: q.Get("agency"), Service: q.Get("service"), PageToken: q.Get("page_token"),
		ByBusinessTime: q.Get("by") == "business_time"}
	var err error
	if by := q.Get("by"); by != "" && by != "business_time" && by != "received_at" {
		err = field.Errorf("by", "%q: want business_time or received_at", by)
	}
	for _, f := range []struct {
		name string
		dst  **timestamppb.Timestamp
	}{{"from", &req.From}, {"to", &req.To}} {
		if v := q.Get(f.name); v != "" && err == nil {
			t, perr := time.Parse(time.RFC3339Nano, v)
			if perr != nil {
				err = field.Errorf(f.name, "%q is not an RFC 3339 time such as 2023-05-20T10:05:00+07:00", v)
			}
			*f.dst = timestamppb.New(t)
		}
	}
	if v := q.Get("page_size"); v != "" && err == nil {
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil {
			err = field.Errorf("page_size", "%q is not a number", v)
		}
		req.PageSize = int32(n)
	}
	var query txlog.Query
	if err == nil {
		query, err = v.h.RecordQuery(req)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	page, err := v.h.Records(r.Context(), query)
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, err)
		return
	}
	writeProtoJSON(w, page)
}
