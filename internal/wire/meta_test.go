package wire

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestMetaRoundTrip: what SetHeader writes, MetaOf reads back, field for
// field, with and without the optional ones; times come back in UTC to
// the nanosecond.
func TestMetaRoundTrip(t *testing.T) {
	at := time.Date(2022, 3, 15, 8, 30, 0, 123456789, time.FixedZone("ICT", 7*3600))
	for _, m := range []Meta{
		{MessageID: "m-1", Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
			BusinessTime: at, Purpose: "HS-1 cấp thẻ", UserID: "officer-7",
			PayloadType: TypeURLPrefix + "ndxp.population.v1.LookupCitizenRequest", Context: "tok",
			Deadline: at.Add(30 * time.Second)},
		{MessageID: "m-2", Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup", BusinessTime: at},
	} {
		h := nats.Header{}
		m.SetHeader(h)
		got := MetaOf(h)
		want := m
		want.BusinessTime = m.BusinessTime.UTC()
		if !m.Deadline.IsZero() {
			want.Deadline = m.Deadline.UTC()
		}
		if got != want {
			t.Errorf("round trip of %+v\n got %+v", want, got)
		}
		for _, k := range []string{HeaderContext, HeaderPurpose, HeaderUserID, HeaderPayloadType, HeaderDeadline} {
			if _, ok := h[k]; ok && got.isEmpty(k) {
				t.Errorf("%s written although empty", k)
			}
		}
	}
}

// isEmpty reports whether m's field carried in header k is empty.
func (m Meta) isEmpty(k string) bool {
	switch k {
	case HeaderContext:
		return m.Context == ""
	case HeaderPurpose:
		return m.Purpose == ""
	case HeaderUserID:
		return m.UserID == ""
	case HeaderPayloadType:
		return m.PayloadType == ""
	case HeaderDeadline:
		return m.Deadline.IsZero()
	}
	return false
}
