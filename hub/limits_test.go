package hub_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestLimits(t *testing.T) {
	const other = "000.00.00.H01"
	grant := func(c string) *hubv1.AccessGrant {
		return &hubv1.AccessGrant{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: c}}
	}
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(grant(consumer), grant(other)),
		hubtest.WithHubConfig(hub.Config{MaxPayload: 1024, Security: hub.Security{
			RateLimit: 0.001, RateBurst: 6, // 6 at once, then one per 1000 s: no timing in the test
			DailyQuota: 1000,
		}}))
	ctx := ctxT(t)
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	with := func(f func(*hubv1.ExchangeRequest)) *hubv1.ExchangeRequest {
		r := lookup(t, knownID)
		f(r)
		return r
	}
	tests := []struct {
		name string
		req  *hubv1.ExchangeRequest
		code codes.Code
		msg  string
	}{
		{"oversize payload", with(func(r *hubv1.ExchangeRequest) {
			r.Payload = &anypb.Any{TypeUrl: r.Payload.TypeUrl, Value: make([]byte, 2000)}
		}), codes.ResourceExhausted, "the limit is 1024"},
		{"purpose too long", with(func(r *hubv1.ExchangeRequest) { r.Purpose = strings.Repeat("x", 300) }), codes.InvalidArgument, "invalid purpose"},
		{"user id too long", with(func(r *hubv1.ExchangeRequest) { r.UserId = strings.Repeat("u", 200) }), codes.InvalidArgument, "invalid user_id"},
		{"forged consumer", with(func(r *hubv1.ExchangeRequest) { r.Consumer = other }), codes.PermissionDenied, "the caller is " + consumer},
		{"good request after bad ones", lookup(t, knownID), codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h29.Exchange(ctx, tt.req)
			st := status.Convert(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("Exchange = %v %q, want %v containing %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
	t.Run("rate limit per consumer", func(t *testing.T) {
		// Valid requests so far: 1 of the burst of 6.
		for i := range 5 {
			if _, err := h29.Exchange(ctx, lookup(t, knownID)); err != nil {
				t.Fatalf("exchange %d within the burst: %v", i, err)
			}
		}
		_, err := h29.Exchange(ctx, lookup(t, knownID))
		st := status.Convert(err)
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "burst 6") {
			t.Fatalf("past the burst: %v, want RESOURCE_EXHAUSTED naming the limit", err)
		}
		// Another consumer has its own budget.
		req := lookup(t, knownID)
		req.Consumer = other
		if _, err := hubv1.NewExchangeServiceClient(env.DialAs(t, other)).Exchange(ctx, req); err != nil {
			t.Fatalf("another consumer: %v", err)
		}
	})
	t.Run("refusals are counted", func(t *testing.T) {
		want := map[string]int64{"OK": 7, "RESOURCE_EXHAUSTED": 2, "INVALID_ARGUMENT": 2, "PERMISSION_DENIED": 1}
		hubtest.Eventually(t, 20*time.Second, func() error {
			resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Sync: true})
			if err != nil {
				return err
			}
			got := map[string]int64{}
			for _, b := range resp.GetStats().GetByCode() {
				got[b.GetKey()] = b.GetCount().GetTotal()
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("by code %v, want %v", got, want)
			}
			return nil
		})
	})
}

func TestDailyQuota(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithHubConfig(hub.Config{Security: hub.Security{DailyQuota: 2}}))
	ctx := ctxT(t)
	for i := range 2 {
		if _, err := env.Exchange.Exchange(ctx, lookup(t, knownID)); err != nil {
			t.Fatalf("exchange %d within the quota: %v", i, err)
		}
	}
	_, err := env.Exchange.Exchange(ctx, lookup(t, knownID))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "2 exchanges per business day") {
		t.Fatalf("past the quota: %v", err)
	}
}

// TestLimitsAcrossHubs: the daily quota holds for the platform, whichever
// hub a consumer calls (the hubs share JetStream counters); the rate
// limit is per hub, so two hubs each let a consumer's burst through.
func TestLimitsAcrossHubs(t *testing.T) {
	ns := hubtest.StartNATS(t)
	cfg := hub.Config{Security: hub.Security{DailyQuota: 3}}
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithHubConfig(cfg))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithHubConfig(cfg), hubtest.WithoutPopulation())
	ctx := ctxT(t)
	for i, env := range []*hubtest.Env{a, b, a} {
		req := lookup(t, knownID)
		req.MessageId = fmt.Sprint("quota-", i)
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			t.Fatalf("exchange %d within the platform's quota: %v", i, err)
		}
	}
	for i, env := range []*hubtest.Env{b, a} {
		req := lookup(t, knownID)
		req.MessageId = fmt.Sprint("over-", i)
		_, err := env.Exchange.Exchange(ctx, req)
		st := status.Convert(err)
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "3 exchanges per business day on the platform") {
			t.Fatalf("exchange %d past the quota, through the other hub: %v; want RESOURCE_EXHAUSTED naming the platform's quota", i, err)
		}
	}

	// The rate limit: one exchange per 1000 s, so no timing in the test.
	rcfg := hub.Config{Security: hub.Security{RateLimit: 0.001, RateBurst: 1}}
	ns2 := hubtest.StartNATS(t)
	c := hubtest.Start(t, hubtest.WithNATSURL(ns2.ClientURL()), hubtest.WithHubConfig(rcfg))
	d := hubtest.Start(t, hubtest.WithNATSURL(ns2.ClientURL()), hubtest.WithHubConfig(rcfg), hubtest.WithoutPopulation())
	for i, env := range []*hubtest.Env{c, d} {
		req := lookup(t, knownID)
		req.MessageId = fmt.Sprint("rate-", i)
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			t.Fatalf("hub %d lets its own burst through: %v", i, err)
		}
	}
	req := lookup(t, knownID)
	req.MessageId = "rate-again"
	if _, err := c.Exchange.Exchange(ctx, req); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a second exchange on the same hub: %v, want RESOURCE_EXHAUSTED", err)
	}
}
