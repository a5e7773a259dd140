package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/internal/pki"
)

// The environment variables that give client subcommands their default
// hub and NATS addresses, so that a shell pointed at one hub stays there.
const (
	envHub     = "NDXP_HUB"
	envNATSURL = "NDXP_NATS_URL"
)

// fromEnv is the value of the environment variable name, or def when it
// is unset or empty.
func fromEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

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
	cmd.Flags().StringVar(&f.hub, "hub", fromEnv(envHub, platform.DefaultGRPCAddr), "the hub's gRPC address (host:port), or $"+envHub+"; the default is where \"ndxp up\" listens")
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
		return nil, usagef("--cert and --key go together")
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

// explainNATS turns a failure to connect to NATS at url into an
// unreachableError saying what to do; other errors are returned as is.
func explainNATS(err error, url string) error {
	var reason, hint string
	msg := err.Error()
	switch {
	case errors.Is(err, nats.ErrNoServers):
		reason = "no server answers"
		hint = `start the hub ("ndxp hub" or "ndxp up" embed NATS at nats://127.0.0.1:4222), or give its NATS address with --nats-url`
	case errors.Is(err, nats.ErrSecureConnRequired):
		reason = "NATS requires TLS"
		hint = "drop --insecure: the agencies then connect with their development certificates (--data-dir or --certs of the hub's machine)"
	case errors.Is(err, nats.ErrSecureConnWanted):
		reason = "NATS speaks plaintext"
		hint = "the hub was started with --insecure: add --insecure"
	case strings.Contains(msg, "certificate signed by unknown authority") || strings.Contains(msg, "failed to verify certificate"):
		reason = "NATS's certificate is not from your CA"
		hint = "use that hub's certificates (--data-dir or --certs of its machine)"
	case errors.Is(err, nats.ErrAuthorization) || strings.Contains(msg, "tls: ") || strings.Contains(msg, "certificate"):
		reason = "NATS refused the connection"
		hint = "use certificates issued by the hub's CA (--data-dir or --certs of its machine; \"ndxp certs --agency <code>\" adds one, then restart the hub)"
	default:
		return err
	}
	return &unreachableError{What: "NATS", Addr: url, Reason: reason, Hint: hint, Err: err}
}

// dial connects to the hub. A call that cannot reach it fails with an
// unreachableError saying what to do; a refusal for want of an identity
// says which identity to use.
func (f *clientFlags) dial() (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	cfg, err := f.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(f.hub, grpc.WithTransportCredentials(creds),
		grpc.WithChainUnaryInterceptor(f.explainUnary), grpc.WithChainStreamInterceptor(f.explainStream))
	if err != nil {
		return nil, usagef("--hub %q: %w", f.hub, err)
	}
	return conn, nil
}

// explainUnary adds what to do to the errors of a unary call: the call
// never reached the hub (no peer) or the hub refused the identity.
func (f *clientFlags) explainUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
	return f.explain(err, p.Addr == nil)
}

// explainStream does what explainUnary does for a stream that could not
// be opened; errors after that came from the hub.
func (f *clientFlags) explainStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, f.explain(err, true)
	}
	return s, nil
}

func (f *clientFlags) explain(err error, noPeer bool) error {
	st, ok := status.FromError(err)
	switch {
	case err == nil || !ok:
		return err
	case st.Code() == codes.Unavailable && noPeer:
		reason, hint := f.unreachableHint(st.Message())
		return &unreachableError{What: "the hub", Addr: f.hub, Reason: reason, Hint: hint, Err: err}
	case st.Code() == codes.Unauthenticated:
		return fmt.Errorf("%w\n  hint: the hub wants a client certificate from its CA: run on the hub's machine (its data dir has the development certificates; see --data-dir, --certs) or give --cert/--key/--ca", err)
	case st.Code() == codes.PermissionDenied:
		return fmt.Errorf("%w\n  hint: you act as %s; act as another agency with --as <code>, or ask the provider for a grant (ndxp grants)", err, f.who())
	}
	return err
}

// who names the caller's identity for hints.
func (f *clientFlags) who() string {
	switch {
	case f.insecure:
		return "nobody (--insecure)"
	case f.cert != "":
		return "the holder of " + f.cert
	default:
		return f.identity()
	}
}

// unreachableHint explains a transport failure: the reason in short and
// what to do about it.
func (f *clientFlags) unreachableHint(msg string) (reason, hint string) {
	reason = strings.TrimSuffix(strings.TrimPrefix(msg, `connection error: desc = "`), `"`)
	reason = strings.TrimPrefix(reason, "transport: ")
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("first record does not look like a TLS handshake"):
		hint = "the hub speaks plaintext: it was started with --insecure; add --insecure"
	case has("certificate signed by unknown authority", "certificate is valid for", "failed to verify certificate"):
		hint = "the hub's certificate is not from your CA: use that hub's certificates (--data-dir or --certs of its machine, or --ca)"
	case has("certificate required", "bad certificate", "unknown certificate authority", "expired certificate", "revoked"):
		hint = "the hub refused your certificate: use one issued by the hub's CA (--data-dir or --certs of its machine, or --cert/--key)"
	case f.insecure && has("EOF", "server preface", "connection reset", "connection closed"):
		hint = "the hub requires TLS: drop --insecure (ndxp finds a local hub's development certificates in its data dir)"
	case has("connection refused"):
		hint = `nothing listens there: start the hub ("ndxp up" or "ndxp hub"), or give its address with --hub`
	case has("no such host", "produced zero addresses", "missing port", "too many colons"):
		hint = "check the address given with --hub (host:port)"
	default:
		hint = `is the hub running? start it with "ndxp up", or give its address with --hub`
	}
	return reason, hint
}
