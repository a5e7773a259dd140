package hub

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Limits on the free-text fields of an exchange.
const (
	MaxMessageID = 128
	MaxPurpose   = 256
	MaxUserID    = 128
)

// validate checks every field of an exchange that crosses the edge and
// returns a *field.Error naming the first bad one, or ErrPayloadTooLarge.
// consumer is the effective consumer (the caller's identity, or the
// request's field in insecure mode).
func (h *Hub) validate(req *hubv1.ExchangeRequest, consumer string) error {
	if err := checkMessageID(req.GetMessageId()); err != nil {
		return field.Wrap("message_id", err)
	}
	if err := wire.ValidateAgencyCode(consumer); err != nil {
		return field.Wrap("consumer", err)
	}
	if err := wire.ValidateAgencyCode(req.GetProvider()); err != nil {
		return field.Wrap("provider", err)
	}
	if err := wire.ValidateServiceCode(req.GetService()); err != nil {
		return field.Wrap("service", err)
	}
	if n := len(req.GetPayload().GetValue()); n > h.cfg.MaxPayload {
		return fmt.Errorf("%w: payload is %d bytes, the limit is %d", ErrPayloadTooLarge, n, h.cfg.MaxPayload)
	}
	if t := req.GetPayload().GetTypeUrl(); t != "" && !strings.HasPrefix(t, wire.TypeURLPrefix) {
		return field.Errorf("payload.@type", "%.64q must start with %q", t, wire.TypeURLPrefix)
	}
	if bt := req.GetBusinessTime(); bt != nil {
		if err := bt.CheckValid(); err != nil {
			return field.Wrap("business_time", err)
		}
	}
	if err := checkText(req.GetPurpose(), MaxPurpose); err != nil {
		return field.Wrap("purpose", err)
	}
	return field.Wrap("user_id", checkText(req.GetUserId(), MaxUserID))
}

func checkMessageID(id string) error {
	if len(id) > MaxMessageID {
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(id), MaxMessageID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("has a character at position %d that is not printable ASCII", i)
		}
	}
	return nil
}

func checkText(s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(s), limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	return nil
}

// sanitize keeps a record of a malformed request storable and countable:
// fields that failed validation are replaced by "?" (or, for the message
// id, truncated), so garbage cannot bloat the counters.
func sanitize(tx *hubv1.TransactionRecord) {
	if tx.BusinessTime.CheckValid() != nil {
		tx.BusinessTime = tx.ReceivedAt
	}
	if wire.ValidateAgencyCode(tx.Consumer) != nil {
		tx.Consumer = "?"
	}
	if wire.ValidateAgencyCode(tx.Provider) != nil {
		tx.Provider = "?"
	}
	if wire.ValidateServiceCode(tx.Service) != nil {
		tx.Service = "?"
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
