package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	cmd.Flags().StringVar(&f.natsURL, "nats-url", fromEnv(envNATSURL, "nats://127.0.0.1:4222"), "the NATS server holding the audit stream, or $"+envNATSURL)
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
chained, in the order of the record stream, into signed blocks in the
JetStream stream NDXP_AUDIT: each block carries the hash of the one before
and the signature of the hub that wrote it (its certificate's key), so
neither an edit nor a forgery with NATS credentials alone goes unnoticed.
"verify" checks the chain (hashes, links, signatures against the CA) and
names the first broken block; with --records it also compares every record
still in NDXP_TX with its entry, field by field, and checks that every
record kept is chained. "export" writes the blocks of a time window as JSON
lines for an inspector, who can check them with "verify --file".

Exit status: 0 when the chain holds (blocks removed by the stream's own
retention are reported, not an error); 1 at the first break, which is
named: an edited, forged, missing or unsigned block, a deleted or edited
record, records that were never chained.`,
	}
	cmd.AddCommand(newAuditVerifyCmd(), newAuditExportCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		f       auditFlags
		file    string
		records bool
		asJSON  bool
		maxLag  time.Duration
	)
	cmd := &cobra.Command{
		Use:     "verify",
		Short:   "Check the audit chain and name the first broken block or record",
		Example: "  ndxp audit verify\n  ndxp audit verify --records\n  ndxp audit verify --json | jq .intact\n  ndxp audit verify --file audit-2024-03.jsonl\n  ndxp audit verify --insecure   # a chain written by a hub started with --insecure (hashes only)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			trust, err := f.trust()
			if err != nil {
				return err
			}
			var r audit.Report
			if file != "" {
				r, err = verifyFile(file, trust)
			} else {
				js, closeFn, cerr := f.connect()
				if cerr != nil {
					return cerr
				}
				defer closeFn()
				opt := audit.Options{Trust: trust, MaxLag: maxLag}
				if records {
					opt.TxStream = txlog.DefaultStream
				}
				r, err = audit.Verify(cmd.Context(), js, f.stream, opt)
			}
			if asJSON {
				if jerr := writeJSON(cmd.OutOrStdout(), newVerifyResult(r, err, trust != nil, records)); jerr != nil {
					return jerr
				}
				if err != nil {
					return failedError{fmt.Sprintf("audit chain broken after %d blocks: %v", r.Blocks, err)}
				}
				return nil
			}
			printReport(cmd.OutOrStdout(), r, trust != nil, records)
			if err != nil {
				return fmt.Errorf("%d blocks verified before the break: %w", r.Blocks, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "audit chain intact")
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&file, "file", "", "verify an exported JSON-lines file instead of the stream")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON on stdout (intact, the break, the figures below); the exit status is the same")
	cmd.Flags().BoolVar(&records, "records", false, "also compare every transaction record still in NDXP_TX with its entry, and check every record kept is chained")
	cmd.Flags().DurationVar(&maxLag, "max-lag", audit.DefaultMaxLag, "with --records: a record stored longer ago than this and not chained is a break")
	return cmd
}

// verifyResult is the outcome of `audit verify --json`.
type verifyResult struct {
	// Intact is true when the chain (and with --records, every record)
	// holds; Break names the first broken block or record otherwise.
	Intact bool   `json:"intact"`
	Break  string `json:"break"`
	// Blocks and Entries passed before any break; Signed of the blocks
	// carry a hub's signature, checked against the CA when
	// SignaturesChecked (false with --insecure: hashes and links only).
	Blocks            int  `json:"blocks"`
	Entries           int  `json:"entries"`
	Signed            int  `json:"signed"`
	SignaturesChecked bool `json:"signatures_checked"`
	// FirstBlock and LastBlock are the positions of the first and last
	// block kept; TxFirst and TxLast the transactions they cover.
	FirstBlock uint64 `json:"first_block"`
	LastBlock  uint64 `json:"last_block"`
	TxFirst    uint64 `json:"tx_first"`
	TxLast     uint64 `json:"tx_last"`
	// RemovedBlocks were removed by the stream's retention (RetentionSeconds
	// its max age), before the first block kept: reported, not a break.
	RemovedBlocks    uint64 `json:"removed_blocks"`
	RetentionSeconds int64  `json:"retention_seconds"`
	// Absent are the transaction ranges the chain writes down as absent.
	Absent []audit.Range `json:"absent"`
	// RecordsChecked is --records; then Compared records matched their
	// entries, Expired left NDXP_TX by its retention, Pending were stored
	// after the chain's last block (not chained yet).
	RecordsChecked bool   `json:"records_checked"`
	Compared       int    `json:"compared"`
	Expired        int    `json:"expired"`
	Pending        uint64 `json:"pending"`
}

func newVerifyResult(r audit.Report, err error, signed, records bool) verifyResult {
	v := verifyResult{
		Intact: err == nil, Blocks: r.Blocks, Entries: r.Entries, Signed: r.Signed, SignaturesChecked: signed,
		FirstBlock: r.FirstBlock, LastBlock: r.LastBlock, TxFirst: r.TxFirst, TxLast: r.TxLast,
		RemovedBlocks: r.Removed, RetentionSeconds: int64(r.Retention / time.Second), Absent: r.Absent,
		RecordsChecked: records, Compared: r.Compared, Expired: r.Expired, Pending: r.Pending,
	}
	if err != nil {
		v.Break = err.Error()
	}
	if v.Absent == nil {
		v.Absent = []audit.Range{}
	}
	return v
}

// trust is how signatures are checked: against the CA of the caller's
// certificates; with --insecure not at all (hashes and links only).
func (f *auditFlags) trust() (*audit.Trust, error) {
	cfg, err := f.cf.tlsConfig()
	if err != nil || cfg == nil {
		return nil, err
	}
	if cfg.RootCAs == nil {
		return nil, errors.New("no CA to check the audit signatures with: give --ca")
	}
	return &audit.Trust{Roots: cfg.RootCAs}, nil
}

// printReport writes what the verification found before any break.
func printReport(w io.Writer, r audit.Report, signed, records bool) {
	fmt.Fprintf(w, "%d blocks, %d entries", r.Blocks, r.Entries)
	if r.Blocks > 0 {
		fmt.Fprintf(w, " (blocks %d-%d, transactions %d-%d)", r.FirstBlock, r.LastBlock, r.TxFirst, r.TxLast)
	}
	fmt.Fprintln(w)
	if signed {
		fmt.Fprintf(w, "signatures: %d blocks signed by a hub certificate of the CA\n", r.Signed)
	} else {
		fmt.Fprintln(w, "signatures: not checked (--insecure: hashes and links only)")
	}
	if r.Removed > 0 {
		fmt.Fprintf(w, "retention: %d older blocks removed by the stream's max age (%s)\n", r.Removed, r.Retention)
	}
	if records {
		fmt.Fprintf(w, "records: %d compared field by field, %d expired by the record stream's retention, %d not chained yet\n", r.Compared, r.Expired, r.Pending)
	}
}

// verifyFile checks an export: the blocks' hashes, signatures and links,
// from the first one on.
func verifyFile(name string, trust *audit.Trust) (audit.Report, error) {
	var r audit.Report
	fh, err := os.Open(name)
	if err != nil {
		return r, err
	}
	defer fh.Close()
	v := &audit.Verifier{Trust: trust}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		var b audit.Block
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			return r, fmt.Errorf("line %d: %w", line, err)
		}
		if err := v.Add(uint64(line), &b); err != nil {
			v.Report(&r)
			return r, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if n == 0 {
		return r, fmt.Errorf("%s holds no audit blocks (was the export interrupted?)", name)
	}
	v.Report(&r)
	return r, v.Finish()
}

func newAuditExportCmd() *cobra.Command {
	var (
		f             auditFlags
		from, to, out string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the audit blocks of a time window as JSON lines",
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
			js, closeFn, err := f.connect()
			if err != nil {
				return err
			}
			defer closeFn()
			n, err := exportTo(cmd, js, f.stream, lo, hi, out)
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

// exportTo exports to the file out (standard output if ""): written to a
// temporary file renamed into place once complete, so that a failed export
// leaves no file that looks like an export.
func exportTo(cmd *cobra.Command, js jetstream.JetStream, stream string, lo, hi time.Time, out string) (int, error) {
	if out == "" {
		return export(cmd, js, stream, lo, hi, cmd.OutOrStdout())
	}
	fh, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".part-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(fh.Name()) // after a successful rename, nothing is there
	n, err := export(cmd, js, stream, lo, hi, fh)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(fh.Name(), out)
	}
	return n, err
}

// export writes the blocks holding an entry received in [lo, hi), each
// whole and as stored (a block's signature covers all its entries).
func export(cmd *cobra.Command, js jetstream.JetStream, stream string, lo, hi time.Time, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := audit.Each(cmd.Context(), js, stream, func(seq uint64, b *audit.Block, raw []byte, derr error) error {
		if derr != nil {
			return fmt.Errorf("block stored at %d is not readable: %w", seq, derr)
		}
		if !b.Overlaps(lo, hi) {
			return nil
		}
		n++
		_, err := fmt.Fprintf(bw, "%s\n", raw)
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
