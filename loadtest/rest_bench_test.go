package loadtest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/restapi"
	"github.com/ndxp/ndxp/loadtest"
)

// BenchmarkRESTThroughput runs the same load (b.N population lookups and
// verifications, as fast as they are taken, reconciled against the hub's
// counters) through the hub's two ingresses on one hub: gRPC unary and
// REST (JSON bodies through hub/restapi, driven by restapi.Conn). It
// reports each path's tx/s and p99, and REST's ratio to gRPC; the paths
// take turns over three rounds and report their medians:
//
//	go test ./loadtest -run '^$' -bench RESTThroughput -benchtime 30000x
func BenchmarkRESTThroughput(b *testing.B) {
	env := hubtest.Start(b)
	waitReady(b, env)
	n := int64(b.N)
	prof := loadtest.Profile{
		Name: "bench-rest", PerDay: n, Start: "2024-01-08", PeriodStart: "2024-01-08", Days: 1,
		Curve: loadtest.Curve{Hourly: flat(), Weekend: 1},
		Mix: []loadtest.MixEntry{
			{Service: "000.00.01.G01/citizen-lookup", Weight: 57},
			{Service: "000.00.01.G01/citizen-verify", Weight: 43},
		},
		Consumers: loadtest.SpreadPopulation, MinistryShare: loadtest.DefaultMinistryShare,
	}
	paths := []struct {
		name string
		conn grpc.ClientConnInterface
	}{
		{"grpc", env.Conn},
		{"rest", restapi.NewConn(env.RESTURL(), nil, env.Conn)},
	}
	const rounds = 3
	tps := map[string][]float64{}
	p99 := map[string][]float64{}
	b.ResetTimer()
	for round := range rounds {
		for _, p := range paths {
			prof.PerDay = max(n/rounds, 1)
			rep, err := loadtest.Run(context.Background(), loadtest.Config{
				Profile: prof, Mode: loadtest.ModeUnary, RunID: fmt.Sprintf("bench-%s-%d", p.name, round),
			}, []grpc.ClientConnInterface{p.conn}, zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			if !rep.Green || rep.Failed > 0 || rep.Sent < prof.PerDay {
				b.Fatalf("%s: sent %d of %d, %d failed, failures %v", p.name, rep.Sent, prof.PerDay, rep.Failed, rep.Failures)
			}
			tps[p.name] = append(tps[p.name], rep.Throughput)
			p99[p.name] = append(p99[p.name], float64(rep.Latency.P99us))
		}
	}
	mid := func(v []float64) float64 { v = slices.Clone(v); slices.Sort(v); return v[len(v)/2] }
	for _, p := range paths {
		b.ReportMetric(mid(tps[p.name]), p.name+"-tx/s")
		b.ReportMetric(mid(p99[p.name]), p.name+"-p99-µs")
	}
	b.ReportMetric(mid(tps["rest"])/mid(tps["grpc"]), "rest/grpc")
}
