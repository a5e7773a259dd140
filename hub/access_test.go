package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestGrants(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity())
	ctx := ctxT(t)
	registerConsumer(t, env)
	const other = "000.00.00.H01" // Hà Nội
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	h01 := hubv1.NewExchangeServiceClient(env.DialAs(t, other))
	// Hà Nội registers as a provincial LGSP so that group grants apply.
	if _, err := hubv1.NewRegistryServiceClient(env.DialAs(t, other)).RegisterAgency(ctx, &hubv1.RegisterAgencyRequest{
		Agency: &hubv1.Agency{Code: other, Name: "Hà Nội", Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP},
	}); err != nil {
		t.Fatal(err)
	}
	lookupAs := func(c hubv1.ExchangeServiceClient) error {
		req := lookup(t, knownID)
		req.Consumer = ""
		_, err := c.Exchange(ctx, req)
		return err
	}
	toH29 := &hubv1.AccessGrant{Provider: population.Code, Service: population.ServiceLookup, To: &hubv1.AccessGrant_Consumer{Consumer: consumer}}
	toProvinces := &hubv1.AccessGrant{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP}}

	t.Run("denied by default", func(t *testing.T) {
		wantCode(t, lookupAs(h29), codes.PermissionDenied)
	})
	t.Run("a consumer's grant", func(t *testing.T) {
		if _, err := env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: toH29}); err != nil {
			t.Fatal(err)
		}
		if err := lookupAs(h29); err != nil {
			t.Fatalf("after the grant: %v", err)
		}
		wantCode(t, lookupAs(h01), codes.PermissionDenied)
	})
	t.Run("a group's grant", func(t *testing.T) {
		if _, err := env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: toProvinces}); err != nil {
			t.Fatal(err)
		}
		if err := lookupAs(h01); err != nil {
			t.Fatalf("after the group grant: %v", err)
		}
		// Group membership comes from the certificate: an agency can
		// neither register as another kind nor get its grants.
		const civil = "000.00.01.G02"
		_, err := hubv1.NewRegistryServiceClient(env.DialAs(t, civil)).RegisterAgency(ctx, &hubv1.RegisterAgencyRequest{
			Agency: &hubv1.Agency{Code: civil, Name: "posing as a province", Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP},
		})
		wantCode(t, err, codes.PermissionDenied)
		wantCode(t, lookupAs(hubv1.NewExchangeServiceClient(env.DialAs(t, civil))), codes.PermissionDenied)
	})
	t.Run("revoke", func(t *testing.T) {
		for _, g := range []*hubv1.AccessGrant{toH29, toProvinces} {
			if _, err := env.Access.Revoke(ctx, &hubv1.RevokeRequest{Grant: g}); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, lookupAs(h29), codes.PermissionDenied)
		_, err := env.Access.Revoke(ctx, &hubv1.RevokeRequest{Grant: toH29})
		wantCode(t, err, codes.NotFound)
	})
	t.Run("only the provider or the operator changes grants", func(t *testing.T) {
		_, err := hubv1.NewAccessServiceClient(env.DialAs(t, consumer)).Grant(ctx, &hubv1.GrantRequest{Grant: toH29})
		wantCode(t, err, codes.PermissionDenied)
		pop := hubv1.NewAccessServiceClient(env.DialAs(t, population.Code))
		if _, err := pop.Grant(ctx, &hubv1.GrantRequest{Grant: toH29}); err != nil {
			t.Fatalf("the provider's own grant: %v", err)
		}
		list, err := pop.ListGrants(ctx, &hubv1.ListGrantsRequest{Provider: population.Code})
		if err != nil || len(list.GetGrants()) != 1 || list.GetGrants()[0].GetGrantedBy() == "" {
			t.Fatalf("ListGrants = %v, %v", list, err)
		}
	})
	t.Run("personal data needs purpose and user", func(t *testing.T) {
		req := lookup(t, knownID)
		req.Consumer, req.Purpose = "", ""
		_, err := h29.Exchange(ctx, req)
		wantCode(t, err, codes.InvalidArgument)
		req.Purpose, req.UserId = "HS-1", " "
		_, err = h29.Exchange(ctx, req)
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("bad grants", func(t *testing.T) {
		for _, g := range []*hubv1.AccessGrant{
			nil,
			{Provider: "x", Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer}},
			{Provider: population.Code, Service: "Bad", To: &hubv1.AccessGrant_Consumer{Consumer: consumer}},
			{Provider: population.Code, Service: "*"},
			{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Group{Group: 99}},
		} {
			_, err := env.Access.Grant(ctx, &hubv1.GrantRequest{Grant: g})
			wantCode(t, err, codes.InvalidArgument)
		}
	})
	t.Run("refusals are counted", func(t *testing.T) {
		hubtest.Eventually(t, 20*time.Second, func() error {
			resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Sync: true})
			if err != nil {
				return err
			}
			for _, b := range resp.GetStats().GetByCode() {
				if b.GetKey() == "PERMISSION_DENIED" && b.GetCount().GetTotal() == 4 {
					return nil
				}
			}
			return fmt.Errorf("by code: %v", resp.GetStats().GetByCode())
		})
	})
}

func TestNodeGrants(t *testing.T) {
	const provider, granted = "000.00.99.G90", "000.00.99.G91"
	grp := hubtest.Group(&hubtest.FuncAgency{Code: provider, Handlers: map[string]node.Handler{
		"ping": func(context.Context, *node.Request) (proto.Message, error) { return &emptypb.Empty{}, nil },
	}})
	grp.Template.Grants = []*hubv1.AccessGrant{{Provider: provider, Service: "ping", To: &hubv1.AccessGrant_Consumer{Consumer: granted}}}
	// The consumer registers first: grants name registered agencies.
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithoutPopulation(),
		hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{Code: granted}), grp))
	ctx := ctxT(t)
	ping := &hubv1.ExchangeRequest{Provider: provider, Service: "ping"}
	if _, err := hubv1.NewExchangeServiceClient(env.DialAs(t, granted)).Exchange(ctx, ping); err != nil {
		t.Fatalf("granted at registration: %v", err)
	}
	_, err := hubv1.NewExchangeServiceClient(env.DialAs(t, "000.00.00.H01")).Exchange(ctx, ping)
	wantCode(t, err, codes.PermissionDenied)
}

func TestGrantReachesEveryHub(t *testing.T) {
	ns := hubtest.StartNATS(t)
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithSecurity())
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithSecurity(), hubtest.WithoutPopulation())
	ctx := ctxT(t)
	registerConsumer(t, a)
	viaB := hubv1.NewExchangeServiceClient(b.DialAs(t, consumer))
	req := lookup(t, knownID)
	_, err := viaB.Exchange(ctx, req)
	wantCode(t, err, codes.PermissionDenied)
	if _, err := a.Access.Grant(ctx, &hubv1.GrantRequest{Grant: &hubv1.AccessGrant{
		Provider: population.Code, Service: population.ServiceLookup, To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}}); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		_, err := viaB.Exchange(ctx, req)
		return err
	})
}
