package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultGroupParallel is how many nodes a Group starts at once.
const DefaultGroupParallel = 32

// Service is an agency implementation that can run as a node: the
// simulators are Services, and so can be an integrator's own system.
type Service interface {
	// Agency is the registration (code, name, kind); services come from
	// Install.
	Agency() *hubv1.Agency
	// Install adds the agency's handlers to n.
	Install(n *Node)
}

// Group runs one node for each of several Services in this process. The
// nodes share one NATS connection and one gRPC connection to the hub, and
// start (and register) concurrently, so a whole topology of about a
// hundred nodes is up in well under a second. After UseCerts each node
// connects on its own instead, with its agency's certificate: on a secure
// platform an agency is its connection's identity.
type Group struct {
	// Services are the agencies to run.
	Services []Service
	// Template is the Config every node starts from; Agency, NATSURL, Hub,
	// Conn and HubConn are filled in per node.
	Template Config
	// Log is the logger nodes log to.
	Log *zap.Logger
	// Parallel bounds the nodes started at once (default
	// DefaultGroupParallel).
	Parallel int

	mu      sync.Mutex
	nodes   []*Node
	nc      *nats.Conn
	hubConn *grpc.ClientConn
	certs   pki.Dir // set by UseCerts: one identity, so one connection, per node
	natsTLS bool
	// natsConn, set by UseNATS, gives a node's NATS URL and identity
	// instead of its certificate.
	natsConn func(code string) (string, []nats.Option)
}

// Start starts every node against natsURL, registering with the hub at
// hubAddr. On error the nodes already started are stopped.
func (g *Group) Start(ctx context.Context, natsURL, hubAddr string) error {
	if g.certs == "" {
		if err := g.connect(natsURL, hubAddr); err != nil {
			return err
		}
	}
	par := g.Parallel
	if par <= 0 {
		par = DefaultGroupParallel
	}
	sem := make(chan struct{}, par)
	errs := make([]error, len(g.Services))
	var wg sync.WaitGroup
	for i, s := range g.Services {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = g.startOne(ctx, s, natsURL, hubAddr)
		}()
	}
	wg.Wait()
	if err := joinAlike(g.Services, errs); err != nil {
		return errors.Join(err, g.Stop())
	}
	return nil
}

// joinAlike joins the nodes' errors, once per cause: when NATS or the hub
// cannot be reached every node fails the same way, and a hundred copies
// of one message would hide it. Errors are alike when they read the same
// once the agency's code is taken out; the first stands for the others,
// which it counts. errors.Is and As see every error.
func joinAlike(services []Service, errs []error) error {
	type cause struct {
		first error
		all   []error
	}
	var order []string
	byMsg := map[string]*cause{}
	for i, err := range errs {
		if err == nil {
			continue
		}
		key := strings.ReplaceAll(err.Error(), services[i].Agency().GetCode(), "")
		c, ok := byMsg[key]
		if !ok {
			c = &cause{first: err}
			byMsg[key] = c
			order = append(order, key)
		}
		c.all = append(c.all, err)
	}
	var out []error
	for _, key := range order {
		c := byMsg[key]
		if len(c.all) == 1 {
			out = append(out, c.first)
			continue
		}
		out = append(out, &alikeError{msg: fmt.Sprintf("%v (and %d other nodes the same way)", c.first, len(c.all)-1), errs: c.all})
	}
	return errors.Join(out...)
}

// alikeError is one message standing for several alike errors.
type alikeError struct {
	msg  string
	errs []error
}

func (e *alikeError) Error() string   { return e.msg }
func (e *alikeError) Unwrap() []error { return e.errs }

func (g *Group) connect(natsURL, hubAddr string) error {
	opts := append([]nats.Option{nats.Name("ndxp-agencies"), nats.MaxReconnects(-1)}, g.Template.NATSOptions...)
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		return fmt.Errorf("node group: connect to NATS at %s: %w", natsURL, err)
	}
	g.nc = nc
	if hubAddr == "" {
		return nil
	}
	cfg := g.Template
	cfg.setDefaults()
	conn, err := grpc.NewClient(hubAddr, cfg.DialOptions...)
	if err != nil {
		nc.Close()
		return fmt.Errorf("node group: hub address %q: %w", hubAddr, err)
	}
	g.hubConn = conn
	return nil
}

func (g *Group) startOne(ctx context.Context, s Service, natsURL, hubAddr string) error {
	cfg := g.Template
	cfg.Agency, cfg.NATSURL, cfg.Conn, cfg.HubConn = s.Agency(), natsURL, g.nc, g.hubConn
	if g.certs != "" {
		// Each node is its own agency on NATS and towards the hub.
		cfg.Hub = hubAddr
		if err := g.secure(&cfg); err != nil {
			return err
		}
	}
	n, err := New(cfg, g.Log)
	if err != nil {
		return err
	}
	s.Install(n)
	if err := n.Start(ctx); err != nil {
		return err
	}
	g.mu.Lock()
	g.nodes = append(g.nodes, n)
	g.mu.Unlock()
	return nil
}

// Stop stops every node, waiting for the requests they are handling, then
// closes the shared connections.
func (g *Group) Stop() error {
	g.mu.Lock()
	nodes := g.nodes
	g.nodes = nil
	g.mu.Unlock()
	var errs []error
	for _, n := range nodes {
		errs = append(errs, n.Stop())
	}
	if g.hubConn != nil {
		errs = append(errs, g.hubConn.Close())
		g.hubConn = nil
	}
	if g.nc != nil {
		errs = append(errs, g.nc.Drain())
		g.nc = nil
	}
	return errors.Join(errs...)
}
