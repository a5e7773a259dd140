package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/internal/pki"
)

func newCertsCmd() *cobra.Command {
	var (
		dataDir, dir string
		extra, hosts []string
	)
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Create the development CA and certificates (hub, operator, every agency)",
		Long: `Create, in a folder, a development certificate authority and certificates
for the hub (a server certificate for 127.0.0.1, localhost and --host), the
NATS servers of an external cluster (nats.crt, for the same hosts), the operator,
and every agency of the built-in topology plus those named with --agency.
Each agency's certificate carries its identity as the URI SAN
urn:ndxp:agency:<code>. Existing files are kept; "ndxp up" does the same on
its first start, in <data dir>/certs.`,
		Example: `  ndxp certs
  ndxp certs --agency 000.00.99.G90 --dir ./certs
  ndxp certs --dir ./certs --host nats-1,nats-2,nats-3,hub-1,hub-2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataDir == "" {
				dataDir = platform.DefaultDataDir()
			}
			d := pki.DefaultDir(dataDir)
			if dir != "" {
				d = pki.Dir(dir)
			}
			topo, err := topology.Builtin("2023")
			if err != nil {
				return err
			}
			agencies := pki.Codes(extra...)
			for _, a := range topo.Agencies {
				agencies = append(agencies, pki.Agency{Code: a.Code, Kind: a.Kind})
			}
			if err := pki.EnsureHosts(d, agencies, hosts); err != nil {
				return err
			}
			have, err := d.Agencies()
			if err != nil {
				return err
			}
			cert, key := d.Files("000.00.00.H29")
			fmt.Fprintf(os.Stdout, "certificates in %s: CA, hub, operator and %d agencies\n  CA        %s\n  example   %s %s\n", d, len(have), d.CAFile(), cert, key)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the data dir of \"ndxp up\" (default: <user cache dir>/ndxp)")
	cmd.Flags().StringVar(&dir, "dir", "", "the certificate folder (default: <data dir>/certs)")
	cmd.Flags().StringSliceVar(&hosts, "host", nil, "host names or IP addresses the hub's and the NATS servers' certificates are for, besides localhost and 127.0.0.1 (when they are created; repeatable)")
	cmd.Flags().StringSliceVar(&extra, "agency", nil, "more agency codes to issue certificates for (repeatable)")
	return cmd
}
