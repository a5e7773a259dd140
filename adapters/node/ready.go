package node

import (
	"errors"
	"fmt"
)

// ErrNotStarted: the group has no node running (not started yet, or
// stopped).
var ErrNotStarted = errors.New("node group: no node running")

// Ready reports whether every node of the group can serve: started, with
// its NATS connection up. It names the first node that cannot. A
// readiness probe (ndxp agency --http-addr, /readyz) asks it.
func (g *Group) Ready() error {
	g.mu.Lock()
	nodes := g.nodes
	g.mu.Unlock()
	if len(nodes) == 0 {
		return ErrNotStarted
	}
	for _, n := range nodes {
		if err := n.Ready(); err != nil {
			return err
		}
	}
	return nil
}

// Ready reports whether the node is started and connected to NATS.
func (n *Node) Ready() error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	code := n.cfg.Agency.GetCode()
	switch {
	case n.closing:
		return fmt.Errorf("node %s: stopping", code)
	case n.nc == nil:
		return fmt.Errorf("node %s: not started", code)
	case !n.nc.IsConnected():
		return fmt.Errorf("node %s: NATS connection %s", code, n.nc.Status())
	}
	return nil
}
