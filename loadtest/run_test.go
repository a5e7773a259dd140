package loadtest_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// startNational starts a hub with the simulators of every provider of
// the default mix (the national databases and systems of the 2023
// topology) and two province LGSPs, and waits until each provider
// answers.
func startNational(t *testing.T) *hubtest.Env {
	t.Helper()
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sel := []string{"000.00.00.H29", "000.00.00.H01"}
	for _, m := range loadtest.DefaultMix {
		prov, _, _ := topology.ServiceRef(m.Service).Split()
		if !slices.Contains(sel, prov) {
			sel = append(sel, prov)
		}
	}
	sub, err := full.Filter(sel...)
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	waitReady(t, env)
	for _, m := range loadtest.DefaultMix {
		prov, svc, _ := topology.ServiceRef(m.Service).Split()
		hubtest.Eventually(t, 30*time.Second, func() error {
			_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{Consumer: "000.00.00.H29", Provider: prov, Service: svc})
			if status.Code(err) == codes.Unavailable {
				return err
			}
			return nil
		})
	}
	return env
}

// TestRunReconciles replays two days of 2022-h1 at 1/1000 scale in both
// modes against a real hub serving every service of the default mix, and
// checks that every transaction succeeded and that the hub counted each
// once, on its day, with its outcome. The second mode's run reuses the
// first's simulators: new random payloads (another run id) do not collide
// with the state the first run left.
func TestRunReconciles(t *testing.T) {
	env := startNational(t)
	prof, err := loadtest.LoadProfile("2022-h1")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{loadtest.ModeUnary, loadtest.ModeStream} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var progress loadtest.Progress
			rep, err := loadtest.Run(ctx, loadtest.Config{
				Profile: prof, Days: 2, Scale: 0.001, Mode: mode, Concurrency: 16, Progress: func(p loadtest.Progress) { progress = p },
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
				// Weekdays, above the 1.9 million average of the half-year.
				if d.Day != wantDays[i] || d.Published <= 1_900_000 || d.Planned < d.Published/1000 || d.Planned > d.Published/1000+1 {
					t.Errorf("day %d = %s published %d planned %d, want %s, a weekday over 1,900,000 at 1/1000", i, d.Day, d.Published, d.Planned, wantDays[i])
				}
				// The household-verify hops are in the plan and on the day.
				if d.Nested == 0 || d.Sent+d.Nested != d.Planned || d.Counted != d.Planned || d.CountedSucceeded != d.Counted || d.Succeeded != d.Sent {
					t.Errorf("day %s: planned %d sent %d succeeded %d, hub counted %d (%d succeeded, %d nested hops)",
						d.Day, d.Planned, d.Sent, d.Succeeded, d.Counted, d.CountedSucceeded, d.Nested)
				}
			}
			if rep.Failed != 0 || len(rep.Errors) != 0 {
				t.Errorf("failed %d, errors by code %v; want none", rep.Failed, rep.Errors)
			}
			if len(rep.Services) != len(loadtest.DefaultMix) || len(rep.Unregistered) != 0 {
				t.Errorf("services used = %d, unregistered %v; want the %d of the default mix", len(rep.Services), rep.Unregistered, len(loadtest.DefaultMix))
			}
			for _, s := range rep.Services {
				if s.Succeeded == 0 || s.Failed != 0 {
					t.Errorf("%s: %d succeeded, %d failed; want successes only", s.Service, s.Succeeded, s.Failed)
				}
			}
			if !progress.Final || progress.Done != rep.Planned || progress.Planned != rep.Planned {
				t.Errorf("last progress %+v, want final at %d of %d", progress, rep.Planned, rep.Planned)
			}
		})
	}
}

