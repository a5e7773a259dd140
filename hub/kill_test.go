package hub_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/hub/events"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// hubProcessEnv names the NATS URL a helper hub process connects to.
const hubProcessEnv = "NDXP_TEST_HUB_PROCESS_NATS"

// TestHubProcess is not a test: run by TestHubKilled as a separate process,
// it runs a hub (checkpointing every 20 ms) and the population database on
// the given NATS, prints its gRPC address and serves until it is killed.
func TestHubProcess(t *testing.T) {
	url := os.Getenv(hubProcessEnv)
	if url == "" {
		t.Skip("helper process of TestHubKilled")
	}
	log := zap.NewNop()
	p, err := platform.Start(context.Background(), platform.Config{
		NATSURL: url, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Insecure: true,
		Hub:      hub.Config{Counter: counter.Config{CheckpointInterval: 20 * time.Millisecond}, Events: events.Config{AckWait: 2 * time.Second}},
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
// checkpoint) while clients are sending; they retry what failed, with the
// same message ids, on a new hub on the same NATS, which counts every
// transaction the clients saw succeed exactly once.
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
	// Clients send unique message ids; on an error they retry the same id,
	// on whichever hub is current, as a real client would.
	var (
		current atomic.Pointer[hubv1.ExchangeServiceClient]
		ok      atomic.Int64
		wg      sync.WaitGroup
	)
	first := hubv1.NewExchangeServiceClient(hubtest.Dial(t, grpcAddr))
	current.Store(&first)
	const workers, perWorker = 4, 60
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				req := lookup(t, knownID)
				req.MessageId, req.BusinessTime = fmt.Sprintf("killed-%d-%d", w, i), timestamppb.New(durableDay)
				deadline := time.Now().Add(2 * time.Minute)
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					_, err := (*current.Load()).Exchange(ctx, req)
					cancel()
					if err == nil {
						ok.Add(1)
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("message %s never succeeded: %v", req.MessageId, err)
						return
					}
					time.Sleep(20 * time.Millisecond) // a client's back-off
				}
			}
		})
	}
	checkpoints := objectStore(t, ns.ClientURL(), counter.DefaultBucket)
	hubtest.Eventually(t, time.Minute, func() error {
		if n := ok.Load(); n < 30 {
			return fmt.Errorf("%d exchanges done", n)
		}
		if _, err := checkpoints.GetInfo(context.Background(), "NDXP_TX.json.gz"); err != nil {
			return fmt.Errorf("no checkpoint yet: %w", err)
		}
		return nil
	})
	if err := child.Process.Kill(); err != nil { // mid-run, exchanges in flight
		t.Fatal(err)
	}
	_ = child.Wait()
	killedAt := ok.Load()

	next := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	second := next.Exchange
	current.Store(&second)
	wg.Wait()
	const n = workers * perWorker
	if ok.Load() != n {
		t.Fatalf("%d exchanges succeeded, want %d", ok.Load(), n)
	}
	if c := dayStats(t, next).GetCount(); c.GetTotal() != n || c.GetSucceeded() != n {
		t.Fatalf("after the kill the new hub counted %v, want exactly the %d transactions the clients saw succeed", c, n)
	}
	if r := next.Hub().Counter().Restored(); r == 0 || r > n {
		t.Fatalf("the new hub restored the checkpoint at %d, want one written before the kill", r)
	}
	t.Logf("killed after %d answers; the new hub restored a checkpoint at record %d and read the rest from the stream", killedAt, next.Hub().Counter().Restored())
}

// objectStore opens a JetStream object store on the NATS at url.
func objectStore(t *testing.T, url, bucket string) jetstream.ObjectStore {
	t.Helper()
	js := hubtest.JetStream(t, url)
	var store jetstream.ObjectStore
	var err error
	hubtest.Eventually(t, time.Minute, func() error {
		store, err = js.ObjectStore(context.Background(), bucket)
		return err
	})
	return store
}
