package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// TestSecondProcessOnDataDir: `ndxp up` (or `ndxp hub`) on the data dir of
// a running one, even with other ports, refuses at once and says which
// process holds it.
func TestSecondProcessOnDataDir(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dataDir := t.TempDir()
	ports := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--rest-addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1", "--data-dir", dataDir, "--log-level", "warn"}
	root := newRoot()
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"hub"}, ports...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	hubtest.Eventually(t, 60*time.Second, func() error {
		if grpcAddrRE.FindStringSubmatch(out.String()) == nil {
			return context.DeadlineExceeded
		}
		return nil
	})
	for _, cmd := range []string{"up", "hub"} {
		sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
		_, err := execute(t, sctx, append([]string{cmd}, ports...)...)
		scancel()
		want := "data dir " + dataDir + " is in use by process " + strconv.Itoa(os.Getpid())
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--data-dir") {
			t.Errorf("a second %s: %v; want %q", cmd, err, want)
		} else {
			t.Log(err)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hub returned %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("hub did not shut down")
	}
}
