package hub_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// BenchmarkExchangeLookup measures one citizen lookup through the hub,
// one at a time: gRPC in, NATS to the population node and back, the
// record stored in JetStream, gRPC out. ns/op is the latency of one
// exchange on this machine.
func BenchmarkExchangeLookup(b *testing.B) {
	env := hubtest.Start(b)
	ctx := context.Background()
	req := lookup(b, knownID)
	for i := 0; b.Loop(); i++ {
		req.MessageId = fmt.Sprint("bench-", i)
		if _, err := env.Exchange.Exchange(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
