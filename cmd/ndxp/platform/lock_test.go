package platform_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ndxp/ndxp/cmd/ndxp/platform"
)

// TestDataDirLock: a second platform on the same data dir (other ports)
// fails at once, naming the data dir and the process that holds it,
// instead of opening the same JetStream store; once the first stops, it
// starts.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	start := func() (*platform.Platform, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return platform.Start(ctx, platform.Config{
			NATSAddr: "127.0.0.1:-1", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
			DataDir: dir, Insecure: true,
		}, zaptest.NewLogger(t))
	}
	stop := func(p *platform.Platform) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	second, err := start()
	if err == nil {
		stop(second)
		stop(first)
		t.Fatal("a second platform started on the data dir of a running one")
	}
	if !errors.Is(err, platform.ErrDataDirInUse) || !strings.Contains(err.Error(), dir) ||
		!strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("second start: %v; want the data dir, the holder's PID and what to do", err)
	}
	stop(first)
	again, err := start()
	if err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	stop(again)
}
