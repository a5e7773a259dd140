// Package node is the SDK an agency system uses to join the hub: it
// connects to NATS, serves the agency's services as a NATS micro service
// (the protocol of nats.go's micro package: discovery, true per-endpoint
// stats and a queue group shared by every instance of the agency; see
// service.go for why it is not micro.AddService) and registers the agency
// with the hub.
//
//	n, _ := node.New(node.Config{Agency: agency, NATSURL: url, Hub: "127.0.0.1:9090"}, log)
//	n.Handle(&hubv1.Service{Code: "citizen-lookup"}, lookup)
//	err := n.Start(ctx)
//	defer n.Stop()
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultVersion         = "1.0.0"
	DefaultMaxConcurrent   = 1024
	DefaultRegisterTimeout = 30 * time.Second
)

// Config configures a Node. Zero values mean defaults.
type Config struct {
	// Agency is the agency this node serves: code, name and kind. Its
	// services are taken from the handlers.
	Agency *hubv1.Agency
	// NATSURL is the NATS server to join (required).
	NATSURL string
	// NATSOptions are extra connection options (credentials, TLS).
	NATSOptions []nats.Option
	// Conn, if set, is a NATS connection shared with other nodes of the
	// process (see Group); the node uses it instead of connecting, and
	// does not close it. NATSURL is then only informative.
	Conn *nats.Conn
	// HubConn, if set, is a gRPC connection to the hub shared with other
	// nodes; the node uses it to register and for Exchange, and does not
	// close it.
	HubConn *grpc.ClientConn
	// Hub is the hub's gRPC address to register with; empty skips
	// registration (the agency is then registered by someone else).
	Hub string
	// DialOptions are the gRPC options used to reach the hub; default is
	// plaintext, or TLS when TLS is set.
	DialOptions []grpc.DialOption
	// TLS is the node's identity towards the hub: TLS with this client
	// certificate (whose URI SAN names the agency, see hub/auth) and these
	// root CAs. For NATS, add nats.Secure(cfg) to NATSOptions.
	TLS *tls.Config
	// Grants are access grants to the agency's own services, stored with
	// the hub right after registering (the hub refuses grants for another
	// provider). Access is denied by default, so a provider that wants
	// callers from the start lists them here; grants already stored are
	// kept, and `ndxp grants` changes them later.
	Grants []*hubv1.AccessGrant
	// Version is the micro service version (SemVer).
	Version string
	// MaxConcurrent bounds the requests handled at once by this instance.
	MaxConcurrent int
	// RegisterTimeout bounds the retries of the registration at Start.
	RegisterTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.RegisterTimeout == 0 {
		c.RegisterTimeout = DefaultRegisterTimeout
	}
	if c.DialOptions == nil {
		creds := insecure.NewCredentials()
		if c.TLS != nil {
			creds = credentials.NewTLS(c.TLS)
		}
		c.DialOptions = []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	}
}

// Validate reports a configuration that cannot start.
func (c *Config) Validate() error {
	if c.NATSURL == "" && c.Conn == nil {
		return errors.New("node: NATSURL is required")
	}
	if c.Agency == nil {
		return errors.New("node: Agency is required")
	}
	return wire.ValidateAgencyCode(c.Agency.GetCode())
}

// Handler serves one service. It returns the response message, or an
// error: an *Error keeps its code, any other error is INTERNAL. ctx ends at
// the hub's deadline or when the node stops.
type Handler func(ctx context.Context, req *Request) (proto.Message, error)

type endpoint struct {
	svc *hubv1.Service
	h   Handler
}

// Node is one running instance of an agency. Handle must be called before
// Start; the other methods are safe for concurrent use.
type Node struct {
	cfg        Config
	log        *zap.Logger
	endpoints  []endpoint
	middleware []Middleware
	events     []eventSub
	evWG       sync.WaitGroup // the OnEvent subscriptions

	// mu guards closing against the dispatch of new requests, so that
	// none is added to wg once Stop waits on it.
	mu      sync.RWMutex
	closing bool
	nc      *nats.Conn
	ownNC   bool
	hubConn *grpc.ClientConn
	ownHub  bool
	svc     *service
	slots   chan struct{}
	wg      sync.WaitGroup
	ctx     context.Context
	stop    context.CancelFunc
}

// New returns a Node; nothing is connected until Start.
func New(cfg Config, log *zap.Logger) (*Node, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Node{cfg: cfg, log: log.With(zap.String("agency", cfg.Agency.GetCode()))}, nil
}

// Middleware wraps the handler of a service, e.g. to inject latency.
type Middleware func(svc *hubv1.Service, h Handler) Handler

// Use adds a middleware applied to every handler, the first added
// outermost. Like Handle, it must be called before Start.
func (n *Node) Use(m Middleware) { n.middleware = append(n.middleware, m) }

// Handle adds a service and its handler.
func (n *Node) Handle(svc *hubv1.Service, h Handler) {
	n.endpoints = append(n.endpoints, endpoint{svc: svc, h: h})
}

// Agency is the registration this node sends to the hub.
func (n *Node) Agency() *hubv1.Agency {
	a := proto.CloneOf(n.cfg.Agency)
	a.Services = nil
	for _, e := range n.endpoints {
		a.Services = append(a.Services, e.svc)
	}
	return a
}

