package hub

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// FuzzValidate feeds the exchange validation (the protovalidate rules of
// exchange.proto, then the hub's own checks) arbitrary fields: it must
// never panic, must answer field errors naming a field, or
// ErrPayloadTooLarge, for bad input; what it accepts must be safe to build
// subjects and records from (the hand-written checks of internal/wire and
// sanitize agree with the annotations), and what sanitize keeps of what it
// refuses must be storable.
func FuzzValidate(f *testing.F) {
	f.Add("m-1", "000.00.00.H29", "000.00.01.G01", "citizen-lookup", "type.googleapis.com/x.Y", []byte("abc"), "HS-1", "officer", int64(0))
	f.Add("a b", "G01", "000.00.01.g01", "Citizen Lookup", "x/y", []byte{}, "\xff", "", int64(-1))
	f.Add("", "", "", "", "", make([]byte, 2000), "", "", int64(1<<40))
	f.Add("m-2", "000.00.00.H29", "000.00.01.G01", "s", "", []byte{}, "HS-\ufffd", "\u200b \u200b", int64(1700000000))
	f.Fuzz(func(t *testing.T, msgID, consumer, provider, service, typeURL string, payload []byte, purpose, user string, secs int64) {
		h := &Hub{cfg: Config{MaxPayload: 1024}}
		req := &hubv1.ExchangeRequest{
			MessageId: msgID, Consumer: consumer, Provider: provider, Service: service,
			Payload: &anypb.Any{TypeUrl: typeURL, Value: payload}, Purpose: purpose, UserId: user,
			BusinessTime: &timestamppb.Timestamp{Seconds: secs},
		}
		err := h.validate(req, req, consumer, true)
		var fe *field.Error
		switch {
		case err == nil:
			if wire.ValidateAgencyCode(consumer) != nil || wire.ValidateAgencyCode(provider) != nil || wire.ValidateServiceCode(service) != nil {
				t.Fatalf("accepted bad codes %q %q %q", consumer, provider, service)
			}
			if len(payload) > 1024 || !utf8.ValidString(purpose) || !utf8.ValidString(user) || checkText(purpose, MaxPurpose) != nil || checkText(user, MaxUserID) != nil {
				t.Fatal("accepted an oversize payload or invalid text")
			}
			if checkMessageID(msgID) != nil || checkBusinessTime(req.BusinessTime, true, time.Now()) != nil {
				t.Fatalf("accepted message id %q or business time %v that sanitize would replace", msgID, req.BusinessTime)
			}
		case errors.As(err, &fe):
			for _, fe := range field.All(err) {
				if fe.Field == "" || fe.Reason == "" {
					t.Fatalf("field error without a field or a reason: %v", err)
				}
			}
		case !errors.Is(err, ErrPayloadTooLarge):
			t.Fatalf("unexpected error kind: %v", err)
		}
		tx := &hubv1.TransactionRecord{
			MessageId: msgID, Consumer: consumer, Provider: provider, Service: service,
			Purpose: purpose, UserId: user, BusinessTime: req.BusinessTime, ReceivedAt: timestamppb.Now(),
		}
		sanitize(tx)
		if !utf8.ValidString(tx.MessageId) || !utf8.ValidString(tx.Purpose) || !utf8.ValidString(tx.UserId) || tx.BusinessTime.CheckValid() != nil {
			t.Fatalf("sanitize left a record that cannot be stored: %v", tx)
		}
	})
}
