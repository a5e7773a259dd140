package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
)

func newAgencyCmd(g *globalFlags) *cobra.Command {
	var (
		natsURL string
		cf      clientFlags
		seed    uint64
	)
	cmd := &cobra.Command{
		Use:   "agency",
		Short: "Run simulated agency nodes against an existing hub and NATS",
		Long: `Run simulated agency nodes against a hub and NATS that are already running
(for example those of "ndxp hub", or of "ndxp up" for a second instance).
Each node joins NATS as a micro service, registers with the hub and serves
its services until Ctrl-C. Running a second instance of an agency shares
its load: NATS spreads requests over the instances.`,
		Example: `  ndxp agency --nats-url nats://127.0.0.1:4222 --hub 127.0.0.1:9090`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			grp := &node.Group{Services: []node.Service{population.New(population.Config{Seed: seed})}, Log: log.Named("agency")}
			if !cf.insecure {
				grp.UseCerts(cf.certs(), true)
			}
			if err := grp.Start(cmd.Context(), natsURL, cf.hub); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%d agency node(s) serving via %s, registered with %s; Ctrl-C to stop\n", len(grp.Services), natsURL, cf.hub)
			<-cmd.Context().Done()
			log.Info("stopping agency nodes")
			if err := grp.Stop(); err != nil {
				log.Warn("stop", zap.Error(err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&natsURL, "nats-url", "nats://127.0.0.1:4222", "the NATS server the hub uses")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the synthetic population (use the same as the other instances)")
	cf.register(cmd)
	return cmd
}
