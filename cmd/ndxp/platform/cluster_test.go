package platform_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/natsembed"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// startCluster starts n NATS servers with JetStream clustered on
// 127.0.0.1 and waits until JetStream has a leader.
func startCluster(t *testing.T, n int) []*server.Server {
	t.Helper()
	// JetStream clustering needs every server to know the routes up front.
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
		_ = l.Close()
	}
	var servers []*server.Server
	for i := range n {
		s, err := natsembed.Start(natsembed.Config{
			Port: -1, StoreDir: t.TempDir(), ServerName: fmt.Sprintf("n%d", i+1),
			Cluster: natsembed.Cluster{Name: "ndxp-test", Port: ports[i], Routes: routes},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		servers = append(servers, s)
	}
	// Placement of replicated assets needs the meta leader to know every
	// peer as online, with stats.
	hubtest.Eventually(t, 60*time.Second, func() error {
		for _, s := range servers {
			if s.JetStreamIsLeader() {
				if peers := s.JetStreamClusterPeers(); len(peers) != n {
					return fmt.Errorf("meta leader %s sees peers %v", s.Name(), peers)
				}
				return nil
			}
		}
		return fmt.Errorf("no JetStream meta leader yet")
	})
	return servers
}

// TestTwoHubsOnACluster runs two hubs on different servers of a three-node
// NATS cluster, with the registry and the records replicated three times,
// and the population database on the third server.
func TestTwoHubsOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	servers := startCluster(t, 3)
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	hubCfg := hub.Config{Replicas: 3}
	start := func(i int, agencies ...platform.Agency) *platform.Platform {
		cfg := hubCfg
		cfg.ID = fmt.Sprintf("hub-%d", i)
		var p *platform.Platform
		// Creating replicated assets waits on Raft elections, which a busy
		// machine can stretch past the API timeout: try again then.
		for attempt := 1; ; attempt++ {
			var err error
			p, err = platform.Start(context.Background(), platform.Config{
				NATSURL: servers[i].ClientURL(), GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Hub: cfg, Agencies: agencies,
				Insecure: true, // this test is about clustering; security is tested in security_test.go
			}, log)
			if err == nil {
				break
			}
			if attempt == 3 {
				t.Fatalf("hub %d: %v", i, err)
			}
			t.Logf("hub %d, attempt %d: %v", i, attempt, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = p.Shutdown(ctx)
		})
		return p
	}
	a, b := start(0), start(1)
	pop := &node.Group{Services: []node.Service{population.New(population.Config{Seed: 1})}, Log: log}
	if err := pop.Start(context.Background(), servers[2].ClientURL(), b.GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pop.Stop() })

	payload, _ := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: "001194053383"})
	day := timestamppb.New(time.Date(2023, 5, 10, 3, 0, 0, 0, time.UTC))
	clients := []hubv1.ExchangeServiceClient{
		hubv1.NewExchangeServiceClient(hubtest.Dial(t, a.GRPCAddr())),
		hubv1.NewExchangeServiceClient(hubtest.Dial(t, b.GRPCAddr())),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 20
	// Hub a learns of the registration made through hub b by its watch.
	// Wait for it rather than retrying exchanges: a failed attempt would be
	// counted too.
	hubtest.Eventually(t, 30*time.Second, func() error {
		_, err := hubv1.NewRegistryServiceClient(hubtest.Dial(t, a.GRPCAddr())).GetAgency(ctx, &hubv1.GetAgencyRequest{Code: population.Code})
		return err
	})
	for i := range n {
		req := &hubv1.ExchangeRequest{MessageId: fmt.Sprint("c-", i), Consumer: "000.00.00.H29", Provider: population.Code,
			Service: population.ServiceLookup, Payload: payload, BusinessTime: day}
		if _, err := clients[i%2].Exchange(ctx, req); err != nil {
			t.Fatalf("exchange %d through hub %d: %v", i, i%2, err)
		}
	}
	for i, p := range []*platform.Platform{a, b} {
		st, err := p.Hub().Stats(ctx, "2023-05-10", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.GetCount().GetSucceeded(); got != n {
			t.Errorf("hub %d counts %d, want %d", i, got, n)
		}
	}
}
