package hub_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/counter"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// durableDay is the business day the durability tests count on.
var durableDay = time.Date(2022, 3, 15, 10, 5, 0, 0, time.UTC)

// sendOK sends a lookup with message id id through env and fails the test
// unless the client sees it succeed.
func sendOK(t *testing.T, env *hubtest.Env, id string) {
	t.Helper()
	req := lookup(t, knownID)
	req.MessageId, req.BusinessTime = id, timestamppb.New(durableDay)
	if _, err := env.Exchange.Exchange(ctxT(t), req); err != nil {
		t.Fatalf("exchange %s: %v", id, err)
	}
}

func dayStats(t *testing.T, env *hubtest.Env) *hubv1.Stats {
	t.Helper()
	resp, err := env.Stats.GetStats(ctxT(t), &hubv1.GetStatsRequest{Day: "2022-03-15", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStats()
}

func withCheckpoints(natsURL string, every time.Duration) []hubtest.Option {
	return []hubtest.Option{hubtest.WithNATSURL(natsURL), hubtest.WithHubConfig(hub.Config{Counter: counter.Config{CheckpointInterval: every}})}
}

// TestCountsSurviveHubDeath: a first hub counts and checkpoints; a second
// hub, which dies without ever checkpointing (as if killed right after
// answering), handles more; a third hub restores the first's checkpoint
// (not the stream from sequence 1) and counts the second's transactions
// from the stream, each once.
func TestCountsSurviveHubDeath(t *testing.T) {
	ns := hubtest.StartNATS(t)
	first := hubtest.Start(t, withCheckpoints(ns.ClientURL(), time.Hour)...)
	for i := range 5 {
		sendOK(t, first, fmt.Sprint("first-", i))
	}
	dayStats(t, first) // counted up to sequence 5
	first.Stop(t)      // saves a checkpoint at sequence 5
	killed := hubtest.Start(t, withCheckpoints(ns.ClientURL(), -1)...)
	if got := killed.Hub().Counter().Restored(); got != 5 {
		t.Fatalf("second hub restored the checkpoint at %d, want 5", got)
	}
	for i := range 5 {
		sendOK(t, killed, fmt.Sprint("killed-", i))
	}
	sendOK(t, killed, "first-3") // a retry of a counted message id
	killed.Stop(t)               // never checkpoints: its 5 records are only in the stream

	third := hubtest.Start(t, withCheckpoints(ns.ClientURL(), time.Hour)...)
	if got := third.Hub().Counter().Restored(); got != 5 {
		t.Fatalf("third hub restored the checkpoint at %d, want 5 (not a replay from sequence 1)", got)
	}
	st := dayStats(t, third)
	if c := st.GetCount(); c.GetTotal() != 10 || c.GetSucceeded() != 10 {
		t.Fatalf("after restarts counted %v, want the 10 transactions the clients saw succeed", c)
	}
	if st.GetSequence() != 10 {
		t.Fatalf("sequence = %d, want 10", st.GetSequence())
	}
}

// TestKillHubMidRun stops the hub while clients are sending; the clients
// retry what failed, with the same message id, on a new hub. Every message
// id is counted exactly once.
func TestKillHubMidRun(t *testing.T) {
	ns := hubtest.StartNATS(t)
	first := hubtest.Start(t, withCheckpoints(ns.ClientURL(), 50*time.Millisecond)...)
	var (
		current atomic.Pointer[hubtest.Env]
		ok      atomic.Int64
		wg      sync.WaitGroup
	)
	current.Store(first)
	const workers, perWorker = 4, 25
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				req := lookup(t, knownID)
				req.MessageId, req.BusinessTime = fmt.Sprintf("run-%d-%d", w, i), timestamppb.New(durableDay)
				deadline := time.Now().Add(time.Minute)
				for {
					if _, err := current.Load().Exchange.Exchange(ctxT(t), req); err == nil {
						ok.Add(1)
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("message %s never succeeded", req.MessageId)
						return
					}
					time.Sleep(20 * time.Millisecond) // a client's retry back-off
				}
			}
		})
	}
	hubtest.Eventually(t, time.Minute, func() error {
		if n := ok.Load(); n < 20 {
			return fmt.Errorf("%d exchanges done", n)
		}
		return nil
	})
	first.Stop(t)
	second := hubtest.Start(t, withCheckpoints(ns.ClientURL(), 50*time.Millisecond)...)
	current.Store(second)
	wg.Wait()
	if ok.Load() != workers*perWorker {
		t.Fatalf("%d exchanges succeeded, want %d", ok.Load(), workers*perWorker)
	}
	if c := dayStats(t, second).GetCount(); c.GetTotal() != workers*perWorker || c.GetSucceeded() != workers*perWorker {
		t.Fatalf("counted %v, want exactly the %d transactions the clients saw succeed", c, workers*perWorker)
	}
	if second.Hub().Counter().Restored() == 0 {
		t.Fatal("the second hub did not restore a checkpoint")
	}
}

// TestTwoHubsAgree sends through two hubs on one NATS, with retries across
// them, and compares both hubs' read-outs.
func TestTwoHubsAgree(t *testing.T) {
	ns := hubtest.StartNATS(t)
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	for i := range 6 {
		sendOK(t, a, fmt.Sprint("a-", i))
		sendOK(t, b, fmt.Sprint("b-", i))
	}
	sendOK(t, b, "a-0") // retried on the other hub: counted once
	sendOK(t, a, "b-5")
	sa, sb := dayStats(t, a), dayStats(t, b)
	if sa.GetCount().GetTotal() != 12 {
		t.Fatalf("hub a counted %v, want 12", sa.GetCount())
	}
	for _, s := range []*hubv1.Stats{sa, sb} {
		s.AsOf = nil
	}
	if !proto.Equal(sa, sb) {
		t.Fatalf("the hubs disagree:\n a: %v\n b: %v", sa, sb)
	}
}
