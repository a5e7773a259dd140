package hub_test

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// violations returns the fields a refusal names in its google.rpc.BadRequest
// detail, failing t unless err is INVALID_ARGUMENT whose message names the
// first of them.
func violations(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("error = %v %q, want InvalidArgument", st.Code(), st.Message())
	}
	var fields []string
	for _, d := range st.Details() {
		bad, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range bad.GetFieldViolations() {
			if v.GetDescription() == "" {
				t.Fatalf("violation of %s without a description: %v", v.GetField(), st.Proto())
			}
			fields = append(fields, v.GetField())
		}
	}
	if len(fields) == 0 || !strings.Contains(st.Message(), "invalid "+fields[0]+":") {
		t.Fatalf("status %v: want a BadRequest detail whose first field the message names", st.Proto())
	}
	return fields
}

// TestRefusalsCarryBadRequest: a request breaking the rules annotated in
// exchange.proto and delivery.proto (buf.validate) is refused with
// INVALID_ARGUMENT and a google.rpc.BadRequest detail naming every field at
// fault, read by a real gRPC client on every path: Exchange, Send,
// GetDelivery, and the hub's own checks (payload type, consumer); on
// ExchangeStream the result's error lists the same fields.
func TestRefusalsCarryBadRequest(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	delivery := hubv1.NewDeliveryServiceClient(env.Conn)
	exchange := []struct {
		name   string
		mutate func(*hubv1.ExchangeRequest)
		want   []string
	}{
		{"message id with a space", func(r *hubv1.ExchangeRequest) { r.MessageId = "a b" }, []string{"message_id"}},
		{"message id too long", func(r *hubv1.ExchangeRequest) { r.MessageId = strings.Repeat("m", 129) }, []string{"message_id"}},
		{"lower-case agency code", func(r *hubv1.ExchangeRequest) { r.Consumer = "000.00.00.h29" }, []string{"consumer"}},
		{"no consumer", func(r *hubv1.ExchangeRequest) { r.Consumer = "" }, []string{"consumer"}},
		{"short provider", func(r *hubv1.ExchangeRequest) { r.Provider = "G01" }, []string{"provider"}},
		{"service with capitals", func(r *hubv1.ExchangeRequest) { r.Service = "Citizen-Lookup" }, []string{"service"}},
		{"purpose with a newline", func(r *hubv1.ExchangeRequest) { r.Purpose = "HS-1\nforged: log line" }, []string{"purpose"}},
		{"invisible user", func(r *hubv1.ExchangeRequest) { r.UserId = "\u200b \u200b" }, []string{"user_id"}},
		{"user too long", func(r *hubv1.ExchangeRequest) { r.UserId = strings.Repeat("u", 129) }, []string{"user_id"}},
		{"type URL of another registry", func(r *hubv1.ExchangeRequest) { r.Payload.TypeUrl = "example.com/x.Y" }, []string{"payload.@type"}},
		{"three bad fields", func(r *hubv1.ExchangeRequest) { r.Provider, r.Service, r.Purpose = "x", "Y", "HS-1\x00" },
			[]string{"provider", "service", "purpose"}},
	}
	for _, tt := range exchange {
		t.Run("Exchange/"+tt.name, func(t *testing.T) {
			req := lookup(t, knownID)
			tt.mutate(req)
			_, err := env.Exchange.Exchange(ctx, req)
			if got := violations(t, err); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("BadRequest names %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("ExchangeStream", func(t *testing.T) {
		stream, err := env.Exchange.ExchangeStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		req := lookup(t, knownID)
		req.MessageId, req.Provider, req.Service = "stream-bad", "G01", "Lookup"
		if err := stream.Send(&hubv1.ExchangeStreamRequest{Request: req}); err != nil {
			t.Fatal(err)
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		out, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range out.GetError().GetFieldViolations() {
			got = append(got, v.GetField())
		}
		if codes.Code(out.GetError().GetCode()) != codes.InvalidArgument || strings.Join(got, ",") != "provider,service" {
			t.Fatalf("stream result %v, want InvalidArgument with violations of provider and service", out)
		}
	})
	t.Run("Send without a message id", func(t *testing.T) {
		_, err := delivery.Send(ctx, &hubv1.SendRequest{Consumer: consumer, Provider: population.Code,
			Service: population.ServiceLookup, Payload: lookup(t, knownID).GetPayload(), Purpose: "test", UserId: "officer-1"})
		if got := violations(t, err); len(got) != 1 || got[0] != "message_id" {
			t.Fatalf("BadRequest names %v, want message_id", got)
		}
	})
	t.Run("GetDelivery with a bad consumer", func(t *testing.T) {
		_, err := delivery.GetDelivery(ctx, &hubv1.GetDeliveryRequest{MessageId: "m-1", Consumer: "H29"})
		if got := violations(t, err); len(got) != 1 || got[0] != "consumer" {
			t.Fatalf("BadRequest names %v, want consumer", got)
		}
	})
}
