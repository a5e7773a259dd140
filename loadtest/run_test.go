package loadtest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/internal/hubtest"
	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestRunReconciles replays two days of 2022-h1 at 1/1000 scale in both
// modes against a real hub and checks that the hub counted every
// transaction once, on its day, with its outcome.
func TestRunReconciles(t *testing.T) {
	env := hubtest.Start(t)
	prof, err := loadtest.LoadProfile("2022-h1")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{loadtest.ModeUnary, loadtest.ModeStream} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var progress bytes.Buffer
			rep, err := loadtest.Run(ctx, loadtest.Config{
				Profile: prof, Days: 2, Scale: 0.001, Mode: mode, Concurrency: 16, Progress: &progress,
			}, []grpc.ClientConnInterface{env.Conn, hubtest.Dial(t, env.GRPCAddr())}, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Green {
				var b strings.Builder
				_ = rep.WriteText(&b)
				t.Fatalf("run not green: %v\n%s", rep.Failures, b.String())
			}
			wantDays := []string{"2022-03-15", "2022-03-16"}
			if len(rep.Days) != len(wantDays) {
				t.Fatalf("days = %d, want %d", len(rep.Days), len(wantDays))
			}
			for i, d := range rep.Days {
				if d.Day != wantDays[i] || d.Published != 1_900_000 || d.Planned != 1900 {
					t.Errorf("day %d = %s published %d planned %d, want %s 1900000 1900", i, d.Day, d.Published, d.Planned, wantDays[i])
				}
				if d.Sent != d.Planned || d.Counted != d.Sent || d.CountedSucceeded != d.Succeeded || d.Succeeded != d.Sent {
					t.Errorf("day %s: planned %d sent %d succeeded %d, hub counted %d (%d succeeded)",
						d.Day, d.Planned, d.Sent, d.Succeeded, d.Counted, d.CountedSucceeded)
				}
			}
			if len(rep.Services) != 2 || len(rep.Unregistered) == 0 {
				t.Errorf("services used = %v, unregistered %d; want the population's two", rep.Services, len(rep.Unregistered))
			}
			if !strings.Contains(progress.String(), "3800/3800") {
				t.Errorf("progress line %q does not end at 3800/3800", progress.String())
			}
		})
	}
}

// TestRunWithoutServices fails clearly when the hub serves nothing the
// profile calls.
func TestRunWithoutServices(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	prof, err := loadtest.LoadProfile("2023-05")
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadtest.Run(context.Background(), loadtest.Config{Profile: prof, Scale: 0.0001},
		[]grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
	if !errors.Is(err, loadtest.ErrNoServices) || !strings.Contains(err.Error(), "citizen-lookup") {
		t.Fatalf("err = %v, want ErrNoServices naming the profile's services", err)
	}
}

// TestRunInterrupted stops a paced run early: the partial run still
// reconciles.
func TestRunInterrupted(t *testing.T) {
	env := hubtest.Start(t)
	prof, err := loadtest.LoadProfile("2021-08")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stats := make(chan *loadtest.Report, 1)
	go func() {
		rep, err := loadtest.Run(ctx, loadtest.Config{Profile: prof, Scale: 0.01, Speed: 86400 / 30.0},
			[]grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
		if err != nil {
			t.Error(err)
		}
		stats <- rep
	}()
	hubtest.Eventually(t, time.Minute, func() error {
		if v := countAll(t, env); v < 10 {
			return errors.New("fewer than 10 transactions counted yet")
		}
		return nil
	})
	cancel()
	rep := <-stats
	if rep == nil {
		t.Fatal("no report")
	}
	if !rep.Interrupted || rep.Sent >= rep.Planned || !rep.Green {
		t.Fatalf("interrupted %v, sent %d of %d, green %v (%v); want a green partial run", rep.Interrupted, rep.Sent, rep.Planned, rep.Green, rep.Failures)
	}
}

func countAll(t *testing.T, env *hubtest.Env) int64 {
	t.Helper()
	resp, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Day: "2021-08-01", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStats().GetCount().GetTotal()
}
