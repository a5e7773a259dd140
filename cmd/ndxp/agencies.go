package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newAgenciesCmd() *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "agencies",
		Short:   "List the agencies registered with the hub and the services each provides",
		Example: "  ndxp agencies\n  ndxp agencies --json --hub 127.0.0.1:9090",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewRegistryServiceClient(conn).ListAgencies(cmd.Context(), &hubv1.ListAgenciesRequest{})
			if err != nil {
				return fmt.Errorf("list agencies at %s: %w", cf.hub, err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), resp)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CODE\tKIND\tNAME\tSERVICES")
			for _, a := range resp.GetAgencies() {
				var svcs []string
				for _, s := range a.GetServices() {
					svcs = append(svcs, s.GetCode())
				}
				kind := strings.ToLower(strings.TrimPrefix(a.GetKind().String(), "AGENCY_KIND_"))
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.GetCode(), kind, a.GetName(), strings.Join(svcs, ","))
			}
			return w.Flush()
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}
