package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// CAPool loads the CA certificate as a pool.
func (d Dir) CAPool() (*x509.CertPool, error) {
	return LoadCAPool(d.CAFile())
}

// LoadCAPool reads a PEM file of CA certificates.
func LoadCAPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pki: CA: no PEM certificate in %s", file)
	}
	return pool, nil
}

// ServerTLS is the hub's TLS configuration: its certificate, and client
// certificates verified against the CA when given. Whether a call needs
// one is decided per method by the hub's auth interceptor (health and
// reflection do not).
func (d Dir) ServerTLS() (*tls.Config, error) {
	cert, key := d.Files(Hub)
	return ServerTLS(d.CAFile(), cert, key)
}

// ServerTLS builds a server configuration from PEM files.
func ServerTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := LoadCAPool(caFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("pki: server certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// ClientTLS is the TLS configuration of an identity (an agency code,
// Operator or Hub): its certificate, and the CA to verify the server.
func (d Dir) ClientTLS(name string) (*tls.Config, error) {
	cert, key := d.Files(name)
	if _, err := os.Stat(cert); err != nil {
		return nil, fmt.Errorf("%w for %q in %s (create it with: ndxp certs --dir %s --agency %s)", ErrNoCerts, name, string(d), string(d), name)
	}
	return ClientTLS(d.CAFile(), cert, key)
}

// ClientTLS builds a client configuration from PEM files; certFile and
// keyFile may be empty for a client without a certificate.
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := LoadCAPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("pki: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// Credentials are the gRPC transport credentials of an identity: what a
// load tester or an agency system needs to call the hub as that agency.
func (d Dir) Credentials(name string) (credentials.TransportCredentials, error) {
	cfg, err := d.ClientTLS(name)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}
