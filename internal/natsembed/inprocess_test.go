package natsembed_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
)

// TestInProcessIdentity: the hub's in-process identity works on an
// in-process connection, with the hub's permissions, and nowhere else:
// not over TCP with an agency's certificate and the identity's key, not
// in process without it or with another key.
func TestInProcessIdentity(t *testing.T) {
	const agency = "000.00.00.H29"
	certs := pki.Dir(t.TempDir())
	if err := pki.Ensure(certs, pki.Codes(agency)); err != nil {
		t.Fatal(err)
	}
	serverTLS, err := certs.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	agencyUser, err := natsembed.AgencyUser(wire.AgencyURI(agency), agency)
	if err != nil {
		t.Fatal(err)
	}
	id, err := natsembed.NewInProcessUser(natsembed.HubUser(wire.HubURI).Permissions)
	if err != nil {
		t.Fatal(err)
	}
	s, err := natsembed.Start(natsembed.Config{Port: -1, StoreDir: t.TempDir(), TLS: serverTLS,
		Users: []*server.User{agencyUser}, InProcess: []*natsembed.InProcessUser{id}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)

	// In process, as the identity: a round trip and JetStream work.
	hub, err := nats.Connect("", id.Options(s)...)
	if err != nil {
		t.Fatalf("in-process connection with the identity: %v", err)
	}
	t.Cleanup(hub.Close)
	if _, err := hub.TLSConnectionState(); err == nil {
		t.Error("the in-process connection reports TLS")
	}
	sub, err := hub.Subscribe("ndxp.svc.test.echo", func(m *nats.Msg) { _ = m.Respond(m.Data) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if m, err := hub.Request("ndxp.svc.test.echo", []byte("ping"), 5*time.Second); err != nil || string(m.Data) != "ping" {
		t.Fatalf("request in process: %v %v", m, err)
	}
	if _, err := hub.Request("$JS.API.INFO", nil, 5*time.Second); err != nil {
		t.Fatalf("JetStream in process: %v", err)
	}
	// With the hub's permissions: no broadcast discovery.
	errs := make(chan error, 1)
	limited, err := nats.Connect("", append(id.Options(s), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	}))...)
	if err != nil {
		t.Fatal(err)
	}
	defer limited.Close()
	if err := limited.Publish("$SRV.PING", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("publishing $SRV.PING: %v, want a permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-process identity published $SRV.PING")
	}

	// Over TCP, with an agency's certificate and the identity's key: refused.
	agencyTLS, err := certs.ClientTLS(agency)
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(s.ClientURL(), nats.Secure(agencyTLS), id.Options(s)[1]); err == nil {
		nc.Close()
		t.Fatal("connected over TCP with the in-process identity")
	}
	// The agency's certificate alone still maps to the agency.
	nc, err := nats.Connect(s.ClientURL(), nats.Secure(agencyTLS))
	if err != nil {
		t.Fatalf("the agency over TLS: %v", err)
	}
	nc.Close()
	other, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := other.PublicKey()
	// In process without an identity, with a key the server does not know,
	// or claiming the identity's public key without its seed: refused. The
	// server answers a refused in-process connection after about 10 s, so
	// the three run side by side.
	refused := map[string][]nats.Option{
		"without an identity": {nats.InProcessServer(s)},
		"with an unknown key": {nats.InProcessServer(s), nats.Nkey(pub, other.Sign)},
		"with the identity's public key and another key's signature": {nats.InProcessServer(s), nats.Nkey(id.PublicKey(), other.Sign)},
	}
	var wg sync.WaitGroup
	for name, opts := range refused {
		wg.Go(func() {
			if nc, err := nats.Connect("", opts...); err == nil {
				nc.Close()
				t.Errorf("connected in process %s", name)
			}
		})
	}
	wg.Wait()
}
