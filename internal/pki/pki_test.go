package pki

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestEnsure(t *testing.T) {
	d := Dir(t.TempDir())
	codes := []string{"000.00.00.H29", "000.00.01.G01"}
	if err := Ensure(d, []Agency{{Code: codes[0], Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP}, {Code: codes[1]}}); err != nil {
		t.Fatal(err)
	}
	got, err := d.Agencies()
	if err != nil || !slices.Equal(got, codes) {
		t.Fatalf("Agencies() = %v, %v; want %v", got, err, codes)
	}
	pool, err := d.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want auth.Identity
	}{
		{"000.00.00.H29", auth.Identity{Role: auth.RoleAgency, Agency: "000.00.00.H29", Subject: wire.AgencyURI("000.00.00.H29"), Kind: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP}},
		{"000.00.01.G01", auth.Identity{Role: auth.RoleAgency, Agency: "000.00.01.G01", Subject: wire.AgencyURI("000.00.01.G01")}},
		{Operator, auth.Identity{Role: auth.RoleOperator, Subject: wire.OperatorURI}},
		{Hub, auth.Identity{Role: auth.RoleHub, Subject: wire.HubURI}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := d.ClientTLS(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			leaf := cfg.Certificates[0].Leaf
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Fatalf("verify: %v", err)
			}
			id, err := auth.FromCertificate(leaf)
			if err != nil || id != tt.want {
				t.Errorf("identity = %+v, %v; want %+v", id, err, tt.want)
			}
		})
	}
	// A second Ensure keeps what exists and adds what is missing.
	before, _ := d.ClientTLS("000.00.00.H29")
	if err := Ensure(d, Codes(append(codes, "000.00.00.H01")...)); err != nil {
		t.Fatal(err)
	}
	after, _ := d.ClientTLS("000.00.00.H29")
	if !before.Certificates[0].Leaf.Equal(after.Certificates[0].Leaf) {
		t.Error("Ensure replaced an existing certificate")
	}
	if _, err := d.ClientTLS("000.00.00.H02"); !errors.Is(err, ErrNoCerts) {
		t.Errorf("ClientTLS of an unknown agency: %v, want ErrNoCerts", err)
	}
	if err := Ensure(d, Codes("bad")); err == nil {
		t.Error("Ensure accepted an invalid agency code")
	}
}

// TestNATSServerCertificate: the NATS servers' certificate serves the
// hosts asked for and the loopback ones, authenticates routes, and maps
// to no NATS user (no URI SAN).
func TestNATSServerCertificate(t *testing.T) {
	d := Dir(t.TempDir())
	if err := EnsureHosts(d, nil, []string{"nats-1", "10.0.0.7"}); err != nil {
		t.Fatal(err)
	}
	pool, err := d.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := d.ClientTLS(NATS)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificates[0].Leaf
	for _, host := range []string{"nats-1", "10.0.0.7", "127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if len(leaf.URIs) != 0 {
		t.Errorf("the NATS certificate names %v: it would map to a NATS user", leaf.URIs)
	}
}

// TestFlatFolder: a folder with the agencies' files beside the CA (as a
// Kubernetes Secret mounts one) serves like the nested layout.
func TestFlatFolder(t *testing.T) {
	d := Dir(t.TempDir())
	if err := Ensure(d, Codes("000.00.00.H29")); err != nil {
		t.Fatal(err)
	}
	flat := Dir(t.TempDir())
	for _, f := range []string{"ca.crt", "hub.crt", "hub.key", "agencies/000.00.00.H29.crt", "agencies/000.00.00.H29.key"} {
		b, err := os.ReadFile(filepath.Join(string(d), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(string(flat), filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := flat.Agencies(); err != nil || !slices.Equal(got, []string{"000.00.00.H29"}) {
		t.Fatalf("Agencies() = %v, %v", got, err)
	}
	if _, err := flat.ClientTLS("000.00.00.H29"); err != nil {
		t.Fatalf("ClientTLS of a flat folder: %v", err)
	}
}
