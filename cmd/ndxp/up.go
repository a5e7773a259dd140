package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/txlog"
)

type upFlags struct {
	platform platform.Config
	topo     topologyFlags
	shutdown time.Duration
	memLimit string
	agencies string // what to print: how many agencies run
}

func (f *upFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.platform.NATSURL, "nats-url", "", "use this NATS server or cluster instead of starting an embedded one (e.g. tls://127.0.0.1:4222, or comma-separated URLs of every server); secure, the hub connects with its certificate")
	fs.StringVar(&f.platform.NATSTLS.CAFile, "nats-ca", "", "with --nats-url: the CA (PEM) that issued the NATS servers' certificate (default: the development CA of --cert-dir)")
	fs.StringVar(&f.platform.NATSTLS.CertFile, "nats-cert", "", "with --nats-url: the hub's client certificate (PEM) towards NATS (default: the hub's of --cert-dir)")
	fs.StringVar(&f.platform.NATSTLS.KeyFile, "nats-key", "", "with --nats-url: the key of --nats-cert (PEM)")
	fs.StringVar(&f.platform.NATSMonitor, "nats-monitor", "", "serve the embedded NATS's monitoring endpoints (/varz, /jsz, /healthz; for prometheus-nats-exporter) on this address (host:port); off by default")
	fs.StringVar(&f.platform.NATSAddr, "nats-listen", platform.DefaultNATSAddr, "where the embedded NATS server listens (host:port)")
	fs.StringVar(&f.platform.GRPCAddr, "grpc-addr", platform.DefaultGRPCAddr, "where the hub's gRPC API listens (host:port)")
	fs.StringVar(&f.platform.HTTPAddr, "http-addr", platform.DefaultHTTPAddr, "where the HTTP server (dashboard, /api/stats, /metrics, /healthz, /readyz) listens (host:port)")
	fs.StringVar(&f.platform.RESTAddr, "rest-addr", platform.DefaultRESTAddr, "where the REST ingress (POST /r1/{provider}/{service}, /r1/openapi.json) listens: HTTPS with client certificates, plain HTTP with --insecure; empty: off")
	fs.StringVar(&f.platform.DataDir, "data-dir", "", "where the embedded NATS keeps JetStream data, locked while it runs: one process per data dir (default: <user cache dir>/ndxp)")
	fs.StringVar(&f.platform.Hub.ID, "hub-id", "", "name of this hub instance in records and logs (default: host name and a random suffix)")
	fs.BoolVar(&f.platform.Insecure, "insecure", false, "run without TLS and identities (plaintext gRPC and NATS, grants not enforced); logged as a warning")
	fs.StringVar(&f.platform.CertDir, "cert-dir", "", "development certificates, created on first start (default: <data dir>/certs)")
	fs.Float64Var(&f.platform.Hub.Security.RateLimit, "rate-limit", 0, "exchanges per second each consumer may make through this hub (0: unlimited); per hub: with N hubs, give each the platform's rate / N")
	fs.IntVar(&f.platform.Hub.Security.RateBurst, "rate-burst", 0, "exchanges each consumer may make at once (default: the rate limit)")
	fs.Int64Var(&f.platform.Hub.Security.DailyQuota, "daily-quota", 0, "exchanges each consumer may make per business day on the platform, all hubs together (shared JetStream counters; 0: unlimited)")
	fs.DurationVar(&f.platform.Hub.Audit.Retention, "audit-retention", 0, "drop audit records older than this (e.g. 8760h); 0 keeps them until the stream's size limit")
	fs.IntVar(&f.platform.Hub.Replicas, "replicas", 1, "JetStream replicas of every stream and bucket the hub creates (3 on a 3-server NATS cluster)")
	fs.DurationVar(&f.platform.Hub.TxLog.Duplicates, "dedup-window", txlog.DefaultDuplicates, "how long NATS remembers a record's message id: a retry within it is stored once (memory grows with the ids seen in the window; a later retry is stored again but counted once, see docs/performance.md)")
	fs.Int64Var(&f.platform.Hub.TxLog.MaxBytes, "records-max-bytes", txlog.DefaultMaxBytes, "size limit of the transaction-record stream; when it is full the hub refuses exchanges (UNAVAILABLE) rather than drop records")
	fs.DurationVar(&f.platform.Hub.TxLog.MaxAge, "records-max-age", 0, "retention of the transaction records (at least 1h, e.g. 8760h); older records expire (counts are kept in checkpoints); 0 keeps them until the size limit refuses new ones")
	fs.IntVar(&f.platform.Hub.Access.MaxGrantsPerProvider, "max-grants-per-provider", access.DefaultMaxGrantsPerProvider, "grants one provider may hold; the operator may add more")
	fs.Int64Var(&f.platform.Hub.Access.MaxBytes, "grants-max-bytes", access.DefaultMaxBytes, "size limit of the grant store; past 90% only the operator may add grants")
	fs.DurationVar(&f.platform.Hub.RecordRetry, "record-retry", hub.DefaultRecordRetry, "how long the hub keeps storing a transaction record NATS does not acknowledge (the caller is answered UNAVAILABLE, record pending, at its deadline)")
	fs.StringVar(&f.memLimit, "memory-limit", platform.DefaultMemoryLimit, "soft limit of the process's memory for the Go collector (e.g. 512MiB, 2GiB; off: none): it collects more often near the limit instead of letting the heap double; $GOMEMLIMIT, when set, replaces the default")
	fs.DurationVar(&f.shutdown, "shutdown-timeout", platform.DefaultShutdownTimeout, "how long in-flight calls may take to finish at shutdown")
}

