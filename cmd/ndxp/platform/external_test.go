package platform_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// SecurePKI issues the development certificates of the built-in topology
// in a temporary folder.
func securePKI(t *testing.T) pki.Dir {
	t.Helper()
	topo, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	var agencies []pki.Agency
	for _, a := range topo.Agencies {
		agencies = append(agencies, pki.Agency{Code: a.Code, Kind: a.Kind})
	}
	d := pki.Dir(filepath.Join(t.TempDir(), "certs"))
	if err := pki.Ensure(d, agencies); err != nil {
		t.Fatal(err)
	}
	return d
}

// secureConf writes a server's configuration as "ndxp nats-config" does.
func secureConf(t *testing.T, d pki.Dir) natsproc.ClusterConf {
	users, err := platform.NATSUsers(d)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := d.Files(pki.NATS)
	return func(name string, port, clusterPort int, routes []string, dir string) ([]byte, error) {
		f := natsembed.File{ServerName: name, Listen: "127.0.0.1:" + itoa(port), StoreDir: filepath.Join(dir, "js"),
			CAFile: d.CAFile(), CertFile: cert, KeyFile: key, Users: users}
		if clusterPort > 0 {
			f.Cluster = natsembed.Cluster{Name: "ndxp-test", Host: "127.0.0.1", Port: clusterPort, Routes: routes}
		}
		return f.Render()
	}
}

// TestHubOnASecureExternalNATS: a hub and its agencies connect to a real
// nats-server, configured from the same certificates and users as the
// embedded server, over TLS with their own certificates (before, the hub
// failed with "certificate signed by unknown authority"); the server holds
// an agency to its own subjects and keeps it off JetStream.
func TestHubOnASecureExternalNATS(t *testing.T) {
	d := securePKI(t)
	hubTLS, err := d.ClientTLS(pki.Hub)
	if err != nil {
		t.Fatal(err)
	}
	conf := secureConf(t, d)
	s := natsproc.Launch(t, natsproc.Options{TLS: hubTLS, Conf: func(port int, dir string) ([]byte, error) {
		return conf("n1", port, 0, nil, dir)
	}})
	s.WaitReady(t)
	u, _ := url.Parse(s.URL())
	tlsURL := "tls://" + u.Host

	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithCertDir(string(d)), hubtest.WithNATSURL(tlsURL),
		hubtest.WithGrants(&hubv1.AccessGrant{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: "000.00.00.H29"}}))
	payload, _ := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: "001194053383"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{MessageId: "ext-1", Consumer: "000.00.00.H29",
		Provider: population.Code, Service: population.ServiceLookup, Payload: payload, Purpose: "test", UserId: "officer-1"})
	if err != nil {
		t.Fatalf("exchange through a hub on a secure external NATS: %v", err)
	}

	connect := func(t *testing.T, name string) (*nats.Conn, *asyncErrors) {
		return connectAs(t, d, tlsURL, name)
	}
	t.Run("an agency keeps to its subjects", func(t *testing.T) {
		nc, errs := connect(t, "000.00.00.H29")
		popSubject, err := wire.ServiceSubject(population.Code, population.ServiceLookup)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Publish(popSubject, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		hubtest.Eventually(t, 10*time.Second, func() error { return errs.find("permissions violation", "publish", popSubject) })
		popAll, _ := wire.AgencySubjects(population.Code)
		if _, err := nc.SubscribeSync(popAll); err != nil {
			t.Fatal(err)
		}
		hubtest.Eventually(t, 10*time.Second, func() error { return errs.find("permissions violation", "subscription", popAll) })
		if _, err := nc.Request("$JS.API.INFO", nil, time.Second); err == nil {
			t.Error("an agency reached JetStream")
		}
		hubtest.Eventually(t, 10*time.Second, func() error { return errs.find("permissions violation", "$JS.API.INFO") })
	})
	t.Run("no certificate, no connection", func(t *testing.T) {
		pool, err := d.CAPool()
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := pki.ClientTLS(d.CAFile(), "", "")
		cfg.RootCAs = pool
		if nc, err := nats.Connect(tlsURL, nats.Secure(cfg)); err == nil {
			nc.Close()
			t.Fatal("connected without a client certificate")
		}
	})
	t.Run("the NATS certificate is no user", func(t *testing.T) {
		cfg, err := d.ClientTLS(pki.NATS)
		if err != nil {
			t.Fatal(err)
		}
		if nc, err := nats.Connect(tlsURL, nats.Secure(cfg)); err == nil {
			nc.Close()
			t.Fatal("the servers' certificate connected as a client")
		}
	})
	t.Run("the operator sees the servers", func(t *testing.T) {
		nc, _ := connect(t, pki.Operator)
		msg, err := nc.Request("$SYS.REQ.SERVER.PING", nil, 5*time.Second)
		if err != nil {
			t.Fatalf("server ping (nats server ls): %v", err)
		}
		if len(msg.Data) == 0 {
			t.Error("empty server ping answer")
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestEmbeddedNATSMonitoring: on request the embedded NATS serves its
// monitoring endpoints (what prometheus-nats-exporter scrapes); an
// external NATS has its own, so asking for both is refused.
func TestEmbeddedNATSMonitoring(t *testing.T) {
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	p, err := platform.Start(context.Background(), platform.Config{NATSAddr: "127.0.0.1:-1", NATSMonitor: "127.0.0.1:-1",
		DataDir: t.TempDir(), GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Insecure: true}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	addr := p.NATSMonitorAddr()
	if addr == "" {
		t.Fatal("no monitoring address")
	}
	for _, path := range []string{"/varz", "/jsz", "/healthz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !json.Valid(body) {
			t.Errorf("%s: %s %q", path, resp.Status, body)
		}
	}
	_, err = platform.Start(context.Background(), platform.Config{NATSURL: "nats://127.0.0.1:1", NATSMonitor: "127.0.0.1:0", Insecure: true}, log)
	if err == nil || !strings.Contains(err.Error(), "nats-monitor") {
		t.Errorf("--nats-monitor with --nats-url: %v, want an error naming --nats-monitor", err)
	}
}

// TestHubNATSCertificatesOfAnotherCA: NATS servers whose certificates
// come from another CA than the hub's folder are refused with a hint
// naming --nats-ca; with --nats-ca, --nats-cert and --nats-key (the
// platform's NATSTLS) the hub connects with them.
func TestHubNATSCertificatesOfAnotherCA(t *testing.T) {
	other := securePKI(t) // the NATS servers' PKI
	otherHub, err := other.ClientTLS(pki.Hub)
	if err != nil {
		t.Fatal(err)
	}
	conf := secureConf(t, other)
	s := natsproc.Launch(t, natsproc.Options{TLS: otherHub, Conf: func(port int, dir string) ([]byte, error) {
		return conf("n1", port, 0, nil, dir)
	}})
	s.WaitReady(t)
	u, _ := url.Parse(s.URL())
	tlsURL := "tls://" + u.Host

	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	cfg := platform.Config{NATSURL: tlsURL, DataDir: t.TempDir(), GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}
	if _, err := platform.Start(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "--nats-ca") {
		t.Fatalf("a hub with its own development CA: %v, want an error with a hint naming --nats-ca", err)
	}
	cert, key := other.Files(pki.Hub)
	cfg.NATSTLS = platform.NATSTLS{CAFile: other.CAFile(), CertFile: cert, KeyFile: key}
	p, err := platform.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("with --nats-ca, --nats-cert and --nats-key: %v", err)
	}
	_ = p.Shutdown(context.Background())
}
