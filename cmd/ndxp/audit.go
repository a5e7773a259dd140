package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/txlog"
)

// auditFlags locate the audit stream: NATS and the caller's identity
// (the operator's development certificate by default).
type auditFlags struct {
	cf      clientFlags
	natsURL string
	stream  string
}

func (f *auditFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.natsURL, "nats-url", "nats://127.0.0.1:4222", "the NATS server holding the audit stream")
	cmd.Flags().StringVar(&f.stream, "stream", audit.DefaultStream, "the audit stream's name")
	f.cf.registerTLS(cmd)
}

func (f *auditFlags) connect() (jetstream.JetStream, func(), error) {
	opts, err := f.cf.natsOptions()
	if err != nil {
		return nil, nil, err
	}
	nc, err := nats.Connect(f.natsURL, append(opts, nats.Name("ndxp-audit"))...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", f.natsURL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify and export the tamper-evident audit log",
		Long: `Every transaction's record (metadata and payload hashes, not the payloads) is
appended to the JetStream stream NDXP_AUDIT in a hash chain: each entry
carries the hash of the one before. "verify" checks the chain and names the
first broken record; "export" writes a window of records as JSON lines for
an inspector, who can check them with "verify --file".`,
	}
	cmd.AddCommand(newAuditVerifyCmd(), newAuditExportCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		f       auditFlags
		file    string
		records bool
	)
	cmd := &cobra.Command{
		Use:     "verify",
		Short:   "Check the audit chain and name the first broken record",
		Example: "  ndxp audit verify\n  ndxp audit verify --records\n  ndxp audit verify --file audit-2024-03.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				n   int
				err error
			)
			if file != "" {
				n, err = verifyFile(file)
			} else {
				js, closeFn, cerr := f.connect()
				if cerr != nil {
					return cerr
				}
				defer closeFn()
				if records {
					var missing int
					n, missing, err = audit.VerifyRecords(cmd.Context(), js, f.stream, txlog.DefaultStream)
					if missing > 0 {
						fmt.Fprintf(cmd.ErrOrStderr(), "%d transaction records no longer in %s (retention) were not compared\n", missing, txlog.DefaultStream)
					}
				} else {
					n, err = audit.Verify(cmd.Context(), js, f.stream)
				}
			}
			if err != nil {
				return fmt.Errorf("%d records verified before the break: %w", n, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d records verified\n", n)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&file, "file", "", "verify an exported JSON-lines file instead of the stream")
	cmd.Flags().BoolVar(&records, "records", false, "also compare every transaction record still in NDXP_TX with the hash the audit log holds")
	return cmd
}

// verifyFile checks an export: the records' hashes and links, from the
// first one on.
func verifyFile(name string) (int, error) {
	fh, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	var v audit.Verifier
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return v.Count(), fmt.Errorf("line %d: %w", line, err)
		}
		if err := v.Add(e.Seq, e); err != nil {
			return v.Count(), err
		}
	}
	return v.Count(), sc.Err()
}

func newAuditExportCmd() *cobra.Command {
	var (
		f             auditFlags
		from, to, out string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the audit records of a time window as JSON lines",
		Example: `  ndxp audit export --from 2024-03-01 --to 2024-04-01 --out audit-2024-03.jsonl
  ndxp audit export --from 2024-03-15T08:00:00+07:00`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lo, err := windowTime("--from", from, time.Time{})
			if err != nil {
				return err
			}
			hi, err := windowTime("--to", to, time.Now().Add(24*time.Hour))
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				fh, err := os.Create(out)
				if err != nil {
					return err
				}
				defer fh.Close()
				w = fh
			}
			js, closeFn, err := f.connect()
			if err != nil {
				return err
			}
			defer closeFn()
			n, err := export(cmd, js, f.stream, lo, hi, w)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d records exported\n", n)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "first time included (Vietnam time \"2024-03-15 08:00\", a date, RFC 3339 or a duration back from now); default: the beginning")
	cmd.Flags().StringVar(&to, "to", "", "first time excluded; default: no end")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

// export writes the entries received in [lo, hi), each as stored.
func export(cmd *cobra.Command, js jetstream.JetStream, stream string, lo, hi time.Time, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := audit.Each(cmd.Context(), js, stream, func(seq uint64, e audit.Entry, raw []byte, derr error) error {
		if derr != nil {
			return fmt.Errorf("record %d is not readable: %w", seq, derr)
		}
		t, err := time.Parse(time.RFC3339Nano, e.ReceivedAt)
		if err != nil || t.Before(lo) || !t.Before(hi) {
			return nil
		}
		n++
		_, err = fmt.Fprintf(bw, "%s\n", raw)
		return err
	})
	return n, errors.Join(err, bw.Flush())
}

// windowTime reads --from/--to (the forms "ndxp records" accepts), def
// when empty.
func windowTime(flag, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := parseTime(s, time.Now())
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	return t, nil
}