// Start connects to NATS, serves the endpoints and registers with the hub.
func (n *Node) Start(ctx context.Context) error {
	a := n.Agency()
	if err := wire.ValidateAgency(a); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if err := n.connect(a.GetCode()); err != nil {
		return err
	}
	n.slots = make(chan struct{}, n.cfg.MaxConcurrent)
	n.ctx, n.stop = context.WithCancel(context.Background())
	if err := n.serve(a); err != nil {
		_ = n.Stop()
		return err
	}
	// The server must have the subscriptions before the hub routes to
	// them: a flush round-trips after the SUBs.
	if err := n.nc.FlushTimeout(n.cfg.RegisterTimeout); err != nil {
		_ = n.Stop()
		return fmt.Errorf("node %s: flush subscriptions: %w", a.GetCode(), err)
	}
	if n.hubConn != nil {
		if err := n.register(ctx, a); err != nil {
			_ = n.Stop()
			return err
		}
	}
	if len(n.events) > 0 && n.hubConn == nil {
		n.log.Warn("no hub: the node's event subscriptions are not opened", zap.Int("subscriptions", len(n.events)))
		n.events = nil
	}
	for _, s := range n.events {
		n.evWG.Add(1)
		go n.listen(s)
	}
	n.log.Debug("agency node started", zap.Int("services", len(a.GetServices())))
	return nil
}

func (n *Node) serve(a *hubv1.Agency) error {
	svc, err := newService(n.nc, serviceConfig{
		Name:        wire.ServiceName(a.GetCode()),
		Version:     n.cfg.Version,
		Description: a.GetName(),
		Metadata:    map[string]string{"agency": a.GetCode(), "kind": a.GetKind().String()},
	})
	if err != nil {
		return fmt.Errorf("node %s: add micro service: %w", a.GetCode(), err)
	}
	n.svc = svc
	for _, e := range n.endpoints {
		for i := len(n.middleware) - 1; i >= 0; i-- {
			e.h = n.middleware[i](e.svc, e.h)
		}
		subject, err := wire.ServiceSubject(a.GetCode(), e.svc.GetCode())
		if err != nil {
			return err
		}
		if err := svc.AddEndpoint(e.svc.GetCode(), subject,
			map[string]string{"request_type": e.svc.GetRequestType(), "response_type": e.svc.GetResponseType()}, n.dispatch(e)); err != nil {
			return fmt.Errorf("node %s: add endpoint %s: %w", a.GetCode(), e.svc.GetCode(), err)
		}
	}
	return nil
}

// connect opens (or adopts the shared) NATS and hub connections.
func (n *Node) connect(code string) error {
	n.nc, n.ownNC = n.cfg.Conn, false
	if n.nc == nil {
		opts := append([]nats.Option{nats.Name("ndxp-node-" + code), nats.MaxReconnects(-1)}, n.cfg.NATSOptions...)
		nc, err := nats.Connect(n.cfg.NATSURL, opts...)
		if err != nil {
			return fmt.Errorf("node %s: connect to NATS at %s: %w", code, n.cfg.NATSURL, err)
		}
		n.nc, n.ownNC = nc, true
	}
	n.hubConn, n.ownHub = n.cfg.HubConn, false
	if n.hubConn == nil && n.cfg.Hub != "" {
		conn, err := grpc.NewClient(n.cfg.Hub, n.cfg.DialOptions...)
		if err != nil {
			if n.ownNC {
				n.nc.Close()
			}
			return fmt.Errorf("node %s: hub address %q: %w", code, n.cfg.Hub, err)
		}
		n.hubConn, n.ownHub = conn, true
	}
	return nil
}

// register tells the hub about the agency, retrying until RegisterTimeout
// so that a node may start before the hub.
func (n *Node) register(ctx context.Context, a *hubv1.Agency) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RegisterTimeout)
	defer cancel()
	client := hubv1.NewRegistryServiceClient(n.hubConn)
	var err error
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		_, err = client.RegisterAgency(ctx, &hubv1.RegisterAgencyRequest{Agency: a}, grpc.WaitForReady(true))
		if err == nil {
			return n.grant(ctx, n.hubConn)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s: register with the hub at %s: %w", a.GetCode(), n.hubConn.Target(), err)
		case <-time.After(wait):
		}
	}
}

// grant stores Config.Grants.
func (n *Node) grant(ctx context.Context, conn *grpc.ClientConn) error {
	client := hubv1.NewAccessServiceClient(conn)
	for _, g := range n.cfg.Grants {
		if _, err := client.Grant(ctx, &hubv1.GrantRequest{Grant: g}); err != nil {
			return fmt.Errorf("node %s: grant %s/%s: %w", n.cfg.Agency.GetCode(), g.GetProvider(), g.GetService(), err)
		}
	}
	return nil
}

// Stop stops taking requests, waits for those in progress and closes the
// connections the node opened itself. Requests that still arrive while
// the subscriptions drain are answered UNAVAILABLE.
func (n *Node) Stop() error {
	n.mu.Lock()
	done := n.nc == nil || n.closing
	n.closing = true
	n.mu.Unlock()
	if done {
		return nil
	}
	var err error
	if n.svc != nil {
		err = n.svc.Stop()
		// A round trip after the UNSUBs: once Stop returns, the server
		// routes no more requests here, so the hub sees no responders at
		// once instead of waiting for its deadline.
		if !n.nc.IsClosed() {
			_ = n.nc.FlushTimeout(5 * time.Second)
		}
	}
	n.wg.Wait()
	if n.stop != nil {
		n.stop()
	}
	n.evWG.Wait()
	if n.ownNC {
		n.nc.Close()
	}
	if n.ownHub {
		_ = n.hubConn.Close()
	}
	return err
}
