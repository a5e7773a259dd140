package wire

import (
	"time"

	"github.com/nats-io/nats.go"
)

// Meta is the metadata of one exchange as it travels from the hub to the
// provider's node in the headers of a NATS request (the payload is its
// body). SetHeader and MetaOf are the one pair that writes and reads it;
// TestMetaRoundTrip holds them to each other.
type Meta struct {
	MessageID string
	Consumer  string
	Provider  string
	Service   string
	// BusinessTime is the time the exchange is counted at.
	BusinessTime time.Time
	Purpose      string
	UserID       string
	// PayloadType is the payload's type URL, empty if none was given.
	PayloadType string
	// Context is the hub's context token (see hub/callctx), empty if none.
	Context string
	// Deadline is when the hub stops waiting for the answer; zero: none.
	Deadline time.Time
}

// SetHeader writes m into h; empty optional fields are left out.
func (m *Meta) SetHeader(h nats.Header) {
	h.Set(HeaderMsgID, m.MessageID)
	h.Set(HeaderConsumer, m.Consumer)
	h.Set(HeaderProvider, m.Provider)
	h.Set(HeaderService, m.Service)
	h.Set(HeaderBusinessTime, m.BusinessTime.UTC().Format(time.RFC3339Nano))
	setIf(h, HeaderContext, m.Context)
	setIf(h, HeaderPayloadType, m.PayloadType)
	setIf(h, HeaderPurpose, m.Purpose)
	setIf(h, HeaderUserID, m.UserID)
	if !m.Deadline.IsZero() {
		h.Set(HeaderDeadline, m.Deadline.UTC().Format(time.RFC3339Nano))
	}
}

func setIf(h nats.Header, key, v string) {
	if v != "" {
		h.Set(key, v)
	}
}

// MetaOf reads the metadata SetHeader wrote into h. A time that does not
// parse is left zero (the hub always writes both).
func MetaOf(h nats.Header) Meta {
	m := Meta{
		MessageID: h.Get(HeaderMsgID), Consumer: h.Get(HeaderConsumer), Provider: h.Get(HeaderProvider),
		Service: h.Get(HeaderService), Purpose: h.Get(HeaderPurpose), UserID: h.Get(HeaderUserID),
		PayloadType: h.Get(HeaderPayloadType), Context: h.Get(HeaderContext),
	}
	m.BusinessTime, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderBusinessTime))
	m.Deadline, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderDeadline))
	return m
}
