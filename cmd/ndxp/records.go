package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// maxRecordsPage is the largest page QueryRecords serves.
const maxRecordsPage = 1000

func newRecordsCmd() *cobra.Command {
	var (
		cf       clientFlags
		from, to string
		req      hubv1.QueryRecordsRequest
		limit    int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "records",
		Short: "List transaction records of a time window (who called what, when)",
		Long: `List the hub's transaction records (operational monitoring): one line per
exchange with when it was received (Vietnam time), consumer, provider,
service, outcome, duration and sizes, oldest first.

--from and --to take a time in Vietnam time ("10:05", "10:05:30" today,
"2023-05-20 10:05", "2023-05-20"), RFC 3339 ("2023-05-20T03:05:00Z") or a
duration back from now ("15m" is 15 minutes ago). --agency keeps the
records where that agency is the consumer or the provider.`,
		Example: `  # who called the population database between 10:05 and 10:06 today
  ndxp records --agency 000.00.01.G01 --from 10:05 --to 10:06
  ndxp records --service citizen-lookup --from 15m --json
  # what a replay counted on 2 May 2023 between 10:00 and 11:00
  ndxp records --business-time --from "2023-05-02 10:00" --to "2023-05-02 11:00"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if req.From, err = timeFlag("--from", from, now); err != nil {
				return err
			}
			if req.To, err = timeFlag("--to", to, now); err != nil {
				return err
			}
			if limit < 0 {
				return fmt.Errorf("--limit %d: want 0 (no limit) or more", limit)
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			client := hubv1.NewStatsServiceClient(conn)
			out := recordPrinter(cmd.OutOrStdout(), asJSON)
			for n := 0; limit == 0 || n < limit; {
				req.PageSize = maxRecordsPage
				if limit > 0 {
					req.PageSize = int32(min(limit-n, maxRecordsPage))
				}
				resp, err := client.QueryRecords(cmd.Context(), &req)
				if err != nil {
					return fmt.Errorf("records from %s: %w", cf.hub, err)
				}
				for _, r := range resp.GetRecords() {
					if err := out.print(r); err != nil {
						return err
					}
				}
				n += len(resp.GetRecords())
				if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return out.flush()
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "start of the window (inclusive); default: the oldest record kept")
	cmd.Flags().StringVar(&to, "to", "", "end of the window (exclusive); default: now")
	cmd.Flags().StringVar(&req.Agency, "agency", "", "only records where this agency code is the consumer or the provider")
	cmd.Flags().StringVar(&req.Service, "service", "", "only records of this service code")
	cmd.Flags().IntVar(&limit, "limit", 100, "print at most this many records; 0 prints them all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON record per line instead of a table")
	cmd.Flags().BoolVar(&req.ByBusinessTime, "business-time", false, "apply --from and --to to the business time (the day a replay counts a record on) instead of when the hub received it; reads the whole stream")
	return cmd
}

// timeLayouts are the Vietnam-time forms --from and --to accept.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly}

// parseTime reads a --from/--to value relative to now.
func parseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, vn.Zone); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, vn.Zone); err == nil {
			y, m, d := now.In(vn.Zone).Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, vn.Zone), nil
		}
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New(`want a Vietnam time ("10:05", "2023-05-20 10:05", "2023-05-20"), RFC 3339 or a duration back from now ("15m")`)
}

func timeFlag(name, s string, now time.Time) (*timestamppb.Timestamp, error) {
	if s == "" {
		return nil, nil
	}
	t, err := parseTime(s, now)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", name, s, err)
	}
	return timestamppb.New(t), nil
}

// recordOut prints records as a table or as JSON lines.
type recordOut struct {
	w      io.Writer
	tw     *tabwriter.Writer
	asJSON bool
	header bool
}

func recordPrinter(w io.Writer, asJSON bool) *recordOut {
	return &recordOut{w: w, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0), asJSON: asJSON}
}

func (o *recordOut) print(r *hubv1.TransactionRecord) error {
	if o.asJSON {
		return writeJSONLine(o.w, r)
	}
	if !o.header {
		fmt.Fprintln(o.tw, "RECEIVED (ICT)\tCONSUMER\tPROVIDER\tSERVICE\tCODE\tMS\tREQ B\tRESP B\tMESSAGE ID\tPURPOSE\tUSER")
		o.header = true
	}
	_, err := fmt.Fprintln(o.tw, recordLine(r))
	return err
}

// recordLine is one record as a tab-separated table row.
func recordLine(r *hubv1.TransactionRecord) string {
	ms := float64(r.GetAnsweredAt().AsTime().Sub(r.GetReceivedAt().AsTime()).Microseconds()) / 1000
	code := wire.CodeName(r.GetCode())
	if n := r.GetCount(); n > 1 {
		code += fmt.Sprintf(" x%d", n) // an aggregate of refusals
	}
	return strings.Join([]string{
		r.GetReceivedAt().AsTime().In(vn.Zone).Format("2006-01-02 15:04:05.000"),
		blank(r.GetConsumer()), blank(r.GetProvider()), blank(r.GetService()), code,
		fmt.Sprintf("%.1f", ms), fmt.Sprint(r.GetRequestSize()), fmt.Sprint(r.GetResponseSize()),
		r.GetMessageId(), blank(r.GetPurpose()), blank(r.GetUserId()),
	}, "\t")
}

func (o *recordOut) flush() error {
	if !o.asJSON && !o.header {
		_, err := fmt.Fprintln(o.w, "no records match")
		return err
	}
	return o.tw.Flush()
}

func blank(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
