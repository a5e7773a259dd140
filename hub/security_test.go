package hub_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func dialCAOnly(t *testing.T, env *hubtest.Env) *grpc.ClientConn {
	cfg, err := pki.ClientTLS(env.Certs().CAFile(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(env.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestSecureIdentity(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	ctx := ctxT(t)
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))

	t.Run("health and reflection need no client certificate", func(t *testing.T) {
		conn := dialCAOnly(t, env)
		if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health: %v", err)
		}
		_, err := hubv1.NewRegistryServiceClient(conn).ListAgencies(ctx, &hubv1.ListAgenciesRequest{})
		wantCode(t, err, codes.Unauthenticated)
	})
	t.Run("plaintext is refused", func(t *testing.T) {
		conn := hubtest.Dial(t, env.GRPCAddr())
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := hubv1.NewRegistryServiceClient(conn).ListAgencies(sctx, &hubv1.ListAgenciesRequest{})
		if err == nil {
			t.Fatal("a plaintext call succeeded on a TLS hub")
		}
	})
	t.Run("consumer from the certificate", func(t *testing.T) {
		req := lookup(t, knownID)
		req.Consumer = ""
		if _, err := h29.Exchange(ctx, req); err != nil {
			t.Fatalf("Exchange as %s: %v", consumer, err)
		}
	})
	t.Run("forged consumer is refused", func(t *testing.T) {
		req := lookup(t, knownID)
		req.Consumer = "000.00.00.H01"
		_, err := h29.Exchange(ctx, req)
		wantCode(t, err, codes.PermissionDenied)
	})
	t.Run("the stream takes the consumer from the certificate too", func(t *testing.T) {
		st, err := h29.ExchangeStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		good := lookup(t, knownID)
		good.Consumer, good.MessageId = "", "s-good"
		forged := lookup(t, knownID)
		forged.Consumer, forged.MessageId = "000.00.00.H01", "s-forged"
		for _, r := range []*hubv1.ExchangeRequest{good, forged} {
			if err := st.Send(&hubv1.ExchangeStreamRequest{Request: r}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CloseSend(); err != nil {
			t.Fatal(err)
		}
		got := map[string]codes.Code{}
		for range 2 {
			r, err := st.Recv()
			if err != nil {
				t.Fatal(err)
			}
			got[r.GetMessageId()] = codes.Code(r.GetError().GetCode())
		}
		if got["s-good"] != codes.OK || got["s-forged"] != codes.PermissionDenied {
			t.Fatalf("stream outcomes %v, want s-good OK and s-forged PERMISSION_DENIED", got)
		}
	})
	t.Run("the operator acts for the consumer it names", func(t *testing.T) {
		if _, err := env.Exchange.Exchange(ctx, lookup(t, knownID)); err != nil {
			t.Fatalf("operator for %s: %v", consumer, err)
		}
		req := lookup(t, knownID)
		req.Consumer = ""
		_, err := env.Exchange.Exchange(ctx, req)
		wantCode(t, err, codes.InvalidArgument)
		req.Consumer = "000.00.00.H01" // holds no grant
		_, err = env.Exchange.Exchange(ctx, req)
		wantCode(t, err, codes.PermissionDenied)
	})
	t.Run("register only your own agency", func(t *testing.T) {
		reg := hubv1.NewRegistryServiceClient(env.DialAs(t, consumer))
		_, err := reg.RegisterAgency(ctx, &hubv1.RegisterAgencyRequest{Agency: &hubv1.Agency{
			Code: population.Code, Name: "fake population", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE,
		}})
		wantCode(t, err, codes.PermissionDenied)
		_, err = reg.RegisterAgency(ctx, &hubv1.RegisterAgencyRequest{Agency: &hubv1.Agency{
			Code: consumer, Name: "Hồ Chí Minh", Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP,
		}})
		if err != nil {
			t.Fatalf("register own agency: %v", err)
		}
	})
}

func TestRecordsAreReadByTheirAgencies(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	ctx := ctxT(t)
	if _, err := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer)).Exchange(ctx, lookup(t, knownID)); err != nil {
		t.Fatal(err)
	}
	h29 := hubv1.NewStatsServiceClient(env.DialAs(t, consumer))
	tests := []struct {
		name   string
		client hubv1.StatsServiceClient
		agency string
		code   codes.Code
	}{
		{"an agency, its own", h29, consumer, codes.OK},
		{"an agency, another's", h29, population.Code, codes.PermissionDenied},
		{"an agency, everyone's", h29, "", codes.PermissionDenied},
		{"the operator, everyone's", env.Stats, "", codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.QueryRecords(ctx, &hubv1.QueryRecordsRequest{Agency: tt.agency})
			wantCode(t, err, tt.code)
		})
	}
}
