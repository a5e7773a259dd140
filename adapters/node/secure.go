package node

import (
	"github.com/nats-io/nats.go"

	"github.com/ndxp/ndxp/internal/pki"
)

// Codes are the agency codes of the group's services.
func (g *Group) Codes() []string {
	out := make([]string, 0, len(g.Services))
	for _, s := range g.Services {
		out = append(out, s.Agency().GetCode())
	}
	return out
}

// UseCerts makes every node of the group use its agency's certificate from
// dir towards the hub, and towards NATS too when natsTLS is set. Call it
// before Start.
func (g *Group) UseCerts(dir pki.Dir, natsTLS bool) {
	g.certs, g.natsTLS = dir, natsTLS
}

// secure adds the agency's certificate to cfg.
func (g *Group) secure(cfg *Config) error {
	if g.certs == "" {
		return nil
	}
	t, err := g.certs.ClientTLS(cfg.Agency.GetCode())
	if err != nil {
		return err
	}
	cfg.TLS = t
	if g.natsTLS {
		cfg.NATSOptions = append(append([]nats.Option(nil), cfg.NATSOptions...), nats.Secure(t))
	}
	return nil
}