// TestRunToday replays today: the nested hops of the run are counted on
// the day with the rest, and expected by the reconciliation, so the hub's
// count of today is the plan's and the run is green.
func TestRunToday(t *testing.T) {
	env := startNational(t)
	prof, err := loadtest.LoadProfile("2022-h1")
	if err != nil {
		t.Fatal(err)
	}
	today := vn.Day(time.Now())
	hours := func() []*hubv1.Bucket {
		st, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Day: today, Sync: true})
		if err != nil {
			t.Fatal(err)
		}
		return st.GetStats().GetByHour()
	}
	before := hours()
	rep, err := loadtest.Run(context.Background(), loadtest.Config{Profile: prof, StartDay: today, Scale: 0.001, Concurrency: 16},
		[]grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.Days[0]; !rep.Green || d.Day != today || d.Nested == 0 || d.Counted != d.Planned {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("today's replay: green %v, %s counted %d (%d nested hops) of %d planned\n%s", rep.Green, d.Day, d.Counted, d.Nested, d.Planned, b.String())
	}
	// The hub's hourly counters of the day are the curve's split as sent.
	after := hours()
	for h := range 24 {
		if got := after[h].GetCount().GetTotal() - before[h].GetCount().GetTotal(); got != rep.ByHour[h] {
			t.Errorf("hour %02d: the hub counted %d, the run sent %d (nested hops included)", h, got, rep.ByHour[h])
		}
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
	waitReady(t, env)
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

// waitReady polls until the population node answers through the hub: a
// node may register a moment before its subscription reaches NATS. The
// probe is counted on today, not on the replayed days.
func waitReady(t testing.TB, env *hubtest.Env) {
	t.Helper()
	hubtest.Eventually(t, 30*time.Second, func() error {
		req := &hubv1.ExchangeRequest{Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-verify",
			Payload: mustAny(t, &populationv1.VerifyCitizenRequest{PersonalId: synth.Population{Seed: 1}.Sample(rand.New(rand.NewPCG(1, 1)))})}
		_, err := env.Exchange.Exchange(context.Background(), req)
		return err
	})
}

func mustAny(t testing.TB, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func countAll(t *testing.T, env *hubtest.Env) int64 {
	t.Helper()
	resp, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Day: "2021-08-01", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStats().GetCount().GetTotal()
}

// TestRunFailuresAndThresholds sends some malformed lookups: the failures
// are counted by the hub as failures (the run reconciles), and the
// thresholds turn the run red.
func TestRunFailuresAndThresholds(t *testing.T) {
	env := hubtest.Start(t)
	waitReady(t, env)
	prof, err := loadtest.LoadProfile("2021-08")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	malformed := func(r *rand.Rand) proto.Message {
		if n.Add(1)%4 == 0 {
			return &populationv1.LookupCitizenRequest{PersonalId: "0011940"}
		}
		return &populationv1.LookupCitizenRequest{PersonalId: synth.Population{Seed: 1}.Sample(r)}
	}
	maxRate := 0.01
	rep, err := loadtest.Run(context.Background(), loadtest.Config{
		Profile: prof, Scale: 0.005, Mode: loadtest.ModeStream, MaxErrorRate: &maxRate, MaxP99: time.Microsecond,
		Payloads: map[string]loadtest.PayloadFunc{"ndxp.population.v1.LookupCitizenRequest": malformed},
	}, []grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed == 0 || rep.Errors["InvalidArgument"] != rep.Failed {
		t.Errorf("failed %d, errors %v; want InvalidArgument failures", rep.Failed, rep.Errors)
	}
	if !rep.Reconciled || rep.Days[0].CountedFailed != rep.Failed {
		t.Errorf("reconciled %v, hub counted %d failed, client saw %d", rep.Reconciled, rep.Days[0].CountedFailed, rep.Failed)
	}
	if rep.Green || len(rep.Failures) != 2 ||
		!strings.Contains(rep.Failures[0], "max-error-rate") || !strings.Contains(rep.Failures[1], "max-p99") {
		t.Errorf("green %v, failures %q; want the two thresholds", rep.Green, rep.Failures)
	}
	var html bytes.Buffer
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "citizen-lookup", "InvalidArgument", "max-p99"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(html.String(), "http://") || strings.Contains(html.String(), "https://") {
		t.Error("HTML report refers to the network")
	}
}
