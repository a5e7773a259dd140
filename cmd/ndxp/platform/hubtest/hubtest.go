// Package hubtest starts a real ndxp in process for tests: NATS with
// JetStream on a random port (data in t.TempDir), the hub on random gRPC and
// HTTP ports, and simulated agencies, all torn down by t.Cleanup.
//
//	env := hubtest.Start(t)
//	resp, err := env.Exchange.Exchange(ctx, req)
package hubtest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Env is a running system and clients for it.
type Env struct {
	*platform.Platform
	// Conn is a gRPC connection to the hub.
	Conn *grpc.ClientConn
	// Registry, Exchange and Stats are clients of the hub's services.
	Registry hubv1.RegistryServiceClient
	Exchange hubv1.ExchangeServiceClient
	Stats    hubv1.StatsServiceClient
	// Access is a client of the access service (the operator's WithSecurity).
	Access hubv1.AccessServiceClient
	// Population is the simulated population database, if started.
	Population *population.Simulator
	// Simulators are the simulators of the topology given WithTopology,
	// nil without one.
	Simulators *simulators.Set
}

type options struct {
	natsURL    string
	dataDir    string
	agencies   []platform.Agency
	population bool
	hub        hub.Config
	logLevel   zap.AtomicLevel
	secure     bool
	certDir    string
	grants     []*hubv1.AccessGrant
	topology   *topology.Topology
	simulators simulators.Config
}

// Option changes what Start starts.
type Option func(*options)

// WithNATSURL uses an existing NATS server instead of starting one.
func WithNATSURL(url string) Option { return func(o *options) { o.natsURL = url } }

// WithoutPopulation does not start the population database simulator.
func WithoutPopulation() Option { return func(o *options) { o.population = false } }

// WithAgencies starts more agencies beside the hub.
func WithAgencies(a ...platform.Agency) Option {
	return func(o *options) { o.agencies = append(o.agencies, a...) }
}

// WithSecurity runs the secure mode of `ndxp up`: development certificates
// in the test's data dir, gRPC over TLS with client certificates, grants
// enforced, and the embedded NATS with TLS and per-agency permissions.
// Env.Conn is then the operator's connection; DialAs connects as an agency.
// Without it the system is insecure and permissive, as tests expect by
// default.
func WithSecurity() Option { return func(o *options) { o.secure = true } }

// WithCertDir uses (and completes) the certificates in dir, e.g. those an
// external NATS was configured with; with WithSecurity.
func WithCertDir(dir string) Option { return func(o *options) { o.certDir = dir } }

// WithGrants stores grants at start (they matter WithSecurity, where
// grants are enforced).
func WithGrants(g ...*hubv1.AccessGrant) Option {
	return func(o *options) { o.grants = append(o.grants, g...) }
}

// WithTopology starts every agency of t as simulated nodes (see package
// simulators), e.g. a Filter of the built-in one; the population database
// of t, if any, replaces the default one. Without it only the population
// database runs, which keeps most tests fast.
func WithTopology(t *topology.Topology) Option { return func(o *options) { o.topology = t } }

// WithSimulators configures the simulators WithTopology builds (seed,
// behaviour overrides).
func WithSimulators(cfg simulators.Config) Option { return func(o *options) { o.simulators = cfg } }

// WithHubConfig sets the hub's configuration.
func WithHubConfig(cfg hub.Config) Option { return func(o *options) { o.hub = cfg } }

// WithLogLevel sets the level of the test logger (default warn).
func WithLogLevel(l zap.AtomicLevel) Option { return func(o *options) { o.logLevel = l } }

// Start starts the system and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{population: true, logLevel: zap.NewAtomicLevelAt(zap.WarnLevel)}
	for _, opt := range opts {
		opt(&o)
	}
	log := zaptest.NewLogger(t, zaptest.Level(o.logLevel))
	env := &Env{}
	agencies := o.agencies
	if o.topology != nil {
		set, err := simulators.Build(o.topology, o.simulators)
		if err != nil {
			t.Fatalf("hubtest: topology: %v", err)
		}
		env.Simulators, env.Population = set, set.Population
		o.population = o.population && set.Population == nil
		agencies = append([]platform.Agency{&node.Group{Services: set.Services, Log: log}}, agencies...)
	}
	if o.population {
		env.Population = population.New(population.Config{Seed: 1})
		agencies = append([]platform.Agency{&node.Group{Services: []node.Service{env.Population}, Log: log}}, agencies...)
	}
	p, err := platform.Start(context.Background(), platform.Config{
		NATSURL: o.natsURL, NATSAddr: "127.0.0.1:-1", DataDir: t.TempDir(),
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RESTAddr: "127.0.0.1:0", Hub: o.hub, Agencies: agencies,
		Insecure: !o.secure, Grants: o.grants, CertDir: o.certDir,
	}, log)
	if err != nil {
		t.Fatalf("hubtest: start: %v", err)
	}
	env.Platform = p
	t.Cleanup(func() { env.Stop(t) })
	if o.secure {
		env.Conn = env.DialAs(t, pki.Operator)
	} else {
		env.Conn = Dial(t, p.GRPCAddr())
	}
	env.Registry = hubv1.NewRegistryServiceClient(env.Conn)
	env.Exchange = hubv1.NewExchangeServiceClient(env.Conn)
	env.Stats = hubv1.NewStatsServiceClient(env.Conn)
	env.Access = hubv1.NewAccessServiceClient(env.Conn)
	return env
}

// Stop shuts the system down now; Start's cleanup then does nothing more.
func (e *Env) Stop(t testing.TB) {
	if e.Platform == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Errorf("hubtest: shutdown: %v", err)
	}
	e.Platform = nil
}

// Dial opens a plaintext gRPC connection closed when the test ends.
func Dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("hubtest: dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// DialAs opens a TLS gRPC connection with the certificate of name (an
// agency code or pki.Operator), closed when the test ends. It needs
// WithSecurity.
func (e *Env) DialAs(t testing.TB, name string) *grpc.ClientConn {
	t.Helper()
	creds, err := e.Certs().Credentials(name)
	if err != nil {
		t.Fatalf("hubtest: credentials of %s: %v", name, err)
	}
	conn, err := grpc.NewClient(e.GRPCAddr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatalf("hubtest: dial %s: %v", e.GRPCAddr(), err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// StartNATS starts a NATS server with JetStream on a random port, for tests
// that need NATS to outlive a hub, and shuts it down when the test ends.
func StartNATS(t testing.TB) *server.Server {
	t.Helper()
	s, err := natsembed.Start(natsembed.Config{Port: -1, StoreDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatalf("hubtest: start NATS: %v", err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// JetStream connects to the NATS at url with opts, for tests that inspect
// or write streams directly; the connection is closed when the test ends.
func JetStream(t testing.TB, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("hubtest: connect to NATS at %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("hubtest: JetStream at %s: %v", url, err)
	}
	return js
}

// Eventually polls f until it returns nil, failing the test with f's last
// error after timeout. Use it instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hubtest: still failing after %s: %v", timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