func newUpCmd(g *globalFlags) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole system: embedded NATS, the hub and every simulated agency",
		Long: `Run the whole system in one process: an embedded NATS server with JetStream,
the hub's gRPC API and HTTP server, and every agency of the topology (by
default the 2023 one: 85 LGSPs, 9 national databases, 13 national systems)
as simulated nodes, registered with the hub. It prints where each part
listens and runs until Ctrl-C, then shuts down gracefully: in-flight calls
finish and NATS drains.`,
		Example: `  ndxp up
  ndxp up --topology 2021
  ndxp up --topology my.yaml --behave 000.00.01.G23=latency=50ms/800ms,errors=0.05
  ndxp up --grpc-addr 127.0.0.1:9191 --http-addr 127.0.0.1:8181 --rest-addr 127.0.0.1:8444 --nats-listen 127.0.0.1:4333
  ndxp up --nats-url nats://127.0.0.1:4222 --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			grp, t, err := f.topo.group()
			if err != nil {
				return err
			}
			grp.Log = log.Named("agency")
			f.platform.Agencies = []platform.Agency{grp}
			f.platform.Grants = platform.DefaultGrants(t)
			f.agencies = fmt.Sprintf("%d (topology %s)", len(t.Agencies), t.Name)
			return run(cmd, f, g, log)
		},
	}
	f.register(cmd)
	f.topo.register(cmd, false)
	return cmd
}

func newHubCmd(g *globalFlags) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Run the hub alone (with embedded NATS unless --nats-url is given)",
		Long: `Run only the hub: its gRPC API and HTTP server, with an embedded NATS server
unless --nats-url names one. Start agencies separately with "ndxp agency".
Several hubs may share one NATS: they share the registry and the counters.
With --nats-url and without --insecure the hub connects to NATS with its
certificate from --cert-dir (or --nats-cert/--nats-key), verifying the
servers against the CA (or --nats-ca): run the servers with the
configuration "ndxp nats-config" writes from the same certificates.`,
		Example: `  ndxp hub --nats-url tls://127.0.0.1:4222 --cert-dir ./certs --replicas 3 --grpc-addr 127.0.0.1:9091 --http-addr 127.0.0.1:8081
  ndxp hub --nats-url tls://nats-1:4222,tls://nats-2:4222 --cert-dir /certs --nats-ca /pki/nats-ca.crt
  ndxp hub --nats-url nats://127.0.0.1:4222 --insecure`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			// The grants the built-in topology's flows need, for agencies
			// started later with "ndxp agency".
			t, err := topology.Builtin("2023")
			if err != nil {
				return err
			}
			f.platform.Grants = platform.DefaultGrants(t)
			return run(cmd, f, g, log)
		},
	}
	f.register(cmd)
	return cmd
}

