package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Limits on the free-text fields of an exchange.
const (
	MaxMessageID = 128
	MaxPurpose   = 256
	MaxUserID    = 128
)

// MinBusinessTime is the earliest business time a trusted caller (load
// replays) may set: before the platform's published figures. With
// MaxBusinessAhead it keeps every count on a day one can query (not
// "10000-01-01") and out of days long closed.
var MinBusinessTime = time.Date(2019, 1, 1, 0, 0, 0, 0, vn.Zone)

// MaxBusinessAhead is how far past the hub's clock a business time may be
// (time zones, clock skew).
const MaxBusinessAhead = 24 * time.Hour

// checkRules checks msg against the buf.validate (protovalidate)
// annotations of the contracts in proto/ndxp/hub/v1, where the field rules
// are stated for every client to read (field.Check). They are standard
// rules (pattern, max_bytes: evaluated natively, without CEL) wherever one
// fits, CEL only where it must (a business time relative to now): see
// docs/validation.md for the cost.
func checkRules(msg proto.Message) error { return field.Check(msg) }

// CheckExchange validates req as the core validates an exchange from a
// caller who may set the business time, under a payload limit of
// maxPayload: it returns nil, field.Errors naming the bad fields, or
// ErrPayloadTooLarge, and never panics, whatever req holds. It is
// pure; the codec's fuzz test (hub/grpcapi) judges what the codec decodes
// with it.
func CheckExchange(req *hubv1.ExchangeRequest, maxPayload int) error {
	h := &Hub{cfg: Config{MaxPayload: maxPayload}}
	return h.validate(req, req, req.GetConsumer(), true)
}

// validate checks an exchange once, at the edge, and returns field.Errors
// naming the bad fields, or ErrPayloadTooLarge. in is the message as it
// arrived (an ExchangeRequest, or the SendRequest req was made from): its
// annotations state the field rules. What the annotations cannot state is
// checked here: consumer is the effective consumer (the caller's identity,
// or the request's field in insecure mode); trusted says whether the caller
// may set the business time (see maySetBusinessTime); the payload limit is
// the hub's configuration; protovalidate's rules for an Any only list
// allowed types, so the type URL's form is checked here.
func (h *Hub) validate(in proto.Message, req *hubv1.ExchangeRequest, consumer string, trusted bool) error {
	if bt := req.GetBusinessTime(); bt != nil {
		if err := bt.CheckValid(); err != nil {
			return field.Wrap("business_time", err) // before CEL, which cannot read it
		}
	}
	if err := checkRules(in); err != nil {
		return err
	}
	if consumer == "" {
		return field.Errorf("consumer", "is required: name the agency the request is made for, or call with its certificate")
	}
	if req.GetBusinessTime() != nil && !trusted {
		return field.Errorf("business_time", "may be set only by the operator (load replays); leave it empty and the exchange is counted on the day the hub receives it")
	}
	if n := len(req.GetPayload().GetValue()); n > h.cfg.MaxPayload {
		return fmt.Errorf("%w: payload is %d bytes, the limit is %d", ErrPayloadTooLarge, n, h.cfg.MaxPayload)
	}
	if t := req.GetPayload().GetTypeUrl(); t != "" && !strings.HasPrefix(t, wire.TypeURLPrefix) {
		return field.Errorf("payload.@type", "%.64q must start with %q", t, wire.TypeURLPrefix)
	}
	return field.Wrap("payload.@type", checkPrintable(req.GetPayload().GetTypeUrl()))
}

func checkMessageID(id string) error {
	if len(id) > MaxMessageID {
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(id), MaxMessageID)
	}
	return checkPrintable(id)
}

// checkPrintable refuses anything but printable ASCII without spaces.
func checkPrintable(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("has a character at position %d that is not printable ASCII", i)
		}
	}
	return nil
}

