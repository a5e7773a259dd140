// Package natsembed runs a NATS server with JetStream inside the process,
// for `ndxp up` and for tests.
package natsembed

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Defaults for Config. JetStream limits are explicit so that they are never
// sized from the host.
const (
	DefaultHost         = "127.0.0.1"
	DefaultPort         = 4222
	DefaultMaxMemory    = 256 << 20 // 256 MiB
	DefaultMaxStore     = 8 << 30   // 8 GiB
	DefaultReadyTimeout = 10 * time.Second
)

// Config configures an embedded server. The zero value of a field means its
// default; Port -1 picks a random free port.
type Config struct {
	// Host is the address to listen on.
	Host string
	// Port is the client port; 0 means DefaultPort, -1 a random one.
	Port int
	// StoreDir is where JetStream keeps its data (required).
	StoreDir string
	// MaxMemory and MaxStore cap JetStream's memory and file storage.
	MaxMemory int64
	MaxStore  int64
	// ServerName names the server in logs and cluster views; every server
	// of a cluster needs its own.
	ServerName string
	// TLS, when set, makes the server require TLS and a client certificate
	// verified against TLS.ClientCAs, and map each certificate to one of
	// Users by its URI SAN (nats-server's verify_and_map): see
	// HubUser and AgencyUser. Nil: plaintext, no authentication.
	TLS *tls.Config
	// Users are the users TLS certificates map to, with their permissions.
	Users []*server.User
	// InProcess are identities admitted only on in-process connections
	// (Server.InProcessConn): the hub's, when it runs in the same process
	// (see InProcessUser). Used only with TLS: without it the server
	// authenticates no one.
	InProcess []*InProcessUser
	// Cluster, when its Name is set, joins this server to a NATS cluster
	// (JetStream clustered: streams and buckets may then have replicas).
	Cluster Cluster
	// Monitor, when set, serves the HTTP monitoring endpoints (/varz,
	// /jsz, /healthz, …, for prometheus-nats-exporter) on this
	// "host:port" (port -1: a free one; see Server.MonitorAddr).
	Monitor string
}

// Cluster configures clustering with other NATS servers.
type Cluster struct {
	// Name is the cluster's name, the same on every server.
	Name string
	// Host and Port are where this server listens for routes (Port -1
	// picks a free one).
	Host string
	Port int
	// Routes are other servers' route URLs, e.g. "nats://10.0.0.2:6222".
	Routes []string
}

func (c *Config) setDefaults() {
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.MaxStore == 0 {
		c.MaxStore = DefaultMaxStore
	}
	if c.ServerName == "" {
		c.ServerName = "ndxp-embedded"
	}
}

// Validate reports a configuration that cannot start.
func (c *Config) Validate() error {
	if c.StoreDir == "" {
		return errors.New("natsembed: StoreDir is required")
	}
	if c.MaxMemory < 0 || c.MaxStore < 0 {
		return errors.New("natsembed: JetStream limits must not be negative")
	}
	return nil
}

// Start starts a server and waits until it accepts connections. The caller
// owns the server and stops it with Shutdown.
func Start(cfg Config, log *zap.Logger) (*server.Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsembed: create store dir: %w", err)
	}
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		Host:               cfg.Host,
		Port:               cfg.Port,
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		NoSigs:             true,
		MaxPayload:         maxPayload,
	}
	if cfg.TLS != nil {
		secure(opts, cfg)
	}
	if err := cfg.Cluster.apply(opts); err != nil {
		return nil, err
	}
	if cfg.Monitor != "" {
		host, port, err := net.SplitHostPort(cfg.Monitor)
		if err != nil {
			return nil, fmt.Errorf("natsembed: monitoring address %q: %w", cfg.Monitor, err)
		}
		if opts.HTTPPort, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("natsembed: monitoring address %q: port %q is not a number", cfg.Monitor, port)
		}
		opts.HTTPHost = host
	}
	if err := portFree(cfg.Host, cfg.Port); err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	if log != nil {
		s.SetLoggerV2(newZapLogger(log), false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(DefaultReadyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("natsembed: server on %s:%d not ready after %s (is the port in use? choose another with --nats-listen)", cfg.Host, cfg.Port, DefaultReadyTimeout)
	}
	if err := importSystemRequests(s); err != nil {
		s.Shutdown()
		return nil, err
	}
	return s, nil
}

// zapLogger adapts zap to the nats-server logger interface.
type zapLogger struct{ s *zap.SugaredLogger }

// newZapLogger logs nats-server's messages to log, named "nats", without
// stack traces: they would only show nats-server's logging call.
func newZapLogger(log *zap.Logger) *zapLogger {
	return &zapLogger{log.Named("nats").WithOptions(zap.AddStacktrace(zapcore.FatalLevel)).Sugar()}
}

// clientConnPrefix starts the messages nats-server logs about one client
// connection ("127.0.0.1:52514 - cid:7 - ..."; wid for WebSocket, mid for
// MQTT), as opposed to routes, gateways, leaf nodes or the server itself.
var clientConnPrefix = regexp.MustCompile(`^\S+ - (?:cid|wid|mid(?:_ws)?):\d+ - `)

func (l *zapLogger) Noticef(format string, v ...any) { l.s.Debugf(format, v...) }
func (l *zapLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l *zapLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l *zapLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l *zapLogger) Tracef(format string, v ...any)  {}

// Errorf logs nats-server's errors. Those about one client connection (a
// permissions violation, a failed TLS handshake, a bad password, a
// protocol error, a dropped connection) are the client's mistake or
// misfortune, not the server's: they are warnings, so that an error in
// the log still means the platform needs attention.
func (l *zapLogger) Errorf(format string, v ...any) {
	if clientConnPrefix.MatchString(format) {
		l.s.Warnf(format, v...)
		return
	}
	l.s.Errorf(format, v...)
}

func (c Cluster) apply(opts *server.Options) error {
	if c.Name == "" {
		return nil
	}
	opts.Cluster = server.ClusterOpts{Name: c.Name, Host: c.Host, Port: c.Port}
	if opts.Cluster.Host == "" {
		opts.Cluster.Host = DefaultHost
	}
	for _, r := range c.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return fmt.Errorf("natsembed: route %q: %w", r, err)
		}
		opts.Routes = append(opts.Routes, u)
	}
	return nil
}

// portFree fails fast, with what to do, when the client port is taken:
// the server itself would only log it and never become ready.
func portFree(host string, port int) error {
	if port <= 0 {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("natsembed: cannot listen on %s:%d: %w (is another NATS or ndxp running? choose another port with --nats-listen, or use it with --nats-url)", host, port, err)
	}
	return l.Close()
}
