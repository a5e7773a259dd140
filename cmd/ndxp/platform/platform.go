// Package platform assembles a running ndxp: NATS (embedded or external),
// the hub with its gRPC and HTTP servers, and simulated agency nodes. `ndxp
// up`, `ndxp hub` and the test harness all start the system through it.
package platform

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/grpcapi"
	"github.com/ndxp/ndxp/hub/httpapi"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultGRPCAddr = "127.0.0.1:9090"
	DefaultHTTPAddr = "127.0.0.1:8080"
	DefaultNATSAddr = "127.0.0.1:4222"
	// DefaultRESTAddr is where `ndxp up` and `ndxp hub` serve the REST
	// ingress (hub/restapi).
	DefaultRESTAddr = "127.0.0.1:8443"
	// DefaultShutdownTimeout is how long in-flight calls get at shutdown.
	DefaultShutdownTimeout = 10 * time.Second
)

// Config configures a Platform. Zero values mean defaults.
type Config struct {
	// NATSURL is an external NATS server (or cluster: comma-separated
	// URLs); empty runs an embedded one. In secure mode the hub offers its
	// certificate (or NATSTLS's) when the server asks for TLS.
	NATSURL string
	// NATSTLS overrides the files the hub connects to an external NATS
	// with (default: the CA and the hub's certificate of CertDir).
	NATSTLS NATSTLS
	// NATSAddr is where the embedded NATS listens ("host:port"; port -1
	// picks a free one).
	NATSAddr string
	// NATSMonitor, when set, serves the embedded NATS's monitoring
	// endpoints (/varz, /jsz, /healthz, … for prometheus-nats-exporter)
	// on this "host:port".
	NATSMonitor string
	// DataDir holds the embedded NATS's JetStream data (default: the user
	// cache folder's ndxp directory). With an embedded NATS the platform
	// holds its lock (LockFile) until Shutdown: Start fails at once with
	// ErrDataDirInUse while another platform runs on it.
	DataDir string
	// GRPCAddr and HTTPAddr are the hub's listen addresses (port 0 picks a
	// free one).
	GRPCAddr string
	HTTPAddr string
	// RESTAddr is where the REST ingress listens: HTTPS with the same
	// client certificates as gRPC, plain HTTP in insecure mode (port 0
	// picks a free one; empty: no REST ingress).
	RESTAddr string
	// Hub configures the hub.
	Hub hub.Config
	// Agencies are the simulated agency nodes to start in this process
	// once the hub is up.
	Agencies []Agency
	// Insecure runs without TLS and identities (see security.go); the
	// default is secure, with certificates in CertDir.
	Insecure bool
	// CertDir holds the development certificates, created on first start
	// (default: <DataDir>/certs).
	CertDir string
	// Grants are stored on the first start (when no grant exists yet),
	// e.g. DefaultGrants of a topology.
	Grants []*hubv1.AccessGrant
	// CertAgencies are agency codes to issue certificates for, beyond the
	// built-in topology's and the agencies started here.
	CertAgencies []string
}

// Agency is something that runs as agency nodes beside the hub: it starts
// against the given NATS URL and hub address and stops with the platform.
type Agency interface {
	Start(ctx context.Context, natsURL, hubAddr string) error
	Stop() error
}

func (c *Config) setDefaults() error {
	if c.NATSMonitor != "" && c.NATSURL != "" {
		return errors.New("platform: --nats-monitor is for the embedded NATS; an external server has its own monitoring port (ndxp nats-config --monitor)")
	}
	if c.NATSAddr == "" {
		c.NATSAddr = DefaultNATSAddr
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = DefaultGRPCAddr
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.DataDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		c.DataDir = filepath.Join(dir, "ndxp")
	}
	return nil
}

// Platform is a running system. Shutdown stops it.
type Platform struct {
	cfg      Config
	log      *zap.Logger
	nats     *server.Server // nil with an external NATS
	natsURL  string
	nc       *nats.Conn
	hub      *hub.Hub
	grpc     *grpcapi.Server
	grpcLis  net.Listener
	http     *http.Server
	httpLis  net.Listener
	rest     *http.Server
	restLis  net.Listener
	started  []Agency
	sec      security
	natsTLS  bool         // NATS is reached over TLS with certificates: agencies use theirs
	lock     *flock.Flock // the data dir's, with an embedded NATS
	Registry *prometheus.Registry

	// up is set when Start has started every agency: until then /readyz
	// answers 503, so that a script that waits for it (then replays a
	// day) never meets a hub without its agencies and grants.
	up atomic.Bool
}

