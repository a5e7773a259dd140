package platform

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// slowAgency starts only when release is closed, and tells when Start
// was called.
type slowAgency struct{ called, release chan struct{} }

func (a slowAgency) Start(ctx context.Context, _, _ string) error {
	close(a.called)
	select {
	case <-a.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (slowAgency) Stop() error { return nil }

// TestReadyOnlyWhenAgenciesAreUp: /readyz answers 503 while the platform
// is still starting its agencies (a replay started then met refusals for
// grants and agencies not yet in place), and 200 once Start returns.
func TestReadyOnlyWhenAgenciesAreUp(t *testing.T) {
	a := slowAgency{called: make(chan struct{}), release: make(chan struct{})}
	type result struct {
		p   *Platform
		err error
	}
	// The HTTP address is needed before Start returns: take a free port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	done := make(chan result, 1)
	go func() {
		p, err := Start(context.Background(), Config{NATSAddr: "127.0.0.1:-1", DataDir: t.TempDir(), Insecure: true,
			GRPCAddr: "127.0.0.1:0", HTTPAddr: addr, RESTAddr: "", Agencies: []Agency{a}}, zap.NewNop())
		done <- result{p, err}
	}()
	select {
	case <-a.called:
	case r := <-done:
		t.Fatalf("Start returned before starting the agency: %v", r.err)
	case <-time.After(time.Minute):
		t.Fatal("the agency was never started")
	}
	code, body := get(t, "http://"+addr+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Fatalf("/readyz while the agencies start = %d %q, want 503 naming what is starting", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz while starting = %d, want 200 (the process runs)", code)
	}
	close(a.release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer func() { _ = r.p.Shutdown(context.Background()) }()
	if code, body := get(t, "http://"+r.p.HTTPAddr()+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz once up = %d %q, want 200", code, body)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
