package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newDeclareCmd() *cobra.Command {
	var (
		cf      clientFlags
		o       hubv1.DeclaredOffset
		profile string
	)
	cmd := &cobra.Command{
		Use:   "declare",
		Short: "Declare the transactions since launch that the hub did not count (operator)",
		Long: `Declare a published cumulative figure instead of replaying it: the hub then
shows "since launch" as this declared offset plus what it counted, the two
kept apart (ndxp stats, /api/stats, the dashboard). --profile takes the
figure a built-in profile publishes (2023-05: over 1.3 billion by 20 May
2023). --total 0 clears the offset. Only the operator may declare.`,
		Example: "  ndxp stats declare --profile 2023-05\n  ndxp stats declare --total 1300000000 --as-of 2023-05-20 --source \"MIC report H1 2023\"\n  ndxp stats declare --total 0",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if profile != "" {
				p, err := loadtest.LoadProfile(profile)
				if err != nil {
					return err
				}
				if p.SinceLaunch == nil {
					return fmt.Errorf("--profile %s publishes no figure since launch", profile)
				}
				o.Total, o.AsOf, o.Source = p.SinceLaunch.Total, p.SinceLaunch.AsOf, p.SinceLaunch.Source
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewStatsServiceClient(conn).DeclareOffset(cmd.Context(), &hubv1.DeclareOffsetRequest{Offset: &o})
			if err != nil {
				return fmt.Errorf("declare at %s: %w", cf.hub, err)
			}
			d := resp.GetOffset()
			if d.GetTotal() == 0 {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "declared offset cleared")
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "declared %s transactions since launch as of %s (%s), not counted by the hub\n", group(d.GetTotal()), d.GetAsOf(), d.GetSource())
			return err
		},
	}
	cf.register(cmd)
	cmd.Flags().Int64Var(&o.Total, "total", 0, "transactions since launch not counted by the hub; 0 clears")
	cmd.Flags().StringVar(&o.AsOf, "as-of", "", "the business day the figure is published for, YYYY-MM-DD")
	cmd.Flags().StringVar(&o.Source, "source", "", "where the figure comes from")
	cmd.Flags().StringVar(&profile, "profile", "", "take the figure a built-in profile publishes (2023-05)")
	return cmd
}