// Start brings the system up in order: NATS, the hub, its servers, then
// the agencies. On error everything started is stopped again.
func Start(ctx context.Context, cfg Config, log *zap.Logger) (_ *Platform, err error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Platform{cfg: cfg, log: log, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
			defer cancel()
			_ = p.Shutdown(sctx)
		}
	}()
	// Before anything writes into the data dir (certificates, JetStream).
	if cfg.NATSURL == "" {
		if p.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if err := p.setupSecurity(); err != nil {
		return nil, err
	}
	if err := p.startNATS(); err != nil {
		return nil, err
	}
	if err := p.startHub(ctx); err != nil {
		return nil, err
	}
	if err := p.seedGrants(ctx); err != nil {
		return nil, err
	}
	for _, a := range cfg.Agencies {
		p.secureAgency(a)
		if err := a.Start(ctx, p.natsURL, p.GRPCAddr()); err != nil {
			return nil, err
		}
		p.started = append(p.started, a)
	}
	p.up.Store(true)
	return p, nil
}

func (p *Platform) startNATS() error {
	p.natsURL = p.cfg.NATSURL
	if p.natsURL == "" {
		host, port, err := splitHostPort(p.cfg.NATSAddr)
		if err != nil {
			return fmt.Errorf("platform: NATS listen address: %w", err)
		}
		ncfg := p.sec.natsServer
		ncfg.Host, ncfg.Port, ncfg.StoreDir = host, port, filepath.Join(p.cfg.DataDir, "jetstream")
		ncfg.Monitor = p.cfg.NATSMonitor
		s, err := natsembed.Start(ncfg, p.log)
		if err != nil {
			return err
		}
		p.nats = s
		p.natsURL = s.ClientURL()
	}
	base := []nats.Option{nats.Name("ndxp-hub"), nats.MaxReconnects(-1)}
	if p.nats != nil {
		return p.connectInProcess(base)
	}
	nc, err := nats.Connect(p.natsURL, append(base, p.sec.natsOpts...)...)
	if errors.Is(err, nats.ErrSecureConnWanted) && p.nats == nil && !strings.Contains(p.natsURL, "tls://") {
		// A plaintext external NATS (development): connect, but say so.
		p.log.Warn("the external NATS does not offer TLS: NATS traffic is unencrypted and agencies are not held to their subjects; run it with the configuration of \"ndxp nats-config\"", zap.String("nats", p.natsURL))
		nc, err = nats.Connect(p.natsURL, base...)
	}
	if err != nil {
		return fmt.Errorf("platform: connect to NATS at %s: %w (%s)", p.natsURL, err, natsHint(err, p.sec.certs))
	}
	p.nc = nc
	_, tlsErr := nc.TLSConnectionState()
	p.natsTLS = p.sec.certs != "" && tlsErr == nil
	return nil
}

// connectInProcess connects the hub to its embedded server through a
// pipe inside the process rather than TCP and TLS on loopback: every
// exchange makes two NATS round trips (the request to the provider, the
// record), and TLS and the system calls of both ends were an eighth of
// the process's CPU. In secure mode the hub presents its in-process
// identity (security.hubInProcess); agencies and the operator still
// connect over TLS with their certificates.
func (p *Platform) connectInProcess(base []nats.Option) error {
	opts := append(base, nats.InProcessServer(p.nats))
	if id := p.sec.hubInProcess; id != nil {
		opts = append(base, id.Options(p.nats)...)
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return fmt.Errorf("platform: connect in process to the embedded NATS: %w", err)
	}
	p.nc = nc
	// The server requires TLS client certificates of everyone else.
	p.natsTLS = p.sec.certs != ""
	return nil
}

func (p *Platform) startHub(ctx context.Context) error {
	h, err := p.newHub(ctx)
	if err != nil {
		return err
	}
	p.hub = h
	p.grpc = grpcapi.NewServer(h, p.log.Named("grpc"), p.sec.grpcOpts...)
	p.Registry.MustRegister(append(h.Collectors(), p.grpc.Metrics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))...)
	if p.grpcLis, err = net.Listen("tcp", p.cfg.GRPCAddr); err != nil {
		return fmt.Errorf("platform: gRPC listen on %s: %w (choose another with --grpc-addr)", p.cfg.GRPCAddr, err)
	}
	if p.httpLis, err = net.Listen("tcp", p.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("platform: HTTP listen on %s: %w (choose another with --http-addr)", p.cfg.HTTPAddr, err)
	}
	p.http = &http.Server{Handler: p.guardHTTP(p.readyWhenUp(httpapi.Handler(h, p.Registry))), ReadHeaderTimeout: 10 * time.Second}
	go p.serve("grpc", func() error { return p.grpc.Serve(p.grpcLis) })
	go p.serve("http", func() error { return p.http.Serve(p.httpLis) })
	return p.startREST()
}

