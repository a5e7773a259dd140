package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/platform"
)

// clientFlags are the flags every subcommand that talks to a hub takes:
// where it is, and who the caller is. By default the caller uses the
// development certificates of a local "ndxp up" (in <data dir>/certs) as
// the operator, or as the agency named by --as.
type clientFlags struct {
	hub      string
	dataDir  string
	certDir  string
	as       string
	ca       string
	cert     string
	key      string
	insecure bool
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.hub, "hub", platform.DefaultGRPCAddr, "the hub's gRPC address (host:port); the default is where \"ndxp up\" listens")
	f.registerTLS(cmd)
}

// registerTLS registers the identity flags alone, for subcommands that
// talk to NATS rather than to the hub.
func (f *clientFlags) registerTLS(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.dataDir, "data-dir", "", "the data dir of the local \"ndxp up\" whose development certificates to use (default: <user cache dir>/ndxp)")
	fs.StringVar(&f.certDir, "certs", "", "the development certificate folder (default: <data dir>/certs)")
	fs.StringVar(&f.as, "as", "", "act as this agency (its code, e.g. 000.00.00.H29) with its development certificate; default: the operator")
	fs.StringVar(&f.ca, "ca", "", "CA certificate (PEM) to verify the hub with (default: the development CA)")
	fs.StringVar(&f.cert, "cert", "", "client certificate (PEM), instead of a development one")
	fs.StringVar(&f.key, "key", "", "the client certificate's private key (PEM)")
	fs.BoolVar(&f.insecure, "insecure", false, "plaintext, no certificate: for a hub started with --insecure")
}

// certs is the development certificate folder.
func (f *clientFlags) certs() pki.Dir {
	if f.certDir != "" {
		return pki.Dir(f.certDir)
	}
	dir := f.dataDir
	if dir == "" {
		dir = platform.DefaultDataDir()
	}
	return pki.DefaultDir(dir)
}

// identity is the development identity to use: --as, or the operator.
func (f *clientFlags) identity() string {
	if f.as != "" {
		return f.as
	}
	return pki.Operator
}

// tlsConfig is the caller's TLS configuration; nil with --insecure.
func (f *clientFlags) tlsConfig() (*tls.Config, error) {
	if f.insecure {
		return nil, nil
	}
	if (f.cert == "") != (f.key == "") {
		return nil, errors.New("--cert and --key go together")
	}
	d := f.certs()
	ca := f.ca
	if ca == "" {
		ca = d.CAFile()
	}
	if f.cert != "" {
		return pki.ClientTLS(ca, f.cert, f.key)
	}
	if !d.Exists() {
		return nil, fmt.Errorf("no development certificates in %s: start \"ndxp up\" (or \"ndxp certs\") first, give --cert/--key/--ca, or use --insecure for a hub started with --insecure", d)
	}
	cfg, err := d.ClientTLS(f.identity())
	if err != nil {
		return nil, err
	}
	if f.ca != "" {
		pool, err := pki.LoadCAPool(f.ca)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// natsOptions are the options to connect to the embedded NATS of a
// secure "ndxp up" with the caller's certificate.
func (f *clientFlags) natsOptions() ([]nats.Option, error) {
	cfg, err := f.tlsConfig()
	if err != nil || cfg == nil {
		return nil, err
	}
	return []nats.Option{nats.Secure(cfg)}, nil
}

// dial connects to the hub.
func (f *clientFlags) dial() (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	cfg, err := f.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(f.hub, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("hub address %q: %w", f.hub, err)
	}
	return conn, nil
}
