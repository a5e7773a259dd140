package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// runCLICtx runs the ndxp command line with args under ctx.
func runCLICtx(ctx context.Context, args ...string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestAuditVerifyNamesTheEditedRecord runs "ndxp audit verify" over TLS
// against a secure system, before and after one audit block is edited.
func TestAuditVerifyNamesTheEditedRecord(t *testing.T) {
	const consumer = "000.00.00.H29"
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h29 := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer))
	for i := range 5 {
		// Succeeded, refused and failed transactions are all audited.
		_, _ = h29.Exchange(ctx, &hubv1.ExchangeRequest{Provider: population.Code, Service: population.ServiceLookup, MessageId: fmt.Sprint("m", i)})
	}
	flags := []string{"--nats-url", env.NATSURL(), "--certs", string(env.Certs())}
	hubtest.Eventually(t, 30*time.Second, func() error {
		out, err := runCLICtx(ctx, append([]string{"audit", "verify", "--records"}, flags...)...)
		if err != nil || !strings.Contains(out, " 5 entries") || !strings.Contains(out, "records: 5 compared") || !strings.Contains(out, "intact") {
			return fmt.Errorf("verify: %q, %v", out, err)
		}
		return nil
	})
	intact := verifyJSON(t, ctx, append([]string{"audit", "verify", "--records", "--json"}, flags...), nil)
	if !intact.Intact || intact.Break != "" || intact.Entries != 5 || intact.Compared != 5 || !intact.SignaturesChecked || !intact.RecordsChecked {
		t.Fatalf("verify --json of an intact chain: %+v", intact)
	}
	export := filepath.Join(t.TempDir(), "audit.jsonl")
	if out, err := runCLICtx(ctx, append([]string{"audit", "export", "--from", "2020-01-01", "--out", export}, flags...)...); err != nil {
		t.Fatalf("export: %q, %v", out, err)
	}
	if out, err := runCLICtx(ctx, "audit", "verify", "--file", export, "--certs", string(env.Certs())); err != nil || !strings.Contains(out, " 5 entries") {
		t.Fatalf("verify --file: %q, %v", out, err)
	}
	// An empty export is not an intact chain.
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLICtx(ctx, "audit", "verify", "--file", empty, "--insecure"); err == nil {
		t.Fatalf("verify --file of an empty file passed: %q", out)
	}
	// An agency may not read the audit log.
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if _, err := runCLICtx(sctx, append([]string{"audit", "verify", "--as", consumer}, flags...)...); err == nil {
		t.Fatal("an agency read the audit stream")
	}

	tamper(t, ctx, env, 1)
	out, err := runCLICtx(ctx, append([]string{"audit", "verify"}, flags...)...)
	if err == nil || !strings.Contains(err.Error(), "chain broken at block 1 ") {
		t.Fatalf("verify after editing block 1: %q, %v", out, err)
	}
	broken := verifyJSON(t, ctx, append([]string{"audit", "verify", "--json"}, flags...), func(err error) bool { return exitCode(err) == exitFailure })
	if broken.Intact || !strings.Contains(broken.Break, "chain broken at block 1 ") {
		t.Fatalf("verify --json after editing block 1: %+v", broken)
	}
}

// verifyJSON runs `audit verify --json` (args) and decodes its stdout,
// which must be one JSON document whatever the outcome; wantErr says which
// error the command may return (nil: none).
func verifyJSON(t *testing.T, ctx context.Context, args []string, wantErr func(error) bool) verifyResult {
	t.Helper()
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if (err != nil) != (wantErr != nil) || (err != nil && !wantErr(err)) {
		t.Fatalf("%v: %v (stderr %q)", args, err, stderr.String())
	}
	var r verifyResult
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if derr := dec.Decode(&r); derr != nil || dec.More() {
		t.Fatalf("%v: stdout is not one JSON document (%v): %q", args, derr, stdout.String())
	}
	return r
}

// tamper rewrites the audit stream with the first entry of block seq
// naming another consumer, as someone with a hub's NATS credentials (write
// access to JetStream) could.
func tamper(t *testing.T, ctx context.Context, env *hubtest.Env, seq uint64) {
	t.Helper()
	cfg, err := env.Certs().ClientTLS(pki.Hub)
	if err != nil {
		t.Fatal(err)
	}
	js := hubtest.JetStream(t, env.NATSURL(), nats.Secure(cfg))
	var lines [][]byte
	if err := audit.Each(ctx, js, audit.DefaultStream, func(_ uint64, b *audit.Block, raw []byte, _ error) error {
		if b.Seq == seq {
			b.Entries[0].Consumer = "000.00.00.H01"
			raw, _ = json.Marshal(b)
		}
		lines = append(lines, raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, audit.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// Re-created rather than purged: a purge would show as removed blocks.
	if err := js.DeleteStream(ctx, audit.DefaultStream); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, s.CachedInfo().Config); err != nil {
		t.Fatal(err)
	}
	for _, b := range lines {
		if _, err := js.Publish(ctx, audit.DefaultSubject, b); err != nil {
			t.Fatal(err)
		}
	}
}
