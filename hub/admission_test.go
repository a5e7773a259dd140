package hub_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// wantField fails the test unless err is INVALID_ARGUMENT naming name.
func wantField(t *testing.T, err error, name string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "invalid "+name) {
		t.Fatalf("error = %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), name)
	}
}

// TestBusinessTimeOnlyFromOperator: an agency may not choose the day its
// exchange is counted on (neither by Exchange nor by Send); the operator
// (load replays) may, within [2019-01-01, now + 1 day]. A refused business
// time is not the day the refusal is counted on.
func TestBusinessTimeOnlyFromOperator(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	ctx := ctxT(t)
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	past := time.Date(2022, 3, 15, 10, 0, 0, 0, time.UTC)
	at := func(id string, bt time.Time) *hubv1.ExchangeRequest {
		req := lookup(t, knownID)
		req.MessageId, req.BusinessTime = id, timestamppb.New(bt)
		return req
	}

	t.Run("an agency may not set it", func(t *testing.T) {
		for i, bt := range []time.Time{past, time.Now(), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
			req := at("agency-"+string(rune('a'+i)), bt)
			req.Consumer = ""
			_, err := h29.Exchange(ctx, req)
			wantField(t, err, "business_time")
		}
		send := &hubv1.SendRequest{MessageId: "agency-send", Provider: population.Code, Service: population.ServiceLookup,
			Payload: lookup(t, knownID).GetPayload(), BusinessTime: timestamppb.New(past), Purpose: "test", UserId: "officer-1"}
		_, err := hubv1.NewDeliveryServiceClient(env.DialAs(t, consumer)).Send(ctx, send)
		wantField(t, err, "business_time")
	})
	t.Run("the operator may, within range", func(t *testing.T) {
		if _, err := env.Exchange.Exchange(ctx, at("operator-ok", past)); err != nil {
			t.Fatalf("operator replaying %s: %v", past, err)
		}
		for _, bt := range []time.Time{
			time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2018, 12, 31, 16, 59, 0, 0, time.UTC), // 23:59 on 2018-12-31 in Hà Nội
			time.Now().Add(49 * time.Hour), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		} {
			_, err := env.Exchange.Exchange(ctx, at("operator-"+bt.Format("20060102"), bt))
			wantField(t, err, "business_time")
		}
	})

	day, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2022-03-15", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := day.GetStats().GetCount(); c.GetTotal() != 1 || c.GetSucceeded() != 1 {
		t.Fatalf("2022-03-15 counts %v, want only the operator's replay", c)
	}
	today := todayStats(t, env)
	if c := today.GetCount(); c.GetTotal() != 9 || c.GetFailed() != 9 {
		t.Fatalf("today (%s) counts %v, want the 8 refused exchanges and the refused Send", vn.Day(time.Now()), c)
	}
	for _, d := range today.GetByDay() {
		if d.GetKey() != vn.Day(time.Now()) {
			t.Errorf("a refusal was counted on %s", d.GetKey())
		}
	}
}

// TestBusinessTimeRangeInsecure: without identities every caller is
// trusted like the operator, but the range still applies.
func TestBusinessTimeRangeInsecure(t *testing.T) {
	env := hubtest.Start(t)
	for _, bt := range []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		req := lookup(t, knownID)
		req.BusinessTime = timestamppb.New(bt)
		_, err := env.Exchange.Exchange(ctxT(t), req)
		wantField(t, err, "business_time")
	}
	req := lookup(t, knownID)
	req.BusinessTime = timestamppb.New(time.Date(2019, 1, 1, 0, 0, 0, 0, vn.Zone))
	if _, err := env.Exchange.Exchange(ctxT(t), req); err != nil {
		t.Fatalf("the first day of the range: %v", err)
	}
}

// TestInvisibleText: purpose and user_id must be visible text: no control
// character anywhere, and a non-empty value has at least one letter,
// digit, punctuation mark or symbol (format characters and spaces alone
// are not).
func TestInvisibleText(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	bad := []string{"\u0000", "\u0007", "\u200b", " ", "\u200b\u00a0\u3000", "HS-1\u0000", "HS\n1", "\u2028", "HS-\ufffd"}
	for _, name := range []string{"purpose", "user_id"} {
		for _, v := range bad {
			t.Run(fmt.Sprintf("%s=%+q", name, v), func(t *testing.T) {
				req := lookup(t, knownID)
				req.Consumer = ""
				if name == "purpose" {
					req.Purpose = v
				} else {
					req.UserId = v
				}
				_, err := h29.Exchange(ctxT(t), req)
				wantField(t, err, name)
			})
		}
	}
	for _, v := range []string{"Hồ sơ 1", "HS-2024-001\u200b", "cán bộ 01", "№5"} {
		req := lookup(t, knownID)
		req.Consumer, req.Purpose, req.UserId = "", v, v
		if _, err := h29.Exchange(ctxT(t), req); err != nil {
			t.Errorf("visible %q refused: %v", v, err)
		}
	}
}
