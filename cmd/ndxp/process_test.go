package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
)

// The test binary is also ndxp: with NDXP_TEST_RUN_MAIN=1 it runs main,
// so tests can run the command line as a real process (exit status, file
// descriptors, signals) without building a binary.
func TestMain(m *testing.M) {
	if os.Getenv("NDXP_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// ndxpProcess is the command line as a process, stopped when the test
// ends.
func ndxpProcess(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "NDXP_TEST_RUN_MAIN=1")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	return cmd
}

// isControl reports a control character other than a newline or a tab.
func isControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

// runProcess runs ndxp with args to the end and returns its exit status,
// stdout and stderr.
func runProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ndxpProcess(t, ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("ndxp %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String()
}

// TestExitStatus: the process's exit status tells a usage error (2), a
// hub that cannot be reached (3), a failed operation (1) and success (0)
// apart, and each error says what to do.
func TestExitStatus(t *testing.T) {
	env := hubtest.Start(t)
	hub := "--hub=" + env.GRPCAddr()
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"ok", []string{"agencies", "--insecure", hub}, exitOK, ""},
		{"unknown flag", []string{"stats", "--insecure", hub, "--bogus"}, exitUsage, "Run 'ndxp stats --help' for usage."},
		{"unknown command", []string{"stat"}, exitUsage, "did you mean stats?"},
		{"extra argument", []string{"agencies", "extra"}, exitUsage, `unknown command "extra" for "ndxp agencies"`},
		{"bad flag value", []string{"top", "--insecure", hub, "--interval", "1ms"}, exitUsage, "want at least 100ms"},
		{"no consumer", []string{"call", "--insecure", hub, "000.00.01.G01/citizen-lookup", "{}"}, exitUsage, "--consumer"},
		{"hub not running", []string{"agencies", "--insecure", "--hub", "127.0.0.1:1"}, exitUnreachable, "hint: nothing listens there"},
		{"NATS not running", []string{"agency", "--insecure", "--nats-url", "nats://127.0.0.1:1", "--only", "national-database"}, exitUnreachable, "hint: start the hub"},
		{"refused", []string{"call", "--insecure", hub, "--consumer", "000.00.00.H29", "000.00.01.G01/citizen-lookup", `{"personalId": "x"}`}, exitFailure, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runProcess(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("ndxp %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
			}
		})
	}
}

// TestConnectionHints: TLS and identity mistakes against a secure hub
// exit 3 (or 2) with a hint naming the flag that fixes them.
func TestConnectionHints(t *testing.T) {
	secure := hubtest.Start(t, hubtest.WithSecurity())
	plain := hubtest.Start(t, hubtest.WithoutPopulation())
	other := pki.Dir(t.TempDir())
	if err := pki.Ensure(other, nil); err != nil {
		t.Fatal(err)
	}
	certs := "--certs=" + string(secure.Certs())
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"plaintext to a TLS hub", []string{"agencies", "--hub", secure.GRPCAddr(), "--insecure"}, exitUnreachable, "drop --insecure"},
		{"TLS to a plaintext hub", []string{"agencies", "--hub", plain.GRPCAddr(), certs}, exitUnreachable, "add --insecure"},
		{"another CA", []string{"agencies", "--hub", secure.GRPCAddr(), "--certs=" + string(other)}, exitUnreachable, "not from your CA"},
		{"no identity for a call", []string{"call", "--hub", secure.GRPCAddr(), certs, "000.00.01.G01/citizen-lookup", "{}"}, exitUsage, "--as <code>"},
		{"no certificates", []string{"agencies", "--hub", secure.GRPCAddr(), "--certs=" + t.TempDir()}, exitFailure, "start \"ndxp up\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := execute(t, ctx, tt.args...)
			if code := exitCode(err); code != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ndxp %s: %v (exit %d); want exit %d and %q", strings.Join(tt.args, " "), err, code, tt.code, tt.want)
			}
		})
	}
}

