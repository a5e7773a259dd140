package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// printHours prints the period's counters by business hour, Vietnam time.
func printHours(cmd *cobra.Command, st *hubv1.Stats, rows bool) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	c := st.GetCount()
	fmt.Fprintf(w, "period %s by business hour (Vietnam time, UTC+7): %s transactions, %s succeeded, %s failed\n",
		st.GetPeriod(), group(c.GetTotal()), group(c.GetSucceeded()), group(c.GetFailed()))
	fmt.Fprintf(w, "\nHOUR (ICT)\tTOTAL\tSUCCEEDED\tFAILED\n")
	for _, b := range st.GetByHour() {
		fmt.Fprintf(w, "%s:00-%s:59\t%s\t%s\t%s\n", b.GetKey(), b.GetKey(), group(b.GetCount().GetTotal()), group(b.GetCount().GetSucceeded()), group(b.GetCount().GetFailed()))
	}
	if rows {
		fmt.Fprintln(w, "\nHOUR (ICT)\tPROVIDER\tSERVICE\tCODE\tCOUNT")
		for _, r := range st.GetHourRows() {
			fmt.Fprintf(w, "%02d\t%s\t%s\t%s\t%s\n", r.GetHour(), blank(r.GetProvider()), blank(r.GetService()), r.GetCode(), group(r.GetCount()))
		}
	}
	return w.Flush()
}