// run starts the platform, prints where it listens and waits until the
// command's context ends (Ctrl-C).
func run(cmd *cobra.Command, f *upFlags, g *globalFlags, log *zap.Logger) error {
	ctx := cmd.Context()
	start := time.Now()
	limit, source, err := platform.ApplyMemoryLimit(f.memLimit, cmd.Flags().Changed("memory-limit"))
	if err != nil {
		return err
	}
	shown := units.BytesSize(float64(limit))
	if limit == math.MaxInt64 {
		shown = "none"
	}
	log.Info("Go memory limit", zap.String("limit", shown), zap.String("from", source))
	p, err := platform.Start(ctx, f.platform, log)
	if err != nil {
		return err
	}
	if g.jsonLogs() {
		logAddrs(log, p, f.agencies, time.Since(start))
	} else {
		printAddrs(cmd.ErrOrStderr(), p, f.agencies, time.Since(start))
	}
	<-ctx.Done()
	log.Info("shutting down: letting in-flight calls finish", zap.Duration("timeout", f.shutdown))
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdown)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// logAddrs is the banner as one log line, for --log-format json: the
// log then stays JSON only.
func logAddrs(log *zap.Logger, p *platform.Platform, agencies string, took time.Duration) {
	fields := []zap.Field{zap.String("grpc", p.GRPCAddr()), zap.String("http", p.HTTPAddr()), zap.String("rest", p.RESTURL()), zap.String("nats", p.NATSURL()),
		zap.Bool("nats_embedded", p.Embedded()), zap.String("agencies", agencies), zap.Duration("took", took)}
	if p.Embedded() {
		fields = append(fields, zap.String("data_dir", p.DataDir()))
	}
	if d := p.Certs(); d != "" {
		fields = append(fields, zap.String("certs", string(d)))
	} else {
		fields = append(fields, zap.Bool("insecure", true))
	}
	log.Info("ndxp is up", fields...)
}

func printAddrs(w io.Writer, p *platform.Platform, agencies string, took time.Duration) {
	nats := p.NATSURL() + " (external)"
	if p.Embedded() {
		nats = p.NATSURL() + " (embedded, JetStream data in " + p.DataDir() + ")"
	}
	if m := p.NATSMonitorAddr(); m != "" {
		nats += "\n  monitoring http://" + m + "   (NATS /varz, /jsz, /healthz; scrape with prometheus-nats-exporter)"
	}
	if agencies == "" {
		agencies = "none (start them with \"ndxp agency\")"
	}
	try := "grpcurl -plaintext " + p.GRPCAddr() + " list; INSECURE mode"
	if d := p.Certs(); d != "" {
		try = "grpcurl -cacert " + d.CAFile() + " " + p.GRPCAddr() + " list"
		nats += "\n  certs      " + string(d) + "   (TLS with client certificates; ndxp clients find them)"
	}
	fmt.Fprintf(w, `
ndxp is up (in %s)
  gRPC API   %s   (reflection and grpc.health.v1 on; try: %s)
  HTTP       http://%s   (dashboard at /, /api/stats, /metrics, /healthz, /readyz)%s
  NATS       %s
  agencies   %s
Press Ctrl-C to stop.

`, took.Round(time.Millisecond), p.GRPCAddr(), try, p.HTTPAddr(), restLine(p), nats, agencies)
}

// restLine is the banner's line for the REST ingress, if it is on.
func restLine(p *platform.Platform) string {
	if p.RESTURL() == "" {
		return ""
	}
	return "\n  REST       " + p.RESTURL() + "   (POST /r1/{provider}/{service} with JSON; catalogue at /r1/openapi.json)"
}
