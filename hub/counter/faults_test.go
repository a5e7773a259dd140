package counter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/internal/wire"
)

// TestStartsOnAFreshCluster: a counter starts right after creating its
// checkpoint bucket on a three-server cluster, before the bucket's
// replicas answer reads ("no responders", which once failed a hub's
// start in CI). Several buckets are created, each a fresh chance of it.
func TestStartsOnAFreshCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	js := hubtest.JetStream(t, natsproc.StartCluster(t, 3)[0].URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{wire.RecordPrefix + ".>"}, Replicas: 3,
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		c := counter.New(counter.Config{Bucket: fmt.Sprint("fresh_", i), Replicas: 3, CheckpointInterval: -1}, zaptest.NewLogger(t))
		if err := c.Start(ctx, js, stream); err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		c.Stop()
	}
}

// TestStopsPromptlyWithoutNATS: a counter whose NATS server was killed
// stops without waiting out the periodic saves that cannot reach it (each
// up to 30 s, one after another: a hub took two minutes to shut down so).
// Stop ends the save under way and, NATS being disconnected, skips its
// catch-up and last save; connected, those take at most 2 s and 5 s. The
// bound here is far above that and below one periodic save's 30 s.
func TestStopsPromptlyWithoutNATS(t *testing.T) {
	srv := natsproc.Start(t)
	js := hubtest.JetStream(t, srv.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{wire.RecordPrefix + ".>"}}); err != nil {
		t.Fatal(err)
	}
	// The first periodic save comes after NATS is gone, and has the ten
	// records to save: it waits for NATS until its timeout.
	c := counter.New(counter.Config{CheckpointInterval: 2 * time.Second}, zaptest.NewLogger(t))
	if err := c.Start(ctx, js, stream); err != nil {
		t.Fatal(err)
	}
	publish(t, js, 0, 10)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.WaitFor(wctx, 10); err != nil {
		t.Fatal(err)
	}
	srv.Kill(t)
	killed := time.Now()
	time.Sleep(3 * time.Second) // the periodic save is under way
	stopped := make(chan struct{})
	go func() {
		c.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(25 * time.Second):
		t.Fatalf("Stop has not returned %v after NATS was killed", time.Since(killed).Round(time.Second))
	}
}
