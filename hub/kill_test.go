package hub_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/internal/hubtest"
	"github.com/ndxp/ndxp/internal/platform"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// hubProcessEnv names the NATS URL a helper hub process connects to.
const hubProcessEnv = "NDXP_TEST_HUB_PROCESS_NATS"

// TestHubProcess is not a test: run by TestHubKilled as a separate process,
// it runs a hub (checkpointing every 50 ms) and the population database on
// the given NATS, prints its gRPC address and serves until it is killed.
func TestHubProcess(t *testing.T) {
	url := os.Getenv(hubProcessEnv)
	if url == "" {
		t.Skip("helper process of TestHubKilled")
	}
	log := zap.NewNop()
	p, err := platform.Start(context.Background(), platform.Config{
		NATSURL: url, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Hub:      hub.Config{Counter: counter.Config{CheckpointInterval: 50 * time.Millisecond}},
		Agencies: []platform.Agency{&node.Group{Services: []node.Service{population.New(population.Config{Seed: 1})}, Log: log}},
	}, log)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("grpc", p.GRPCAddr())
	select {}
}

// TestHubKilled kills a hub process (SIGKILL: no shutdown, no last
// checkpoint) right after its last answer; a new hub on the same NATS
// counts every transaction the client saw succeed, once.
func TestHubKilled(t *testing.T) {
	ns := hubtest.StartNATS(t)
	child := exec.Command(os.Args[0], "-test.run=^TestHubProcess$", "-test.count=1")
	child.Env = append(os.Environ(), hubProcessEnv+"="+ns.ClientURL())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "grpc "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	var grpcAddr string
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("the hub process ended without serving")
		}
		grpcAddr = a
	case <-time.After(time.Minute):
		t.Fatal("the hub process did not start within a minute")
	}
	exchange := hubv1.NewExchangeServiceClient(hubtest.Dial(t, grpcAddr))
	const n = 40
	for i := range n {
		req := lookup(t, knownID)
		req.MessageId, req.BusinessTime = fmt.Sprint("killed-", i), timestamppb.New(durableDay)
		if _, err := exchange.Exchange(ctxT(t), req); err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	next := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	if c := dayStats(t, next).GetCount(); c.GetTotal() != n || c.GetSucceeded() != n {
		t.Fatalf("after the kill the new hub counted %v, want the %d transactions the client saw succeed", c, n)
	}
	t.Logf("the new hub restored a checkpoint at record %d and read the rest of the %d records from the stream", next.Hub().Counter().Restored(), n)
}
