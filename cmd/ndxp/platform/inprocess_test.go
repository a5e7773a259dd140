package platform

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
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

// echoAgency is a node.Service with one service that answers its request.
type echoAgency struct{ code string }

func (e echoAgency) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: e.code, Name: "echo " + e.code, Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}
}

func (e echoAgency) Install(n *node.Node) {
	n.Handle(&hubv1.Service{Code: "echo"}, func(_ context.Context, r *node.Request) (proto.Message, error) {
		return &hubv1.Count{Total: int64(len(r.Payload))}, nil
	})
}

// TestAgenciesInProcess: in secure mode with an embedded NATS the
// agencies started by the platform reach it in process, each node under
// an identity of its own agency (the permissions its certificate maps to),
// and serve their subjects there.
func TestAgenciesInProcess(t *testing.T) {
	codes := []string{"000.00.99.G91", "000.00.99.G92"}
	g := &node.Group{Services: []node.Service{echoAgency{codes[0]}, echoAgency{codes[1]}}}
	p, err := Start(context.Background(), Config{NATSAddr: "127.0.0.1:-1", DataDir: t.TempDir(),
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RESTAddr: "", Agencies: []Agency{g}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown(context.Background()) }()
	conns, err := p.nats.Connz(&server.ConnzOptions{Username: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range codes {
		id := p.sec.agencyInProcess[code]
		if id == nil {
			t.Fatalf("no in-process identity for %s", code)
		}
		var found bool
		for _, c := range conns.Conns {
			if c.AuthorizedUser != id.PublicKey() {
				continue
			}
			found = true
			if c.IP != "" {
				t.Errorf("%s connects from %q, want in process", code, c.IP)
			}
			if c.NumSubs == 0 {
				t.Errorf("%s's connection serves nothing", code)
			}
		}
		if !found {
			t.Errorf("no connection of %s under its in-process identity in %+v", code, conns.Conns)
		}
	}
	// Each identity holds its agency to its own subjects: one agency's
	// identity may not serve the other's.
	other, _ := wire.ServiceSubject(codes[1], "echo")
	nc, err := nats.Connect("", p.sec.agencyInProcess[codes[0]].Options(p.nats)...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	errs := make(chan error, 1)
	nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err })
	if _, err := nc.SubscribeSync(other); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("subscribing to %s as %s: %v, want a permissions violation", other, codes[0], err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s may subscribe to %s", codes[0], other)
	}
}
