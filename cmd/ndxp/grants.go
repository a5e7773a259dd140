package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/hub/access"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newGrantsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List, add and revoke access grants (deny by default)",
		Long: `A consumer may call a provider's service only if the provider granted it,
to that consumer or to a group (every registered agency of a kind). Grants
take effect on every hub at once. Only the provider itself (--as <its code>)
or the operator (the default identity) may change a provider's grants. A grant
names a registered agency or a group; a provider may hold at most
--max-grants-per-provider of the hub (default 2000), and once the grant store
is 90% full only the operator may add grants.`,
	}
	cmd.AddCommand(newGrantsListCmd(), newGrantChangeCmd(true), newGrantChangeCmd(false), newGrantsAllowedCmd())
	return cmd
}

func newGrantsListCmd() *cobra.Command {
	var (
		cf       clientFlags
		provider string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List grants",
		Example: "  ndxp grants list\n  ndxp grants list --provider 000.00.01.G01 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewAccessServiceClient(conn).ListGrants(cmd.Context(), &hubv1.ListGrantsRequest{Provider: provider})
			if err != nil {
				return fmt.Errorf("list grants at %s: %w", cf.hub, err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), resp)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROVIDER\tSERVICE\tGRANTED TO\tBY")
			for _, g := range resp.GetGrants() {
				to := g.GetConsumer()
				if to == "" {
					to = "group " + topology.KindName(g.GetGroup())
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.GetProvider(), g.GetService(), to, g.GetGrantedBy())
			}
			return w.Flush()
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider's grants")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the ListGrantsResponse of the gRPC API) instead of a table")
	return cmd
}

// newGrantChangeCmd is "grants add" (add) or "grants revoke".
func newGrantChangeCmd(add bool) *cobra.Command {
	var (
		cf        clientFlags
		to, group string
	)
	use, short := "revoke", "Revoke a grant"
	if add {
		use, short = "add", "Grant a provider's service (or * for all) to a consumer or a group"
	}
	cmd := &cobra.Command{
		Use:     use + " PROVIDER/SERVICE (--to CODE | --group KIND)",
		Short:   short,
		Example: fmt.Sprintf("  ndxp grants %s 000.00.01.G01/citizen-lookup --to 000.00.00.H29\n  ndxp grants %s '000.00.01.G01/*' --group province-lgsp", use, use),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := parseGrant(args[0], to, group)
			if err != nil {
				return usageError{err}
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			c := hubv1.NewAccessServiceClient(conn)
			if add {
				_, err = c.Grant(cmd.Context(), &hubv1.GrantRequest{Grant: g})
			} else {
				_, err = c.Revoke(cmd.Context(), &hubv1.RevokeRequest{Grant: g})
			}
			if err != nil {
				return fmt.Errorf("%s %s: %w", use, access.Describe(g), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", map[bool]string{true: "granted", false: "revoked"}[add], access.Describe(g))
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the consumer agency's code")
	cmd.Flags().StringVar(&group, "group", "", "a group: every agency of this kind ("+strings.Join(topology.KindNames(), ", ")+")")
	return cmd
}

func parseGrant(ref, to, group string) (*hubv1.AccessGrant, error) {
	provider, service, ok := strings.Cut(ref, "/")
	if !ok {
		return nil, fmt.Errorf("%q: want PROVIDER/SERVICE, e.g. 000.00.01.G01/citizen-lookup or '000.00.01.G01/*'", ref)
	}
	g := &hubv1.AccessGrant{Provider: provider, Service: service}
	switch {
	case (to == "") == (group == ""):
		return nil, errors.New("give exactly one of --to CODE and --group KIND")
	case to != "":
		g.To = &hubv1.AccessGrant_Consumer{Consumer: to}
	default:
		k, err := topology.ParseKind(group)
		if err != nil {
			return nil, fmt.Errorf("--group: %w", err)
		}
		g.To = &hubv1.AccessGrant_Group{Group: k}
	}
	return g, access.Validate(g)
}

// newGrantsAllowedCmd is "grants allowed": the services a consumer may
// call (AccessService.ListAllowed, GET /r1/allowed on the REST ingress).
func newGrantsAllowedCmd() *cobra.Command {
	var (
		cf       clientFlags
		consumer string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:     "allowed",
		Short:   "List the services a consumer may call (its grants and its kind's)",
		Example: "  ndxp grants allowed --as 000.00.00.H29\n  ndxp grants allowed --consumer 000.00.00.H29 --json   # as the operator",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewAccessServiceClient(conn).ListAllowed(cmd.Context(), &hubv1.ListAllowedRequest{Consumer: consumer})
			if err != nil {
				return fmt.Errorf("list allowed services at %s: %w", cf.hub, err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), resp)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROVIDER\tSERVICE\tPERSONAL DATA\tPROVIDER NAME")
			for _, s := range resp.GetServices() {
				fmt.Fprintf(w, "%s\t%s\t%t\t%s\n", s.GetProvider(), s.GetService().GetCode(), s.GetService().GetPersonalData(), s.GetProviderName())
			}
			return w.Flush()
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&consumer, "consumer", "", "the consumer (the operator, or an insecure hub; an agency is its certificate)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the ListAllowedResponse of the gRPC API) instead of a table")
	return cmd
}
