package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/internal/pki"
)

func newAgencyCmd(g *globalFlags) *cobra.Command {
	var (
		natsURL  string
		httpAddr string
		cf       clientFlags
		tf       topologyFlags
	)
	cmd := &cobra.Command{
		Use:   "agency",
		Short: "Run simulated agency nodes against an existing hub and NATS",
		Long: `Run simulated agency nodes of a topology against a hub and NATS that are
already running (for example those of "ndxp hub", or of "ndxp up" for a
second instance). Each node joins NATS as a micro service, registers with
the hub and serves its services until Ctrl-C. --only picks a subset, so you
can run every agency but the one your own system replaces. Running a
second instance of an agency shares its load: NATS spreads requests over
the instances. --backend serves the --only agencies from your own HTTP
backend instead of the simulator: each request is POSTed as JSON to
<backend>/<service> (docs/joining.md).`,
		Example: `  ndxp agency --nats-url nats://127.0.0.1:4222 --hub 127.0.0.1:9090
  ndxp agency --only national-database,000.00.00.H29
  ndxp agency --only province-lgsp --behave province-lgsp=latency=30ms/400ms
  ndxp agency --only 000.00.01.G01 --backend http://127.0.0.1:8000   # your own HTTP system serves it
  ndxp agency --nats-url tls://nats-1:4222,tls://nats-2:4222 --hub hub:9090 --certs /pki --http-addr 0.0.0.0:8090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			grp, t, err := tf.group()
			if err != nil {
				return err
			}
			grp.Log = log.Named("agency")
			if !cf.insecure {
				grp.UseCerts(cf.certs(), true)
			}
			var probes *http.Server
			if httpAddr != "" {
				// Listen first, so that a taken port fails at once; /readyz
				// answers 503 until the nodes are up.
				lis, err := net.Listen("tcp", httpAddr)
				if err != nil {
					return fmt.Errorf("--http-addr %s: %w", httpAddr, err)
				}
				probes = &http.Server{Handler: probeHandler(grp.Ready), ReadHeaderTimeout: 5 * time.Second}
				go func() { _ = probes.Serve(lis) }()
				defer probes.Close()
			}
			if err := grp.Start(cmd.Context(), natsURL, cf.hub); err != nil {
				return explainStart(err, natsURL, cf)
			}
			if g.jsonLogs() {
				log.Info("agency nodes serving", zap.Int("nodes", len(t.Agencies)), zap.String("topology", t.Name),
					zap.String("nats", natsURL), zap.String("hub", cf.hub))
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d agency node(s) of topology %s serving via %s, registered with %s; Ctrl-C to stop\n", len(t.Agencies), t.Name, natsURL, cf.hub)
			}
			<-cmd.Context().Done()
			log.Info("stopping agency nodes")
			if err := grp.Stop(); err != nil {
				log.Warn("stop", zap.Error(err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&natsURL, "nats-url", fromEnv(envNATSURL, "nats://127.0.0.1:4222"), "the NATS server the hub uses (a cluster: comma-separated URLs; tls:// URLs for a secure one), or $"+envNATSURL)
	cmd.Flags().StringVar(&httpAddr, "http-addr", "", "serve /healthz (the process runs) and /readyz (every node started and connected to NATS) on this address (host:port), for probes")
	cf.register(cmd)
	tf.register(cmd, true)
	return cmd
}

// probeHandler serves /healthz (200 while the process serves HTTP) and
// /readyz (200 when ready() is nil, else 503 with its error).
func probeHandler(ready func() error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// explainStart turns the error of starting the nodes into one message
// with a hint: the nodes fail alike (node.Group joins alike errors), so a
// NATS that cannot be reached, or a folder without the agencies'
// certificates, is said once, not once per node.
func explainStart(err error, natsURL string, cf clientFlags) error {
	if errors.Is(err, pki.ErrNoCerts) {
		d := cf.certs()
		return fmt.Errorf("no certificates for the agency nodes in %s\n  hint: create them with \"ndxp certs --dir %s\" (the hub's CA must sign them: use the folder of the hub's machine), or add --insecure for a hub started with --insecure\n  first error: %w", d, d, err)
	}
	return explainNATS(err, natsURL)
}
