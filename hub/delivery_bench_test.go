package hub_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// BenchmarkSendDelivered measures the asynchronous path end to end: b.N
// requests sent concurrently (gRPC in, stored in JetStream, ACCEPTED),
// then delivered by the hub's worker to a node and recorded. ns/op is the
// time per delivered request; sent/s and delivered/s are reported too.
func BenchmarkSendDelivered(b *testing.B) {
	code := "000.00.99.G92"
	var served atomic.Int64
	env := hubtest.Start(b, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: code,
		Handlers: map[string]node.Handler{"document-send": func(context.Context, *node.Request) (proto.Message, error) {
			served.Add(1)
			return &hubv1.Count{Total: 1}, nil
		}},
	})))
	c := hubv1.NewDeliveryServiceClient(env.Conn)
	ctx := context.Background()
	var next atomic.Int64
	start := time.Now()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := c.Send(ctx, &hubv1.SendRequest{
				MessageId: fmt.Sprint("bench-", next.Add(1)), Consumer: consumer, Provider: code, Service: "document-send",
				BusinessTime: timestamppb.New(durableDay),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	sent := time.Since(start)
	hubtest.Eventually(b, 10*time.Minute, func() error {
		if n := served.Load(); n < int64(b.N) {
			return fmt.Errorf("%d of %d delivered", n, b.N)
		}
		return nil
	})
	all := time.Since(start)
	b.ReportMetric(float64(b.N)/sent.Seconds(), "sent/s")
	b.ReportMetric(float64(b.N)/all.Seconds(), "delivered/s")
}
