package loadtest_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/hubtest"
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
// raw gRPC. Run it with a fixed count:
//
//	go test ./loadtest -run '^$' -bench Throughput -benchtime 50000x
func BenchmarkThroughput(b *testing.B) {
	env := hubtest.Start(b)
	echo := startEcho(b)
	n := int64(b.N)
	prof := loadtest.Profile{
		Name: "bench", PerDay: n, Start: "2024-01-08", Days: 1,
		Curve: loadtest.Curve{Hourly: flat(), Weekend: 1},
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
	tps := map[string]float64{}
	b.ResetTimer()
	for _, p := range paths {
		rep, err := loadtest.Run(context.Background(), loadtest.Config{
			Profile: prof, Mode: p.mode, SkipReconcile: p.raw, RunID: "bench-" + p.name,
		}, []grpc.ClientConnInterface{p.conn}, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Green || rep.Failed > 0 || rep.Sent != n {
			b.Fatalf("%s: sent %d of %d, %d failed, failures %v", p.name, rep.Sent, n, rep.Failed, rep.Failures)
		}
		tps[p.name] = rep.Throughput
		b.ReportMetric(rep.Throughput, p.name+"-tx/s")
		b.ReportMetric(float64(rep.Latency.P99us), p.name+"-p99-µs")
	}
	b.ReportMetric(tps["hub-unary"]/tps["raw-unary"], "hub-unary/raw-unary")
	b.ReportMetric(tps["hub-stream"]/tps["raw-stream"], "hub-stream/raw-stream")
	b.ReportMetric(tps["hub-stream"]/tps["raw-unary"], "hub-stream/raw-unary")
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
