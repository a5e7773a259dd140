package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/loadtest"
)

func newLoadtestDocumentsCmd() *cobra.Command {
	var (
		cf     clientFlags
		cfg    loadtest.DocumentConfig
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "documents",
		Short: "Replay a published month of the document exchange axis and reconcile it",
		Long: `Send a published month of the document axis (2021-08: 91,389 sent, 395,492
received; 2024-08: 143,756 sent, 624,634 received), scaled, between the
province LGSPs, each document to as many recipients as the month's split
gives; drain every recipient's inbox (acknowledging each document); then
compare the hub's document-sent and document-received counters of today
with what was sent and received. Exit status 1 if they differ.`,
		Example: `  ndxp loadtest documents --insecure --month 2024-08 --scale 0.01
  ndxp loadtest documents --month 2024-08 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			r, err := loadtest.RunDocuments(cmd.Context(), cfg, conn, nil)
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), r)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "month %s: %d documents sent, %d received in %.1f s (%.0f sent/s, %.0f received/s)\n",
					r.Month, r.Sent, r.Received, r.Seconds, r.SentPerSecond, r.ReceivedPerSecond)
				fmt.Fprintf(cmd.OutOrStdout(), "the hub counted %d document-sent and %d document-received: reconciled %v\n",
					r.CountedSent, r.CountedReceived, r.Reconciled)
			}
			if err == nil && !r.Reconciled {
				err = errNotGreen
			}
			return err
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&cfg.Month, "month", "2024-08", "the published month: 2021-08 or 2024-08")
	cmd.Flags().Float64Var(&cfg.Scale, "scale", 1, "the part of the month to replay, in (0, 1]")
	cmd.Flags().IntVar(&cfg.Concurrency, "concurrency", 16, "documents sent at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func newLoadtestBirthsCmd() *cobra.Command {
	var (
		cf     clientFlags
		cfg    loadtest.BirthConfig
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "births",
		Short: "Run event-driven birth procedures and reconcile the event deliveries",
		Long: `Submit birth procedures on life events (procedure-birth-events) to the
province LGSPs in turn: the civil registry publishes each birth, the
population database, social insurance and the provinces react. Then
compare the deliveries the hub counted with what the subscriptions imply:
one birth-registered per birth, one pid-issued per birth and subscriber
(social insurance and every province LGSP), one child-card-issued per
birth and province LGSP. Exit status 1 if they differ or a procedure did
not complete. Needs the whole topology (ndxp up).`,
		Example: "  ndxp loadtest births --insecure --births 1000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			r, err := loadtest.RunBirths(cmd.Context(), cfg, conn)
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), r)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d births, %d completed in %.1f s (%.1f/s); %d province LGSPs subscribe\n",
					r.Births, r.Completed, r.Seconds, r.PerSecond, r.Provinces)
				fmt.Fprintf(cmd.OutOrStdout(), "deliveries counted: %d birth-registered, %d pid-issued, %d child-card-issued: reconciled %v\n",
					r.BirthRegistered, r.PIDIssued, r.ChildCardIssued, r.Reconciled)
			}
			if err == nil && !r.Reconciled {
				err = errNotGreen
			}
			return err
		},
	}
	cf.register(cmd)
	cmd.Flags().IntVar(&cfg.Births, "births", 100, "procedures to run")
	cmd.Flags().IntVar(&cfg.Concurrency, "concurrency", 8, "procedures at once")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "the synthetic population's seed (the hub's)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
