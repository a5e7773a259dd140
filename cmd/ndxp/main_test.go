package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// execute runs the CLI with args, as a user would, and returns its output.
func execute(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

var grpcAddrRE = regexp.MustCompile(`gRPC API\s+(\S+)`)

func TestUpServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := newRoot()
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	dataDir := t.TempDir()
	root.SetArgs([]string{"up", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--rest-addr", "127.0.0.1:0",
		"--nats-listen", "127.0.0.1:-1", "--data-dir", dataDir, "--log-level", "warn"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var addr string
	hubtest.Eventually(t, 60*time.Second, func() error {
		m := grpcAddrRE.FindStringSubmatch(out.String())
		if m == nil {
			return context.DeadlineExceeded
		}
		addr = m[1]
		return nil
	})
	hubtest.Eventually(t, 30*time.Second, func() error {
		got, err := execute(t, ctx, "agencies", "--hub", addr, "--data-dir", dataDir)
		if err == nil && !strings.Contains(got, "citizen-lookup") {
			return context.DeadlineExceeded
		}
		return err
	})
	got, err := execute(t, ctx, "stats", "--hub", addr, "--data-dir", dataDir, "--day", "2021-08-16")
	if err != nil || !strings.Contains(got, "period 2021-08-16: 0 transactions") {
		t.Fatalf("stats = %q, %v", got, err)
	}

	cancel() // Ctrl-C
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("up returned %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("up did not shut down")
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--log-level", "loud"}, "--log-level"},
		{[]string{"up", "--log-format", "xml"}, "--log-format"},
		{[]string{"stats", "--hub", "127.0.0.1:1", "--day", "yesterday"}, ""},
		{[]string{"nosuch"}, "unknown command"},
		{[]string{"agency", "--insecure", "--backend", "http://127.0.0.1:1"}, "--backend needs --only"},
		{[]string{"agency", "--insecure", "--only", "000.00.01.G01", "--backend", "127.0.0.1:8000"}, "http://"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := execute(t, ctx, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCall(t *testing.T) {
	env := hubtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"call", "--insecure", "--hub", env.GRPCAddr(), "--consumer", "000.00.00.H29"}
	tests := []struct {
		args []string
		out  string
		err  string
	}{
		{[]string{"000.00.01.G01/citizen-lookup", `{"personalId": "001194053383"}`}, "Trần Thị Lệ", ""},
		{[]string{"000.00.01.G01/citizen-lookup", `{"personalId": "123"}`}, "", "want 12 digits"},
		{[]string{"000.00.01.G01/citizen-lookup", `{"personalID": 1}`}, "", "not a valid ndxp.population.v1.LookupCitizenRequest"},
		{[]string{"000.00.01.G01/nope"}, "", "provides no service \"nope\""},
		{[]string{"000.00.99.G99/x"}, "", "NotFound"},
		{[]string{"citizen-lookup"}, "", "want PROVIDER/SERVICE"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := execute(t, ctx, append(base, tt.args...)...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !strings.Contains(out, tt.out) {
				t.Fatalf("call = %q, %v; want %q", out, err, tt.out)
			}
		})
	}
}