// TestJSONLogsAreJSON runs `ndxp up --log-format json` as a container
// does and parses every line it writes to stderr as JSON: the banner is
// one log line, and a client's mistake at the NATS edge (a certificate
// publishing where it may not, a connection without a certificate) is a
// warning without a stack trace. stdout stays empty.
func TestJSONLogsAreJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	cmd := ndxpProcess(t, ctx, "up", "--log-format", "json", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--rest-addr", "127.0.0.1:0",
		"--nats-listen", "127.0.0.1:-1", "--data-dir", dataDir)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := &jsonLines{}
	go lines.read(stderr)

	up := lines.await(t, func(l map[string]any) bool { return l["msg"] == "ndxp is up" })
	natsURL, _ := up["nats"].(string)
	certDir, _ := up["certs"].(string)
	if natsURL == "" || certDir == "" || up["grpc"] == nil {
		t.Fatalf("banner line %v lacks nats, certs or grpc", up)
	}
	agencyTLS, err := pki.Dir(certDir).ClientTLS("000.00.00.H29")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, nats.Secure(agencyTLS), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("ndxp.svc.000_00_01_G01.citizen-lookup", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	pool, err := pki.Dir(certDir).CAPool()
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := nats.Connect(natsURL, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})); err == nil {
		bad.Close()
		t.Fatal("NATS took a connection without a client certificate")
	}
	for _, want := range []string{"Publish Violation", "handshake error"} {
		l := lines.await(t, func(l map[string]any) bool { m, _ := l["msg"].(string); return strings.Contains(m, want) })
		if l["level"] != "warn" || l["stacktrace"] != nil {
			t.Errorf("%q logged as %v, want a warning without a stack trace", want, l)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ndxp up exited with %v", err)
	}
	lines.mu.Lock()
	defer lines.mu.Unlock()
	if lines.bad != nil {
		t.Fatalf("stderr line is not JSON: %q", lines.bad)
	}
	if n := len(lines.all); n < 3 || lines.all[n-1]["msg"] != "stopped" {
		t.Errorf("stderr had %d JSON lines, want the log through \"stopped\": %v", n, lines.all)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

// jsonLines collects a stream's lines parsed as JSON objects.
type jsonLines struct {
	mu  sync.Mutex
	all []map[string]any
	bad []byte // the first line that is not a JSON object
}

func (j *jsonLines) read(r io.Reader) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		var m map[string]any
		err := json.Unmarshal(s.Bytes(), &m)
		j.mu.Lock()
		if err != nil && j.bad == nil {
			j.bad = bytes.Clone(s.Bytes())
		} else if err == nil {
			j.all = append(j.all, m)
		}
		j.mu.Unlock()
	}
}

// await returns the first line matching ok, failing on a line that is
// not JSON.
func (j *jsonLines) await(t *testing.T, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	hubtest.Eventually(t, 2*time.Minute, func() error {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.bad != nil {
			t.Fatalf("stderr line is not JSON: %q", j.bad)
		}
		for _, l := range j.all {
			if ok(l) {
				found = l
				return nil
			}
		}
		return fmt.Errorf("no such line among %d", len(j.all))
	})
	return found
}

// TestTopRedirected: `ndxp top` writing to a file prints plain lines,
// one per update, with no control characters.
func TestTopRedirected(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "top.out")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := ndxpProcess(t, ctx, "top", "--insecure", "--hub", env.GRPCAddr(), "--interval", "100ms")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 30*time.Second, func() error {
		b, _ := os.ReadFile(file)
		if n := bytes.Count(b, []byte("\n")); n < 3 {
			return fmt.Errorf("%d lines so far", n)
		}
		return nil
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.IndexFunc(b, isControl); i >= 0 {
		t.Fatalf("top to a file wrote a control character at %d: %q", i, b)
	}
	if !strings.Contains(string(b), " ICT  now ") {
		t.Fatalf("top to a file = %q, want one summary line per update", b)
	}
}
