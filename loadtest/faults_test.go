package loadtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/loadtest"
)

// TestRunThroughNATSStall (issue 9, item 15) pauses the nats-server process
// (SIGSTOP) for 7 s in the middle of a run, longer than a record used to
// be waited for, shorter than the transactions' timeout: the run is
// green, every transaction succeeded, and the hub counted each once.
func TestRunThroughNATSStall(t *testing.T) {
	srv := natsproc.Start(t)
	env := hubtest.Start(t, hubtest.WithNATSURL(srv.URL()))
	waitReady(t, env)
	prof, err := loadtest.LoadProfile("2021-08")
	if err != nil {
		t.Fatal(err)
	}
	reports := make(chan *loadtest.Report, 1)
	go func() {
		rep, err := loadtest.Run(context.Background(), loadtest.Config{
			Profile: prof, Scale: 0.1, Concurrency: 32, Timeout: 20 * time.Second,
		}, []grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
		if err != nil {
			t.Error(err)
		}
		reports <- rep
	}()
	hubtest.Eventually(t, time.Minute, func() error {
		if v := countAll(t, env); v < 1000 {
			return errors.New("fewer than 1000 transactions counted yet")
		}
		return nil
	})
	srv.Pause(t)
	time.Sleep(7 * time.Second) // the stall
	srv.Resume(t)
	rep := <-reports
	if rep == nil {
		t.Fatal("no report")
	}
	if !rep.Green || rep.Failed != 0 || rep.Sent != rep.Planned {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("green %v, sent %d of %d, failed %d (%v)\n%s", rep.Green, rep.Sent, rep.Planned, rep.Failed, rep.Errors, b.String())
	}
	for _, d := range rep.Days {
		if d.Counted != d.Sent || d.CountedSucceeded != d.Succeeded || d.RecordPending != 0 {
			t.Errorf("day %s: sent %d, succeeded %d, pending %d; the hub counted %d, %d succeeded", d.Day, d.Sent, d.Succeeded, d.RecordPending, d.Counted, d.CountedSucceeded)
		}
	}
}

// TestRunThroughRecordOutage (issue 9, item 15): on a three-server cluster
// of nats-server processes, two servers are killed in the middle of a run
// and restarted, so for a while the hub carries exchanges but cannot store
// their records and answers "record pending". The load tool retries those
// with the same message ids: the run reconciles exactly, every
// transaction counted once with the outcome its client saw.
func TestRunThroughRecordOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	servers := natsproc.StartCluster(t, 3)
	env := hubtest.Start(t, hubtest.WithNATSURL(servers[0].URL()), hubtest.WithHubConfig(hub.Config{Replicas: 3}))
	t.Cleanup(func() {
		// After servers were killed, saving the last checkpoint can wait
		// for new stream leaders longer than hubtest's 10 s.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := env.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		env.Platform = nil
	})
	waitReady(t, env)
	prof, err := loadtest.LoadProfile("2021-08")
	if err != nil {
		t.Fatal(err)
	}
	reports := make(chan *loadtest.Report, 1)
	go func() {
		rep, err := loadtest.Run(context.Background(), loadtest.Config{
			Profile: prof, Scale: 0.02, Speed: 86400 / 20.0, Concurrency: 16, Timeout: 3 * time.Second,
		}, []grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
		if err != nil {
			t.Error(err)
		}
		reports <- rep
	}()
	hubtest.Eventually(t, time.Minute, func() error {
		if v := countAll(t, env); v < 300 {
			return errors.New("fewer than 300 transactions counted yet")
		}
		return nil
	})
	servers[1].Kill(t)
	servers[2].Kill(t)
	time.Sleep(4 * time.Second) // the outage
	servers[1].Restart(t, false)
	servers[2].Restart(t, false)
	rep := <-reports
	if rep == nil {
		t.Fatal("no report")
	}
	var b strings.Builder
	_ = rep.WriteText(&b)
	if !rep.Green || rep.Failed != 0 || rep.PendingRetries == 0 {
		t.Fatalf("green %v, failed %d (%v), %d retries after record pending; want green, no failure, some retries\n%s",
			rep.Green, rep.Failed, rep.Errors, rep.PendingRetries, b.String())
	}
	t.Logf("%d retries after record pending\n%s", rep.PendingRetries, b.String())
}
