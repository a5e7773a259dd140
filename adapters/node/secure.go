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

// UseNATS makes a node of the group connect to NATS at the URL and with
// the options conn gives for its agency code, in place of its
// certificate and the group's URL (e.g. a connection in process to an
// embedded server, with an identity of that agency's permissions); a code
// conn gives no options for keeps its certificate. It matters only after
// UseCerts with natsTLS. Call it before Start.
func (g *Group) UseNATS(conn func(code string) (url string, opts []nats.Option)) {
	g.natsConn = conn
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
		id := []nats.Option{nats.Secure(t)}
		if g.natsConn != nil {
			if url, o := g.natsConn(cfg.Agency.GetCode()); o != nil {
				cfg.NATSURL, id = url, o
			}
		}
		cfg.NATSOptions = append(append([]nats.Option(nil), cfg.NATSOptions...), id...)
	}
	return nil
}
