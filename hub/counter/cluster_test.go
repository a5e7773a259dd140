package counter_test

import (
	"context"
	"fmt"
	"testing"

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
