package natsembed_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
)

// TestClientMistakesAreWarnings: what a client gets wrong at the NATS edge
// (a subject it may not publish to, no client certificate) is logged
// as a warning naming the connection, without a stack trace; an error in
// the log still means the server needs attention.
func TestClientMistakesAreWarnings(t *testing.T) {
	const agency = "000.00.00.H29"
	certs := pki.Dir(t.TempDir())
	if err := pki.Ensure(certs, pki.Codes(agency)); err != nil {
		t.Fatal(err)
	}
	serverTLS, err := certs.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	user, err := natsembed.AgencyUser(wire.AgencyURI(agency), agency)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s, err := natsembed.Start(natsembed.Config{Port: -1, StoreDir: t.TempDir(), TLS: serverTLS, Users: []*server.User{user}},
		zap.New(core, zap.AddStacktrace(zapcore.ErrorLevel)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)

	clientTLS, err := certs.ClientTLS(agency)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(s.ClientURL(), nats.Secure(clientTLS), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := nc.Publish("ndxp.svc.someone_else.lookup", []byte("x")); err != nil {
		t.Fatal(err)
	}
	pool, err := certs.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(s.ClientURL(), nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})); err == nil {
		nc.Close()
		t.Fatal("connected without a client certificate")
	}

	for _, want := range []string{"Publish Violation", "handshake error"} {
		hubtest.Eventually(t, 10*time.Second, func() error {
			for _, e := range logs.All() {
				if strings.Contains(e.Message, want) {
					if e.Level != zapcore.WarnLevel || e.Stack != "" {
						t.Fatalf("%q logged at %v with stack %q, want a warning without a stack", e.Message, e.Level, e.Stack)
					}
					return nil
				}
			}
			return fmt.Errorf("nothing logged about %q yet", want)
		})
	}
}
