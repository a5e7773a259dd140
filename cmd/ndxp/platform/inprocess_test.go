package platform

import (
	"context"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// TestHubInProcess: with an embedded NATS the hub's connection is the
// in-process one, under its in-process identity in secure mode (no TLS on
// it, the server's port still requiring certificates of everyone else),
// and without an identity in insecure mode.
func TestHubInProcess(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		p, err := Start(context.Background(), Config{NATSAddr: "127.0.0.1:-1", DataDir: t.TempDir(),
			GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RESTAddr: "", Insecure: insecure}, zap.NewNop())
		if err != nil {
			t.Fatalf("insecure=%v: %v", insecure, err)
		}
		if _, err := p.nc.TLSConnectionState(); err == nil {
			t.Errorf("insecure=%v: the hub's NATS connection has TLS: not the in-process one", insecure)
		}
		if p.natsTLS == insecure {
			t.Errorf("insecure=%v: natsTLS %v: agencies would not be told whether NATS requires their certificates", insecure, p.natsTLS)
		}
		conns, err := p.nats.Connz(&server.ConnzOptions{Username: true})
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, c := range conns.Conns {
			if c.Name != "ndxp-hub" {
				continue
			}
			found = true
			if c.IP != "" {
				t.Errorf("insecure=%v: the hub connects from %q, want in process", insecure, c.IP)
			}
			if !insecure && c.AuthorizedUser != p.sec.hubInProcess.PublicKey() {
				t.Errorf("the hub is NATS user %q, want its in-process identity %s", c.AuthorizedUser, p.sec.hubInProcess.PublicKey())
			}
		}
		if !found {
			t.Errorf("insecure=%v: no connection named ndxp-hub in %+v", insecure, conns.Conns)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
