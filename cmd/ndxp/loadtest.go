package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/loadtest"
)

// errNotGreen makes the exit status non-zero when a run fails its
// thresholds or its reconciliation; the report says why.
var errNotGreen = errors.New("the load test failed (see the report)")

// errInterrupted makes an interrupted run exit non-zero even when what was
// sent reconciles: the report is partial.
var errInterrupted = errors.New("the load test was interrupted; the report covers what was sent")

type loadtestFlags struct {
	cf           clientFlags
	profile      string
	speed        string
	connections  int
	maxErrorRate float64
	asJSON       bool
	html         string
	cfg          loadtest.Config
}

func newLoadtestCmd(g *globalFlags) *cobra.Command {
	f := &loadtestFlags{}
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Replay the nation's published days against a hub and reconcile its counters",
		Long: `Replay a day (or days) of national traffic against a hub, with the shape of a
real day, measure it, and check that the hub counted every transaction once.

Profiles come from the published figures (` + strings.Join(loadtest.BuiltinProfiles(), ", ") + `) or a YAML/JSON
file (see the README's "Load testing" section). Every transaction carries its
business time, so the hub counts it on the replayed day. The run only calls
the profile's services that the hub has registered, and says which.

At the end the hub's counters of each replayed day are read (before and
after the run, so earlier traffic on those days does not matter; other
traffic during the run would) and compared with what was sent. The exit
status is non-zero if they differ or a threshold is exceeded.`,
		Example: `  ndxp loadtest --profile 2022-h1 --days 1 --speed max --mode stream
  ndxp loadtest --profile 2023-05 --days 20 --scale 0.01 --speed 1440x
  ndxp loadtest --profile my-profile.yaml --json --html report.html --max-p99 200ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, g) },
	}
	f.cf.register(cmd)
	cmd.AddCommand(newLoadtestDocumentsCmd(), newLoadtestBirthsCmd())
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "2022-h1", "a built-in profile ("+strings.Join(loadtest.BuiltinProfiles(), ", ")+") or a YAML/JSON file")
	fl.IntVar(&f.cfg.Days, "days", 0, "number of days to replay (default: the profile's, 1 for the built-ins)")
	fl.StringVar(&f.cfg.StartDay, "start-day", "", "first business day replayed, YYYY-MM-DD (default: the profile's start)")
	fl.Float64Var(&f.cfg.Scale, "scale", 1, "fraction of each day's transactions to send (0.01 = a hundredth)")
	fl.StringVar(&f.speed, "speed", "max", "pace: a multiple of real time following the daily curve (1x, 60x, 1440x), or max")
	fl.StringVar(&f.cfg.Mode, "mode", loadtest.ModeUnary, "unary (Exchange, as an integrator calls it) or stream (pipelined ExchangeStream)")
	fl.IntVar(&f.connections, "connections", 1, "gRPC connections to the hub (one stream per connection in stream mode)")
	fl.IntVar(&f.cfg.Concurrency, "concurrency", 0, fmt.Sprintf("transactions in flight: unary workers (default %d) or the streams' total window (default %d)",
		loadtest.DefaultUnaryConcurrency, loadtest.DefaultStreamConcurrency))
	fl.DurationVar(&f.cfg.Timeout, "timeout", loadtest.DefaultTimeout, "deadline of one transaction")
	fl.Uint64Var(&f.cfg.Seed, "seed", 1, "seed of the choice of services and consumers, and with the run id of the payloads")
	fl.StringVar(&f.cfg.RunID, "run-id", "", "prefix of the run's message ids, also a seed of the payloads (default: random)")
	fl.Float64Var(&f.maxErrorRate, "max-error-rate", 0, "fail if the fraction of failed transactions exceeds this (e.g. 0.001); unset: no limit")
	fl.DurationVar(&f.cfg.MaxP99, "max-p99", 0, "fail if the p99 latency exceeds this (e.g. 250ms); 0: no limit")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON on stdout")
	fl.StringVar(&f.html, "html", "", "also write an HTML report with charts to this file")
	return cmd
}

func (f *loadtestFlags) run(cmd *cobra.Command, g *globalFlags) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	if f.cfg.Profile, err = loadtest.LoadProfile(f.profile); err != nil {
		return usageError{fmt.Errorf("--profile: %w", err)}
	}
	if f.cfg.Speed, err = loadtest.ParseSpeed(f.speed); err != nil {
		return usageError{fmt.Errorf("--speed: %w", err)}
	}
	if cmd.Flags().Changed("max-error-rate") {
		f.cfg.MaxErrorRate = &f.maxErrorRate
	}
	if f.connections < 1 {
		return usagef("--connections %d: want at least 1", f.connections)
	}
	conns := make([]grpc.ClientConnInterface, 0, f.connections)
	for range f.connections {
		c, err := f.cf.dial()
		if err != nil {
			return err
		}
		defer c.Close()
		conns = append(conns, c)
	}
	f.cfg.Progress = newLoadProgress(cmd.ErrOrStderr()).show
	rep, err := loadtest.Run(cmd.Context(), f.cfg, conns, log)
	if err != nil {
		return fmt.Errorf("load test against %s: %w", f.cf.hub, err)
	}
	if err := f.write(cmd, rep); err != nil {
		return err
	}
	switch {
	case !rep.Green:
		return errNotGreen
	case rep.Interrupted:
		return errInterrupted
	}
	return nil
}

func (f *loadtestFlags) write(cmd *cobra.Command, rep *loadtest.Report) error {
	if f.html != "" {
		out, err := os.Create(f.html)
		if err != nil {
			return err
		}
		if err := rep.WriteHTML(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if f.asJSON {
		return writeJSON(cmd.OutOrStdout(), rep)
	}
	return rep.WriteText(cmd.OutOrStdout())
}
