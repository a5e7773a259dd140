package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// BenchmarkThroughput measures, in one run on one machine, the same load
// (b.N population lookups and verifications, as fast as they are taken)
// through four paths: a raw gRPC echo server that implements the hub's
// API with canned answers of the population database's size (unary and
// stream), and the real hub with the population simulator over NATS
// (unary and stream). It reports each path's tx/s and the hub's ratios to
// raw gRPC, and each path's CPU time per transaction (the whole process:
// load, hub, NATS and simulators), which holds on a shared machine where
// tx/s do not. The hub runs secure, as `ndxp up` does: TLS with client
// certificates, grants enforced, records, counting and the signed audit
// chain. The paths take turns over three rounds of b.N/3 each and report
// their medians. Run it with a fixed count:
//
//	go test ./loadtest -run '^$' -bench Throughput -benchtime 50000x
func BenchmarkThroughput(b *testing.B) {
	env := hubtest.Start(b, hubtest.WithSecurity(), hubtest.WithGrants(benchGrants()...))
	waitReady(b, env)
	echo := startEcho(b)
	n := int64(b.N)
	prof := loadtest.Profile{
		Name: "bench", PerDay: n, Start: "2024-01-08", PeriodStart: "2024-01-08", Days: 1,
		Curve: loadtest.Curve{Hourly: flat(), Weekend: 1, Holiday: 1},
		Mix: []loadtest.MixEntry{
			{Service: "000.00.01.G01/citizen-lookup", Weight: 57},
			{Service: "000.00.01.G01/citizen-verify", Weight: 43},
		},
		Consumers: loadtest.SpreadPopulation, MinistryShare: loadtest.DefaultMinistryShare,
	}
	paths := []struct {
		name, mode string
		conn       *grpc.ClientConn
		raw        bool
	}{
		{"raw-unary", loadtest.ModeUnary, hubtest.Dial(b, echo), true},
		{"raw-stream", loadtest.ModeStream, hubtest.Dial(b, echo), true},
		{"hub-unary", loadtest.ModeUnary, env.Conn, false},
		{"hub-stream", loadtest.ModeStream, env.Conn, false},
	}
	// The machine may be shared: the paths take turns, round after round,
	// and each reports its median, so a burst of other work does not
	// land on one path only.
	const rounds = 3
	tps := map[string][]float64{}
	p99 := map[string][]float64{}
	cpu := map[string][]float64{}
	b.ResetTimer()
	for round := range rounds {
		for _, p := range paths {
			prof.PerDay = max(n/rounds, 1)
			began := cpuTime(b)
			rep, err := loadtest.Run(context.Background(), loadtest.Config{
				Profile: prof, Mode: p.mode, SkipReconcile: p.raw, RunID: fmt.Sprintf("bench-%s-%d", p.name, round),
			}, []grpc.ClientConnInterface{p.conn}, zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			if !rep.Green || rep.Failed > 0 || rep.Sent != prof.PerDay {
				b.Fatalf("%s: sent %d of %d, %d failed, failures %v", p.name, rep.Sent, prof.PerDay, rep.Failed, rep.Failures)
			}
			tps[p.name] = append(tps[p.name], rep.Throughput)
			cpu[p.name] = append(cpu[p.name], float64((cpuTime(b)-began).Microseconds())/float64(rep.Sent))
			p99[p.name] = append(p99[p.name], float64(rep.Latency.P99us))
		}
	}
	b.ReportMetric(float64(auditCatchUp(env).Milliseconds()), "audit-catch-up-ms")
	for _, p := range paths {
		b.ReportMetric(median(tps[p.name]), p.name+"-tx/s")
		b.ReportMetric(median(p99[p.name]), p.name+"-p99-µs")
		b.ReportMetric(median(cpu[p.name]), p.name+"-cpu-µs/tx")
	}
	b.ReportMetric(median(tps["hub-unary"])/median(tps["raw-unary"]), "hub-unary/raw-unary")
	b.ReportMetric(median(tps["hub-stream"])/median(tps["raw-stream"]), "hub-stream/raw-stream")
	b.ReportMetric(median(tps["hub-stream"])/median(tps["raw-unary"]), "hub-stream/raw-unary")
}

// benchGrants lets every LGSP the load draws from call the population
// database's two services, so that the secure hub enforces real grants.
func benchGrants() []*hubv1.AccessGrant {
	var codes []string
	for _, m := range topology.Ministries {
		codes = append(codes, m.Code)
	}
	for _, p := range vn.Provinces {
		codes = append(codes, p.AgencyCode)
	}
	var out []*hubv1.AccessGrant
	for _, c := range codes {
		for _, svc := range []string{"citizen-lookup", "citizen-verify"} {
			out = append(out, &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: svc, To: &hubv1.AccessGrant_Consumer{Consumer: c}})
		}
	}
	return out
}

// auditCatchUp is how long the audit chain took, after the last path
// ended, to cover every record the counter has read (the chain follows the
// records; the counter, a second reader, is as far as they go).
func auditCatchUp(env *hubtest.Env) time.Duration {
	h := env.Platform.Hub()
	start := time.Now()
	for time.Since(start) < time.Minute {
		if c := h.Counter().Applied(); h.AuditChained() >= c {
			time.Sleep(50 * time.Millisecond)
			if h.Counter().Applied() == c {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// cpuTime is the CPU time the process (load, hub, NATS and simulators
// alike) has used: per transaction it measures a path's cost even when
// other work shares the machine and its tx/s says little.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

func flat() []float64 {
	h := make([]float64, 24)
	for i := range h {
		h[i] = 1
	}
	return h
}

// echoServer is raw gRPC with the hub's API: it answers every exchange
// with a canned citizen record, as large as the population database's
// answer, without NATS, validation or records.
type echoServer struct {
	hubv1.UnimplementedExchangeServiceServer
	hubv1.UnimplementedRegistryServiceServer
	answer *anypb.Any
}

func startEcho(b *testing.B) string {
	pop := synth.Population{Seed: 1}
	c, _ := pop.Citizen(pop.Sample(rand.New(rand.NewPCG(1, 1))))
	answer, err := anypb.New(&populationv1.LookupCitizenResponse{Citizen: c})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	e := &echoServer{answer: answer}
	hubv1.RegisterExchangeServiceServer(srv, e)
	hubv1.RegisterRegistryServiceServer(srv, e)
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func (e *echoServer) ListAgencies(context.Context, *hubv1.ListAgenciesRequest) (*hubv1.ListAgenciesResponse, error) {
	name := func(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }
	return &hubv1.ListAgenciesResponse{Agencies: []*hubv1.Agency{{
		Code: "000.00.01.G01", Name: "echo",
		Services: []*hubv1.Service{
			{Code: "citizen-lookup", RequestType: name(&populationv1.LookupCitizenRequest{})},
			{Code: "citizen-verify", RequestType: name(&populationv1.VerifyCitizenRequest{})},
		},
	}}}, nil
}

func (e *echoServer) Exchange(_ context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error) {
	return &hubv1.ExchangeResponse{MessageId: req.GetMessageId(), Payload: e.answer, BusinessDay: "2024-01-08"}, nil
}

func (e *echoServer) ExchangeStream(st grpc.BidiStreamingServer[hubv1.ExchangeStreamRequest, hubv1.ExchangeStreamResponse]) error {
	for {
		in, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp, _ := e.Exchange(st.Context(), in.GetRequest())
		if err := st.Send(&hubv1.ExchangeStreamResponse{MessageId: resp.GetMessageId(), Response: resp}); err != nil {
			return err
		}
	}
}
