package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newStatsCmd() *cobra.Command {
	var (
		cf     clientFlags
		req    hubv1.GetStatsRequest
		asJSON bool
		rows   bool
		by     string
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the transaction counters of a day or month",
		Long: `Show the hub's transaction counters for a business day (Vietnam time) or a
month: the total, successes and failures, and the breakdown by consumer,
provider, service and outcome code, and the hub-side latency. Without --day
or --month it shows today. The hub first counts every record already
stored, so the figures include every exchange finished before the call.`,
		Example: "  ndxp stats\n  ndxp stats --day 2022-03-15\n  ndxp stats --day 2023-05-02 --by hour\n  ndxp stats --month 2023-05 --json",
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
				return writeJSON(cmd.OutOrStdout(), resp.GetStats())
			}
			if by == "hour" {
				return printHours(cmd, resp.GetStats(), rows)
			}
			return printStats(cmd, resp.GetStats(), rows)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&req.Day, "day", "", "business day, YYYY-MM-DD")
	cmd.Flags().StringVar(&req.Month, "month", "", "business month, YYYY-MM")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the Stats message of the gRPC API) instead of tables")
	cmd.Flags().BoolVar(&rows, "rows", false, "also print the finest counters: one row per consumer, provider, service and outcome")
	cmd.Flags().StringVar(&by, "by", "", `"hour": the period's 24 business hours (Vietnam time) instead; with --rows, by service and outcome too`)
	cmd.AddCommand(newDeclareCmd())
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if by != "" && by != "hour" {
			return fmt.Errorf("--by %q: want hour", by)
		}
		return nil
	}
	return cmd
}

func printStats(cmd *cobra.Command, st *hubv1.Stats, rows bool) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	c := st.GetCount()
	fmt.Fprintf(w, "period %s: %s transactions, %s succeeded, %s failed (%s errors)\n",
		st.GetPeriod(), group(c.GetTotal()), group(c.GetSucceeded()), group(c.GetFailed()), percent(c.GetFailed(), c.GetTotal()))
	fmt.Fprintf(w, "all time: %s transactions, up to record %d\n", group(st.GetAllTime().GetTotal()), st.GetSequence())
	if d := st.GetDeclared(); d != nil {
		fmt.Fprintf(w, "since launch: %s = %s declared as of %s (%s, not counted) + %s counted\n",
			group(st.GetSinceLaunch()), group(d.GetTotal()), d.GetAsOf(), d.GetSource(), group(st.GetAllTime().GetTotal()))
	}
	l := st.GetLatency()
	fmt.Fprintf(w, "hub latency: p50 %s  p90 %s  p99 %s  max %s\n", ms(l.GetP50Us()), ms(l.GetP90Us()), ms(l.GetP99Us()), ms(l.GetMaxUs()))
	for _, sec := range []struct {
		title string
		b     []*hubv1.Bucket
	}{{"CONSUMER", st.GetByConsumer()}, {"PROVIDER", st.GetByProvider()}, {"SERVICE", st.GetByService()}, {"CODE", st.GetByCode()}, {"DAY", st.GetByDay()}} {
		if len(sec.b) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\tTOTAL\tSUCCEEDED\tFAILED\n", sec.title)
		for _, b := range sec.b {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", blank(b.GetKey()), group(b.GetCount().GetTotal()), group(b.GetCount().GetSucceeded()), group(b.GetCount().GetFailed()))
		}
	}
	if rows {
		fmt.Fprintln(w, "\nCONSUMER\tPROVIDER\tSERVICE\tCODE\tCOUNT")
		for _, r := range st.GetRows() {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", blank(r.GetConsumer()), blank(r.GetProvider()), blank(r.GetService()), r.GetCode(), group(r.GetCount()))
		}
	}
	return w.Flush()
}