// checkBusinessTime admits bt (nil: the hub's clock decides) only from a
// trusted caller and within [MinBusinessTime, now+MaxBusinessAhead].
func checkBusinessTime(bt *timestamppb.Timestamp, trusted bool, now time.Time) error {
	if bt == nil {
		return nil
	}
	if !trusted {
		return errors.New("may be set only by the operator (load replays); leave it empty and the exchange is counted on the day the hub receives it")
	}
	if err := bt.CheckValid(); err != nil {
		return err
	}
	if t := bt.AsTime(); t.Before(MinBusinessTime) || t.After(now.Add(MaxBusinessAhead)) {
		return fmt.Errorf("is %s, outside [%s, now + %s]", t.Format(time.RFC3339), vn.Day(MinBusinessTime), MaxBusinessAhead)
	}
	return nil
}

// businessTime is the business time an exchange is counted at: the
// request's when the caller may set it and it is in range, else received.
// A refused business time is not where its refusal is counted.
func businessTime(bt *timestamppb.Timestamp, trusted bool, received *timestamppb.Timestamp) *timestamppb.Timestamp {
	if bt == nil || checkBusinessTime(bt, trusted, received.AsTime()) != nil {
		return received
	}
	return bt
}

// checkText admits free text (purpose, user id): at most limit bytes of
// valid UTF-8 without control characters (C0, DEL, C1, line and paragraph
// separators) or U+FFFD (which the gRPC codec puts for invalid UTF-8) and,
// when not empty, with at least one visible character.
func checkText(s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(s), limit)
	}
	seen := false
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return fmt.Errorf("is not valid UTF-8 (or holds U+FFFD) at byte %d", i)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("has the control character %U at byte %d", r, i)
		case visible(r):
			seen = true
		}
	}
	if s != "" && !seen {
		return errors.New("has no visible character (only spaces or format characters such as U+200B): write it in letters, digits or punctuation")
	}
	return nil
}

// visible reports whether r shows as a glyph of its own: a letter, digit,
// punctuation mark or symbol. Spaces, format characters (U+200B) and
// combining marks alone do not.
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S)
}

// hasVisible reports whether s has a visible character (see visible).
func hasVisible(s string) bool { return strings.IndexFunc(s, visible) >= 0 }

// unregistered names wire.Unknown, in the record tx of an exchange, the
// provider and service that are not registered, and the consumer of an
// exchange refused by the hub that is neither registered nor the caller's
// certificate (a consumer named in insecure mode or by the operator). A
// refused request may name anything; what it named stays in the refusal's
// message, but the counters and metrics derived from the record are then
// bounded by the registry (and the CA) whatever the traffic. It is decided
// here, once, so that every hub counts the record alike.
func (h *Hub) unregistered(ctx context.Context, tx *hubv1.TransactionRecord) {
	switch {
	case !h.reg.KnownAgency(tx.Provider):
		tx.Provider, tx.Service = wire.Unknown, wire.Unknown
	case !h.reg.KnownService(tx.Provider, tx.Service):
		tx.Service = wire.Unknown
	}
	refused := tx.Code != 0 && tx.ForwardedAt == nil
	if refused && !certified(ctx) && !h.reg.KnownAgency(tx.Consumer) {
		tx.Consumer = wire.Unknown
	}
}

// sanitize keeps a record of a malformed request storable and countable:
// codes that failed validation are replaced by wire.Unknown, free text by
// "?" and the message id truncated, so garbage cannot bloat the counters.
func sanitize(tx *hubv1.TransactionRecord) {
	tx.BusinessTime = businessTime(tx.BusinessTime, true, tx.ReceivedAt)
	if wire.ValidateAgencyCode(tx.Consumer) != nil {
		tx.Consumer = wire.Unknown
	}
	if wire.ValidateAgencyCode(tx.Provider) != nil {
		tx.Provider = wire.Unknown
	}
	if wire.ValidateServiceCode(tx.Service) != nil {
		tx.Service = wire.Unknown
	}
	if checkMessageID(tx.MessageId) != nil {
		tx.MessageId = strings.ToValidUTF8(tx.MessageId[:min(len(tx.MessageId), MaxMessageID)], "?")
	}
	if checkText(tx.Purpose, MaxPurpose) != nil {
		tx.Purpose = "?"
	}
	if checkText(tx.UserId, MaxUserID) != nil {
		tx.UserId = "?"
	}
	if len(tx.Error) > 1024 {
		tx.Error = strings.ToValidUTF8(tx.Error[:1024], "?")
	}
}
