// Package pki makes and loads the development public-key infrastructure of
// a local ndxp: one certificate authority, a server certificate for the
// hub, one client certificate per agency (its identity is the URI SAN
// urn:ndxp:agency:<code>, see hub/auth) and one for the operator. The same
// certificates authenticate callers of the hub's gRPC API and clients of
// the embedded NATS server.
//
// A folder holds, in PEM:
//
//	ca.crt ca.key                  the development CA
//	hub.crt hub.key                the hub (server for 127.0.0.1 and localhost; NATS client)
//	operator.crt operator.key      the operator
//	agencies/<code>.crt, .key      one per agency
//
// These are development certificates: the CA key sits beside them. A real
// deployment issues certificates from its own CA and points the same
// options at them.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Names of the non-agency identities, as accepted by Dir.ClientTLS.
const (
	Operator = "operator"
	Hub      = "hub"
	// NATS is the certificate of the NATS servers of a cluster: a server
	// certificate for their host names (Hosts) that also authenticates
	// the routes between them. It carries no URI SAN, so it maps to no
	// NATS user: it cannot act as a client.
	NATS = "nats"
)

// Validity of the certificates Ensure makes.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	LeafValidity = 2 * 365 * 24 * time.Hour
)

// ErrNoCerts: the folder has no certificate for the identity asked for.
var ErrNoCerts = errors.New("pki: no certificate")

// Dir is a folder of development certificates.
type Dir string

// DefaultDir is the certificate folder inside a data dir.
func DefaultDir(dataDir string) Dir { return Dir(filepath.Join(dataDir, "certs")) }

// Agency is an agency to issue a certificate for. Its kind, when given,
// goes into the subject's organizational unit (e.g.
// "AGENCY_KIND_PROVINCE_LGSP"): the CA vouches for the group the agency
// belongs to, and group grants apply by it (see hub/auth.KindOf).
type Agency struct {
	Code string
	Kind hubv1.AgencyKind
}

// Codes turns agency codes into Agencies of unstated kind.
func Codes(codes ...string) []Agency {
	out := make([]Agency, len(codes))
	for i, c := range codes {
		out[i] = Agency{Code: c}
	}
	return out
}

// Ensure creates whatever is missing in d: the CA, the hub's and the
// operator's certificates and one certificate per agency. Existing files
// are kept, so it is safe to call at every start.
func Ensure(d Dir, agencies []Agency) error {
	return EnsureHosts(d, agencies, nil)
}

// EnsureHosts is Ensure, and also a NATS server certificate (NATS); the
// hub's and the NATS servers' certificates, when they are created, are
// valid for hosts (DNS names or IP addresses) besides the loopback ones.
// Existing certificates are kept: delete hub.crt or nats.crt to re-issue
// them for other hosts.
func EnsureHosts(d Dir, agencies []Agency, hosts []string) error {
	for _, a := range agencies {
		if err := wire.ValidateAgencyCode(a.Code); err != nil {
			return fmt.Errorf("pki: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(string(d), "agencies"), 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	ca, caKey, err := d.ensureCA()
	if err != nil {
		return err
	}
	for _, name := range []string{Hub, NATS} {
		if err := d.ensureLeafHosts(Agency{Code: name}, ca, caKey, hosts); err != nil {
			return err
		}
	}
	if err := d.ensureLeaf(Agency{Code: Operator}, ca, caKey); err != nil {
		return err
	}
	for _, a := range agencies {
		if err := d.ensureLeaf(a, ca, caKey); err != nil {
			return err
		}
	}
	return nil
}

// CAFile is the CA certificate's path.
func (d Dir) CAFile() string { return filepath.Join(string(d), "ca.crt") }

// Files are the certificate and key paths of an identity: an agency code,
// Operator or Hub.
//
// An agency's files are in agencies/, or beside the CA in a flat folder
// (as a Kubernetes Secret mounts one: its keys have no folders).
func (d Dir) Files(name string) (cert, key string) {
	base := filepath.Join(string(d), name)
	if name != Operator && name != Hub && name != NATS {
		if _, err := os.Stat(base + ".crt"); err != nil {
			base = filepath.Join(string(d), "agencies", name)
		}
	}
	return base + ".crt", base + ".key"
}

// Agencies lists the agency codes the folder has certificates for, sorted.
func (d Dir) Agencies() ([]string, error) {
	nested, err := os.ReadDir(filepath.Join(string(d), "agencies"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("pki: %w", err)
	}
	flat, ferr := os.ReadDir(string(d))
	if ferr != nil {
		return nil, fmt.Errorf("pki: %w", ferr)
	}
	if err != nil && len(flat) == 0 {
		return nil, fmt.Errorf("pki: %w", err)
	}
	var out []string
	for _, e := range append(nested, flat...) {
		if code, ok := strings.CutSuffix(e.Name(), ".crt"); ok && wire.ValidateAgencyCode(code) == nil {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Exists reports whether d holds a CA certificate.
func (d Dir) Exists() bool {
	_, err := os.Stat(d.CAFile())
	return err == nil
}

func (d Dir) ensureCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certFile, keyFile := d.CAFile(), filepath.Join(string(d), "ca.key")
	if _, err := os.Stat(certFile); err == nil {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("pki: load CA: %w", err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, nil, errors.New("pki: CA key is not ECDSA")
		}
		return pair.Leaf, key, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "ndxp development CA", Organization: []string{"ndxp"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := sign(tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := write(certFile, keyFile, der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func (d Dir) ensureLeaf(a Agency, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	return d.ensureLeafHosts(a, ca, caKey, nil)
}

func (d Dir) ensureLeafHosts(a Agency, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) error {
	certFile, keyFile := d.Files(a.Code)
	if _, err := os.Stat(certFile); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	der, err := sign(leafTemplate(a, hosts), ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return write(certFile, keyFile, der, key)
}

// leafTemplate is the certificate of an identity. Every leaf may act as a
// TLS client; the hub's and the NATS servers' are also server
// certificates for the loopback addresses and hosts.
func leafTemplate(a Agency, hosts []string) *x509.Certificate {
	name := a.Code
	uri := wire.AgencyURI(name)
	switch name {
	case Operator:
		uri = wire.OperatorURI
	case Hub:
		uri = wire.HubURI
	}
	u, _ := url.Parse(uri)
	t := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"ndxp"}},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(LeafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{u},
	}
	if a.Kind != hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
		t.Subject.OrganizationalUnit = []string{a.Kind.String()}
	}
	if name == NATS {
		t.URIs = nil
	}
	if name == Hub || name == NATS {
		t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		t.DNSNames = []string{"localhost"}
		t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				t.IPAddresses = append(t.IPAddresses, ip)
			} else if h != "localhost" {
				t.DNSNames = append(t.DNSNames, h)
			}
		}
	}
	return t
}

func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("pki: sign %s: %w", tmpl.Subject.CommonName, err)
	}
	return der, nil
}

func write(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	// The certificate is written last: its presence means the pair is whole.
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