// readyWhenUp answers /readyz with 503 until Start has started every
// agency (and stored the default grants); then the hub's own readiness
// (its NATS connection) answers.
func (p *Platform) readyWhenUp(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && !p.up.Load() {
			http.Error(w, "starting: the agencies and the default grants are not all in place yet; try again in a moment", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// settingUp reports whether err, from setting up the hub's streams and
// buckets, may pass by itself: NATS did not answer in time, or a cluster
// that has just formed has not placed a stream's replicas or started its
// replicas yet ("no suitable peers for placement, peer offline"; "JetStream
// system temporarily unavailable"; no responders to a read).
func settingUp(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jsClusterNoPeers, jsClusterNotAvailable:
			return true
		}
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders)
}

// JetStream error codes of a cluster not ready yet (nats-server's
// JSClusterNoPeersErrF and JSClusterNotAvailErr).
const (
	jsClusterNoPeers      jetstream.ErrorCode = 10005
	jsClusterNotAvailable jetstream.ErrorCode = 10008
)

// hubAttempts bounds how often newHub asks NATS to set up the streams
// and buckets.
const hubAttempts = 3

// newHub opens the hub's streams and buckets. Two hubs creating the same
// replicated stream at the same moment on a NATS cluster can both go
// unanswered until their deadline, although the stream is created; they
// would then fail together again at the next one. So the next attempt
// starts after a random pause of up to hubRetryJitter: the hub ahead
// creates what is left, the other finds it.
func (p *Platform) newHub(ctx context.Context) (*hub.Hub, error) {
	for attempt := 1; ; attempt++ {
		h, err := hub.New(ctx, p.nc, p.cfg.Hub, p.log.Named("hub"))
		if err == nil || attempt == hubAttempts || ctx.Err() != nil || !settingUp(err) {
			return h, err
		}
		pause := rand.N(hubRetryJitter)
		p.log.Warn("NATS did not answer, or its cluster was not ready, while the hub set up its streams and buckets (another hub creating them at the same moment, or a cluster just formed?); trying again",
			zap.Int("attempt", attempt), zap.Duration("after", pause), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// hubRetryJitter bounds newHub's pause between attempts.
const hubRetryJitter = 5 * time.Second

func (p *Platform) serve(name string, run func() error) {
	if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		p.log.Error("server stopped", zap.String("server", name), zap.Error(err))
	}
}

// Hub is the running hub.
func (p *Platform) Hub() *hub.Hub { return p.hub }

// NATSURL is the NATS server everything connects to.
func (p *Platform) NATSURL() string { return p.natsURL }

// NATSMonitorAddr is where the embedded NATS serves its monitoring
// endpoints, "" without Config.NATSMonitor or with an external NATS.
func (p *Platform) NATSMonitorAddr() string {
	if p.nats == nil {
		return ""
	}
	if a := p.nats.MonitorAddr(); a != nil {
		return a.String()
	}
	return ""
}

// GRPCAddr is where the hub's gRPC server listens.
func (p *Platform) GRPCAddr() string { return p.grpcLis.Addr().String() }

// HTTPAddr is where the hub's HTTP server listens.
func (p *Platform) HTTPAddr() string { return p.httpLis.Addr().String() }

// DataDir is where the embedded NATS keeps its data.
func (p *Platform) DataDir() string { return p.cfg.DataDir }

// Embedded reports whether NATS runs inside this process.
func (p *Platform) Embedded() bool { return p.nats != nil }

// Shutdown stops the system in reverse order, letting in-flight calls
// finish until ctx ends: the gRPC server (health goes NOT_SERVING first),
// the HTTP server, the REST ingress, the agencies, the hub, the NATS connection (drained),
// the embedded NATS server, and the data dir's lock.
func (p *Platform) Shutdown(ctx context.Context) error {
	var errs []error
	if p.grpc != nil {
		errs = append(errs, p.grpc.Shutdown(ctx))
	}
	if p.http != nil {
		errs = append(errs, p.http.Shutdown(ctx))
	}
	if p.rest != nil {
		errs = append(errs, p.rest.Shutdown(ctx))
	}
	for i := len(p.started) - 1; i >= 0; i-- {
		errs = append(errs, p.started[i].Stop())
	}
	if p.hub != nil {
		p.hub.Close()
	}
	if p.nc != nil {
		errs = append(errs, drain(ctx, p.nc))
	}
	if p.nats != nil {
		p.nats.Shutdown()
		p.nats.WaitForShutdown()
	}
	errs = append(errs, unlockDataDir(p.lock))
	p.lock = nil
	return errors.Join(errs...)
}

// natsHint says what to do when the hub cannot connect to NATS.
func natsHint(err error, certs pki.Dir) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority") || strings.Contains(msg, "failed to verify certificate"):
		return "the NATS server's certificate is not from the hub's CA: give the CA that issued it with --nats-ca, or issue the servers' certificate with \"ndxp certs --host\""
	case errors.Is(err, nats.ErrAuthorization) || strings.Contains(msg, "tls: "):
		return "NATS refused the hub's certificate: run the servers with the configuration \"ndxp nats-config\" writes from the same certificates (" + string(certs) + "), or give --nats-cert/--nats-key"
	case errors.Is(err, nats.ErrSecureConnRequired):
		return "NATS requires TLS and the hub runs --insecure: drop --insecure"
	}
	return "is it running? without --nats-url ndxp starts its own"
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("port %q is not a number", port)
	}
	return host, n, nil
}

// drain drains nc and waits until it is closed or ctx ends.
func drain(ctx context.Context, nc *nats.Conn) error {
	if err := nc.Drain(); err != nil {
		nc.Close()
		return err
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
