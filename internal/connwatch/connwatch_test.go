package connwatch_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/connwatch"
	"github.com/ndxp/ndxp/internal/natsproc"
)

// TestLostAndRegained kills the nats-server process under a watched
// connection and restarts it: the context is cancelled at the loss, a
// fresh one lives after the return, and the metrics say so.
func TestLostAndRegained(t *testing.T) {
	srv := natsproc.Start(t)
	nc, err := nats.Connect(srv.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w := connwatch.Watch(nc, zaptest.NewLogger(t))
	defer w.Stop()
	connected, disconnects := w.Collectors()[0], w.Collectors()[1]
	ctx := w.Context()
	if !w.Connected() || ctx.Err() != nil || testutil.ToFloat64(connected) != 1 {
		t.Fatal("not connected at the start")
	}
	srv.Kill(t)
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the context was not cancelled when the server was killed")
	}
	if w.Context().Err() == nil || testutil.ToFloat64(connected) != 0 || testutil.ToFloat64(disconnects) != 1 {
		t.Fatal("the loss is not reflected in the context or the metrics")
	}
	srv.Restart(t, true)
	hubtest.Eventually(t, 30*time.Second, func() error {
		if !w.Connected() || w.Context().Err() != nil || testutil.ToFloat64(connected) != 1 {
			return errors.New("not connected again")
		}
		return nil
	})
}
