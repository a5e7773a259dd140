package natsembed_test

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
)

// TestFileGrantsWhatTheEmbeddedServerGrants: the configuration file of an
// external server, read back by nats-server's own parser, has exactly the
// users and permissions given (those of the embedded server), TLS with
// certificate mapping, the system requests exported and imported, and
// clustered routes over TLS.
func TestFileGrantsWhatTheEmbeddedServerGrants(t *testing.T) {
	agency, err := natsembed.AgencyUser(wire.AgencyURI("000.00.00.H29"), "000.00.00.H29")
	if err != nil {
		t.Fatal(err)
	}
	users := []*server.User{
		natsembed.HubUser(wire.HubURI),
		natsembed.OperatorUser(wire.OperatorURI, natsembed.Evidence{Subjects: []string{"ndxp.tx.>"}, Streams: []string{"NDXP_TX"}}),
		agency,
	}
	dir := t.TempDir()
	pemFiles := writeTestPKI(t, dir)
	f := natsembed.File{
		ServerName: "n1", Listen: "127.0.0.1:4222", Monitor: "127.0.0.1:8222", StoreDir: filepath.Join(dir, "js"),
		CAFile: pemFiles[0], CertFile: pemFiles[1], KeyFile: pemFiles[2], Users: users,
		Cluster: natsembed.Cluster{Name: "ndxp", Host: "127.0.0.1", Port: 6222, Routes: []string{"nats://127.0.0.1:6222", "nats://127.0.0.1:6223"}},
	}
	b, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "n1.conf")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server cannot read the file: %v\n%s", err, b)
	}
	if len(opts.Users) != len(users) {
		t.Fatalf("%d users in the file, want %d", len(opts.Users), len(users))
	}
	for i, want := range users {
		got := opts.Users[i]
		if got.Username != want.Username || perms(got) != perms(want) {
			t.Errorf("user %d:\n got %s %s %#v\nwant %s %s %#v", i, got.Username, perms(got), got.Permissions.Response, want.Username, perms(want), want.Permissions.Response)
		}
		if got.Account == nil || got.Account.Name != natsembed.AppAccount {
			t.Errorf("user %s is in account %v, want %s", got.Username, got.Account, natsembed.AppAccount)
		}
	}
	if opts.TLSConfig == nil || opts.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert || !opts.TLSMap || opts.TLSTimeout != 5 {
		t.Errorf("TLS %v, map %v, timeout %v: want TLS with mapped client certificates", opts.TLSConfig != nil, opts.TLSMap, opts.TLSTimeout)
	}
	if opts.Cluster.TLSConfig == nil || opts.Cluster.Name != "ndxp" || len(opts.Routes) != 2 {
		t.Errorf("cluster %+v, routes %v: want routes over TLS", opts.Cluster, opts.Routes)
	}
	if opts.SystemAccount != natsembed.SystemAccount || !opts.JetStream || opts.HTTPPort != 8222 || opts.MaxPayload != 8<<20 {
		t.Errorf("system account %q, JetStream %v, monitoring port %d, max payload %d", opts.SystemAccount, opts.JetStream, opts.HTTPPort, opts.MaxPayload)
	}
	for _, a := range opts.Accounts {
		if a.Name == natsembed.AppAccount {
			imports := strings.Count(string(b), "{service: {account: "+natsembed.SystemAccount)
			if imports != 11 {
				t.Errorf("%d system requests imported, want 11", imports)
			}
		}
	}
}

// perms writes a user's permissions out in full: an empty list and no
// list grant the same.
func perms(u *server.User) string {
	if u.Permissions == nil {
		return "<nil>"
	}
	p := u.Permissions
	var out []string
	for _, sp := range []*server.SubjectPermission{p.Publish, p.Subscribe} {
		if sp == nil {
			out = append(out, "-")
			continue
		}
		out = append(out, "allow "+strings.Join(sp.Allow, ",")+" deny "+strings.Join(sp.Deny, ","))
	}
	if p.Response != nil {
		out = append(out, fmt.Sprintf("responses %d in %s", p.Response.MaxMsgs, p.Response.Expires))
	}
	return strings.Join(out, "; ")
}

// TestFileRefusesWhatCannotRun: mistakes are reported naming the field.
func TestFileRefusesWhatCannotRun(t *testing.T) {
	base := natsembed.File{ServerName: "n1", Listen: "127.0.0.1:4222", StoreDir: "/data"}
	tests := []struct {
		name string
		edit func(*natsembed.File)
		want string
	}{
		{"no name", func(f *natsembed.File) { f.ServerName = "" }, "server name"},
		{"no store", func(f *natsembed.File) { f.StoreDir = "" }, "store dir"},
		{"bad listen", func(f *natsembed.File) { f.Listen = "4222" }, "listen address"},
		{"half TLS", func(f *natsembed.File) { f.CertFile = "x.crt" }, "go together"},
		{"users without TLS", func(f *natsembed.File) { f.Users = []*server.User{natsembed.HubUser("x")} }, "need TLS"},
		{"cluster without port", func(f *natsembed.File) { f.Cluster = natsembed.Cluster{Name: "c", Routes: []string{"nats://a:6222"}} }, "route port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.edit(&f)
			if _, err := f.Render(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render() = %v, want an error about %q", err, tt.want)
			}
		})
	}
	if _, err := base.Render(); err != nil {
		t.Errorf("a plaintext single server: %v", err)
	}
}

// writeTestPKI makes a development PKI in dir: the CA, the NATS servers'
// certificate and its key.
func writeTestPKI(t *testing.T, dir string) [3]string {
	t.Helper()
	d := pki.Dir(filepath.Join(dir, "certs"))
	if err := pki.Ensure(d, nil); err != nil {
		t.Fatal(err)
	}
	cert, key := d.Files(pki.NATS)
	return [3]string{d.CAFile(), cert, key}
}
