package node

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/ndxp/ndxp/internal/pki"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Service is an agency implementation that can run as a node: the
// simulators are Services, and so can be an integrator's own system.
type Service interface {
	// Agency is the registration (code, name, kind); services come from
	// Install.
	Agency() *hubv1.Agency
	// Install adds the agency's handlers to n.
	Install(n *Node)
}

// Group runs one node for each of several Services in this process.
type Group struct {
	// Services are the agencies to run.
	Services []Service
	// Template is the Config every node starts from; Agency, NATSURL and
	// Hub are filled in per node.
	Template Config
	// Log is the logger nodes log to.
	Log *zap.Logger

	nodes   []*Node
	certs   pki.Dir
	natsTLS bool
}

// Start starts every node against natsURL, registering with the hub at
// hubAddr. On error the nodes already started are stopped.
func (g *Group) Start(ctx context.Context, natsURL, hubAddr string) error {
	for _, s := range g.Services {
		cfg := g.Template
		cfg.Agency, cfg.NATSURL, cfg.Hub = s.Agency(), natsURL, hubAddr
		if err := g.secure(&cfg); err != nil {
			return errors.Join(err, g.Stop())
		}
		n, err := New(cfg, g.Log)
		if err != nil {
			return errors.Join(err, g.Stop())
		}
		s.Install(n)
		if err := n.Start(ctx); err != nil {
			return errors.Join(err, g.Stop())
		}
		g.nodes = append(g.nodes, n)
	}
	return nil
}

// Stop stops every node, waiting for the requests they are handling.
func (g *Group) Stop() error {
	var errs []error
	for _, n := range g.nodes {
		errs = append(errs, n.Stop())
	}
	g.nodes = nil
	return errors.Join(errs...)
}
