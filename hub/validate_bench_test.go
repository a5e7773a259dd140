package hub

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// BenchmarkValidate measures the cost per exchange of validating one
// request, side by side: "protovalidate" is the hub's check (the
// buf.validate rules of exchange.proto, then the hub's own checks),
// "by-hand" the hand-written checks it replaced (validateByHand below),
// each for a valid request and for one with three bad fields.
//
//	go test ./hub -run '^$' -bench BenchmarkValidate -benchmem
func BenchmarkValidate(b *testing.B) {
	h := &Hub{cfg: Config{MaxPayload: DefaultMaxPayload}}
	good := &hubv1.ExchangeRequest{
		MessageId: "bench-000001", Consumer: "000.00.00.H29", Provider: "000.00.00.G01", Service: "citizen-lookup",
		Payload: &anypb.Any{TypeUrl: "type.googleapis.com/ndxp.population.v1.LookupCitizenRequest", Value: make([]byte, 64)},
		Purpose: "HS-2024/0001 cấp căn cước", UserId: "officer-1",
		BusinessTime: timestamppb.New(time.Date(2022, 3, 15, 10, 0, 0, 0, time.UTC)),
	}
	bad := &hubv1.ExchangeRequest{MessageId: "bench 1", Consumer: "000.00.00.H29", Provider: "G01", Service: "Lookup",
		Payload: good.Payload, Purpose: "x", UserId: "u"}
	for _, tt := range []struct {
		name  string
		check func(*hubv1.ExchangeRequest) error
	}{
		{"protovalidate", func(r *hubv1.ExchangeRequest) error { return h.validate(r, r, r.GetConsumer(), true) }},
		{"by-hand", func(r *hubv1.ExchangeRequest) error { return h.validateByHand(r, r.GetConsumer(), true) }},
	} {
		for _, req := range []struct {
			name string
			req  *hubv1.ExchangeRequest
			ok   bool
		}{{"valid", good, true}, {"invalid", bad, false}} {
			b.Run(fmt.Sprintf("%s/%s", tt.name, req.name), func(b *testing.B) {
				for b.Loop() {
					if err := tt.check(req.req); (err == nil) != req.ok {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// validateByHand is the hand-written validation the protovalidate rules
// replaced (before issue 15), kept only to compare their cost.
func (h *Hub) validateByHand(req *hubv1.ExchangeRequest, consumer string, trusted bool) error {
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
	if err := checkPrintable(req.GetPayload().GetTypeUrl()); err != nil {
		return field.Wrap("payload.@type", err)
	}
	if err := checkBusinessTime(req.GetBusinessTime(), trusted, time.Now()); err != nil {
		return field.Wrap("business_time", err)
	}
	if err := checkText(req.GetPurpose(), MaxPurpose); err != nil {
		return field.Wrap("purpose", err)
	}
	return field.Wrap("user_id", checkText(req.GetUserId(), MaxUserID))
}
