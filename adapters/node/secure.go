package node

import (
	"github.com/nats-io/nats.go"

	"github.com/ndxp/ndxp/internal/pki"
)

// CertAgencies are the group's agencies, to issue certificates for.
func (g *Group) CertAgencies() []pki.Agency {
	out := make([]pki.Agency, 0, len(g.Services))
	for _, s := range g.Services {
		out = append(out, pki.Agency{Code: s.Agency().GetCode(), Kind: s.Agency().GetKind()})
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
