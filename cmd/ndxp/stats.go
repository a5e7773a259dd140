package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newStatsCmd() *cobra.Command {
	var (
		cf     clientFlags
		req    hubv1.GetStatsRequest
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the transaction counters of a day or month",
		Long: `Show the hub's transaction counters for a business day (Vietnam time) or a
month: the total, successes and failures, and the breakdown by consumer,
provider, service and outcome code. Without --day or --month it shows today.`,
		Example: "  ndxp stats\n  ndxp stats --day 2022-03-15\n  ndxp stats --month 2023-05 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			req.Sync = true
			resp, err := hubv1.NewStatsServiceClient(conn).GetStats(cmd.Context(), &req)
			if err != nil {
				return fmt.Errorf("stats from %s: %w", cf.hub, err)
			}
			if asJSON {
				b, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: true}.Marshal(resp.GetStats())
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return err
			}
			return printStats(cmd, resp.GetStats())
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&req.Day, "day", "", "business day, YYYY-MM-DD")
	cmd.Flags().StringVar(&req.Month, "month", "", "business month, YYYY-MM")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of tables")
	return cmd
}

func printStats(cmd *cobra.Command, st *hubv1.Stats) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	c := st.GetCount()
	fmt.Fprintf(w, "period %s: %d transactions, %d succeeded, %d failed (all time: %d)\n",
		st.GetPeriod(), c.GetTotal(), c.GetSucceeded(), c.GetFailed(), st.GetAllTime().GetTotal())
	l := st.GetLatency()
	fmt.Fprintf(w, "hub latency: p50 %dµs  p90 %dµs  p99 %dµs  max %dµs\n", l.GetP50Us(), l.GetP90Us(), l.GetP99Us(), l.GetMaxUs())
	for _, sec := range []struct {
		title string
		b     []*hubv1.Bucket
	}{{"CONSUMER", st.GetByConsumer()}, {"PROVIDER", st.GetByProvider()}, {"SERVICE", st.GetByService()}, {"CODE", st.GetByCode()}, {"DAY", st.GetByDay()}} {
		if len(sec.b) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\tTOTAL\tSUCCEEDED\tFAILED\n", sec.title)
		for _, b := range sec.b {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", b.GetKey(), b.GetCount().GetTotal(), b.GetCount().GetSucceeded(), b.GetCount().GetFailed())
		}
	}
	return w.Flush()
}
