package hub_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/access"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// wantRefusal fails unless err has code and its message mentions every
// one of words.
func wantRefusal(t *testing.T, err error, code codes.Code, words ...string) {
	t.Helper()
	st := status.Convert(err)
	for _, w := range words {
		if !strings.Contains(st.Message(), w) {
			t.Fatalf("error = %v %q, want %s mentioning %q", st.Code(), st.Message(), code, w)
		}
	}
	wantCode(t, err, code)
}

func grantTo(consumer, service string) *hubv1.AccessGrant {
	return &hubv1.AccessGrant{Provider: population.Code, Service: service, To: &hubv1.AccessGrant_Consumer{Consumer: consumer}}
}

// registerConsumer registers the test consumer, as the operator.
func registerConsumer(t *testing.T, env *hubtest.Env) {
	t.Helper()
	if _, err := env.Registry.RegisterAgency(ctxT(t), &hubv1.RegisterAgencyRequest{
		Agency: &hubv1.Agency{Code: consumer, Name: "Hồ Chí Minh City", Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestGrantsNameRegisteredConsumers: a grant to a consumer code that no
// agency registered is refused, for the provider and the operator alike,
// so no one can fill the grant store with made-up consumers; groups stay
// allowed.
func TestGrantsNameRegisteredConsumers(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity())
	ctx := ctxT(t)
	registerConsumer(t, env)
	pop := hubv1.NewAccessServiceClient(env.DialAs(t, population.Code))
	for name, c := range map[string]hubv1.AccessServiceClient{"provider": pop, "operator": env.Access} {
		_, err := c.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo("000.00.00.H01", "*")})
		wantRefusal(t, err, codes.NotFound, "grant.consumer", "000.00.00.H01", "register")
		if _, err := c.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, "*")}); err != nil {
			t.Fatalf("%s's grant to a registered consumer: %v", name, err)
		}
	}
	if _, err := pop.Grant(ctx, &hubv1.GrantRequest{Grant: &hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP},
	}}); err != nil {
		t.Fatalf("a group grant: %v", err)
	}
}

// TestGrantsPerProviderCap: a provider's grants are capped (re-granting
// one it holds is not a new one); the operator is not subject to the cap;
// the count shows in /metrics.
func TestGrantsPerProviderCap(t *testing.T) {
	const limit = 3
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithHubConfig(hub.Config{Access: access.Config{MaxGrantsPerProvider: limit}}))
	ctx := ctxT(t)
	registerConsumer(t, env)
	pop := hubv1.NewAccessServiceClient(env.DialAs(t, population.Code))
	for i := range limit {
		if _, err := pop.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, fmt.Sprintf("svc-%d", i))}); err != nil {
			t.Fatalf("grant %d of %d: %v", i+1, limit, err)
		}
	}
	_, err := pop.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, "one-too-many")})
	wantRefusal(t, err, codes.ResourceExhausted, strconv.Itoa(limit), "revoke")
	if _, err := pop.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, "svc-0")}); err != nil {
		t.Fatalf("re-granting a grant held: %v", err)
	}
	if _, err := env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, "by-the-operator")}); err != nil {
		t.Fatalf("the operator's grant beyond the provider's cap: %v", err)
	}
	if _, err := pop.Revoke(ctx, &hubv1.RevokeRequest{Grant: grantTo(consumer, "svc-1")}); err != nil {
		t.Fatalf("the provider's revocation at the cap: %v", err)
	}
	list, err := env.Access.ListGrants(ctx, &hubv1.ListGrantsRequest{Provider: population.Code})
	if err != nil || len(list.GetGrants()) != limit {
		t.Fatalf("ListGrants = %d grants, %v; want %d", len(list.GetGrants()), err, limit)
	}
	metrics := get(t, "http://"+env.HTTPAddr()+"/metrics")
	if !strings.Contains(metrics, "ndxp_access_grants "+strconv.Itoa(limit)+"\n") {
		t.Errorf("/metrics has no ndxp_access_grants %d", limit)
	}
}

var storeBytes = regexp.MustCompile(`(?m)^ndxp_access_store_bytes (\S+)$`)

// TestGrantStoreReserve: providers cannot fill the grant store: once it
// is nearly full their grants are refused, while the operator can still
// grant and revoke; the store never exceeds its size.
func TestGrantStoreReserve(t *testing.T) {
	const maxBytes = 32 << 10
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithHubConfig(hub.Config{Access: access.Config{MaxBytes: maxBytes, MaxGrantsPerProvider: 10000}}))
	ctx := ctxT(t)
	registerConsumer(t, env)
	pop := hubv1.NewAccessServiceClient(env.DialAs(t, population.Code))
	var err error
	n := 0
	for ; n < 1000; n++ {
		if _, err = pop.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, fmt.Sprintf("service-number-%d", n))}); err != nil {
			break
		}
	}
	wantRefusal(t, err, codes.ResourceExhausted, "grant store", "operator")
	t.Logf("the provider's grant %d was refused: %v", n+1, err)
	for i := range 3 {
		if _, err := env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, fmt.Sprintf("operator-%d", i))}); err != nil {
			t.Fatalf("the operator's grant %d once providers are refused: %v", i, err)
		}
	}
	if _, err := env.Access.Revoke(ctx, &hubv1.RevokeRequest{Grant: grantTo(consumer, "service-number-0")}); err != nil {
		t.Fatalf("the operator's revocation: %v", err)
	}
	if _, err := pop.Revoke(ctx, &hubv1.RevokeRequest{Grant: grantTo(consumer, "service-number-1")}); err != nil {
		t.Fatalf("the provider's revocation: %v", err)
	}
	// The operator itself can fill the store; it then gets a clear
	// refusal and can still revoke.
	for n = 0; n < 1000; n++ {
		if _, err = env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: grantTo(consumer, fmt.Sprintf("operator-more-%d", n))}); err != nil {
			break
		}
	}
	wantRefusal(t, err, codes.ResourceExhausted, "grant store", "maximum")
	if _, err := env.Access.Revoke(ctx, &hubv1.RevokeRequest{Grant: grantTo(consumer, "operator-more-0")}); err != nil {
		t.Fatalf("the operator's revocation in a full store: %v", err)
	}
	m := storeBytes.FindStringSubmatch(get(t, "http://"+env.HTTPAddr()+"/metrics"))
	if m == nil {
		t.Fatal("/metrics has no ndxp_access_store_bytes")
	}
	if used, err := strconv.ParseFloat(m[1], 64); err != nil || used > maxBytes || used == 0 {
		t.Fatalf("ndxp_access_store_bytes = %s, want between 1 and %d", m[1], maxBytes)
	}
}
