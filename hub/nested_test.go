package hub_test

import (
	"crypto"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/insurance"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/callctx"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// replayed is a business time of a replayed day (10:00 on 2 May 2023, Hà Nội).
var replayed = time.Date(2023, 5, 2, 10, 0, 0, 0, vn.Zone)

func startNested(t *testing.T) *hubtest.Env {
	t.Helper()
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.PopulationCode, topology.SocialInsuranceCode, consumer)
	if err != nil {
		t.Fatal(err)
	}
	grant := func(to, provider, service string) *hubv1.AccessGrant {
		return &hubv1.AccessGrant{Provider: provider, Service: service, To: &hubv1.AccessGrant_Consumer{Consumer: to}}
	}
	return hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}),
		hubtest.WithGrants(grant(consumer, insurance.Code, insurance.ServiceHouseholdVerify),
			grant(insurance.Code, insurance.PopulationCode, "household-members"),
			grant(consumer, insurance.PopulationCode, "household-members")))
}

// dayRows are the counters of a business day by "consumer provider service code".
func dayRows(t *testing.T, env *hubtest.Env, day string) map[string]int64 {
	t.Helper()
	resp, err := env.Stats.GetStats(ctxT(t), &hubv1.GetStatsRequest{Day: day, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range resp.GetStats().GetRows() {
		out[r.GetConsumer()+" "+r.GetProvider()+" "+r.GetService()+" "+r.GetCode()] += r.GetCount()
	}
	return out
}

// TestNestedHopOnReplayedDay: the household-members exchange the insurance
// database makes, through the hub and with its own certificate, while it
// serves a household-verify the operator replays on 2023-05-02 is counted
// on 2023-05-02 (not today), and its record names its parent.
func TestNestedHopOnReplayedDay(t *testing.T) {
	env := startNested(t)
	ctx := ctxT(t)
	_, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
		MessageId: "hv-1", Consumer: consumer, Provider: insurance.Code, Service: insurance.ServiceHouseholdVerify,
		Payload:      payload(t, &insurancev1.VerifyHouseholdRequest{PersonalId: knownID, DeclaredMemberIds: []string{knownID}}),
		BusinessTime: timestamppb.New(replayed), Purpose: "test", UserId: "officer-1",
	})
	if err != nil {
		t.Fatalf("household-verify: %v", err)
	}
	want := map[string]int64{
		consumer + " " + insurance.Code + " household-verify OK":                  1,
		insurance.Code + " " + insurance.PopulationCode + " household-members OK": 1,
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		if got := dayRows(t, env, "2023-05-02"); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("2023-05-02 counts %v, want %v", got, want)
		}
		return nil
	})
	if c := todayStats(t, env).GetCount().GetTotal(); c != 0 {
		t.Fatalf("today counts %d, want 0: the nested hop belongs to the replayed day", c)
	}
	recs, err := env.Stats.QueryRecords(ctx, &hubv1.QueryRecordsRequest{Agency: insurance.Code, Service: "household-members"})
	if err != nil || len(recs.GetRecords()) != 1 {
		t.Fatalf("records = %v, %v; want the nested hop", recs, err)
	}
	if r := recs.GetRecords()[0]; r.GetParentMessageId() != "hv-1" || !r.GetBusinessTime().AsTime().Equal(replayed) {
		t.Fatalf("nested record: parent %q at %s, want hv-1 at %s", r.GetParentMessageId(), r.GetBusinessTime().AsTime(), replayed)
	}
}

// TestContextTokenRefused: a context token holds only for the provider it
// was issued to, signed by a hub of the platform, unexpired and unedited;
// anything else is refused naming context_token, and without a token an
// agency still may not set the business time.
func TestContextTokenRefused(t *testing.T) {
	env := startNested(t)
	ctx := ctxT(t)
	certs := env.Certs()
	keyOf := func(name string) (crypto.Signer, []byte) {
		cfg, err := certs.ClientTLS(name)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Certificates[0].PrivateKey.(crypto.Signer), cfg.Certificates[0].Certificate[0]
	}
	hubKey, hubCert := keyOf(pki.Hub)
	h29Key, h29Cert := keyOf(consumer)
	now := time.Now()
	issue := func(i callctx.Issuer, provider string, at time.Time) string {
		tok, err := i.Issue("hv-parent", "", provider, replayed, at)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	hub := callctx.Issuer{Key: hubKey, Cert: hubCert, Hub: "test"}
	forInsurance := issue(hub, insurance.Code, now)
	members := func(id, token string) *hubv1.ExchangeRequest {
		return &hubv1.ExchangeRequest{
			MessageId: id, Provider: insurance.PopulationCode, Service: "household-members",
			Payload:      payload(t, &populationv1.HouseholdMembersRequest{PersonalId: knownID}),
			BusinessTime: timestamppb.New(replayed), ContextToken: token, Purpose: "test", UserId: "officer-1",
		}
	}
	parts := strings.Split(forInsurance, ".")
	edited := strings.Split(issue(callctx.Issuer{}, consumer, now), ".")[0] + "." + parts[1] + "." + parts[2]
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	for _, c := range []struct{ name, token string }{
		{"another provider's token", forInsurance},
		{"signed by the agency itself", issue(callctx.Issuer{Key: h29Key, Cert: h29Cert}, consumer, now)},
		{"unsigned", issue(callctx.Issuer{}, consumer, now)},
		{"claims edited", edited},
		{"expired", issue(hub, consumer, now.Add(-time.Hour))},
		{"garbage", "not-a-token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := h29.Exchange(ctx, members("forged-"+strings.ReplaceAll(c.name, " ", "-"), c.token))
			wantField(t, err, "context_token")
		})
	}
	g23 := hubv1.NewExchangeServiceClient(env.DialAs(t, insurance.Code))
	t.Run("without a token the agency may not set it", func(t *testing.T) {
		_, err := g23.Exchange(ctx, members("no-token", ""))
		wantField(t, err, "business_time")
	})
	t.Run("another business time than the token's", func(t *testing.T) {
		req := members("other-time", forInsurance)
		req.BusinessTime = timestamppb.New(replayed.Add(time.Hour))
		_, err := g23.Exchange(ctx, req)
		wantField(t, err, "business_time")
	})
	t.Run("the provider it was issued to", func(t *testing.T) {
		if _, err := g23.Exchange(ctx, members("genuine", forInsurance)); err != nil {
			t.Fatalf("a genuine token: %v", err)
		}
	})
	hubtest.Eventually(t, 20*time.Second, func() error {
		if got := dayRows(t, env, "2023-05-02"); len(got) != 1 || got[insurance.Code+" "+insurance.PopulationCode+" household-members OK"] != 1 {
			return fmt.Errorf("2023-05-02 counts %v, want only the genuine nested hop", got)
		}
		return nil
	})
}
