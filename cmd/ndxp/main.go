// Command ndxp runs and inspects the national data-exchange platform
// simulator. It is thin: each subcommand parses flags, builds a logger and
// calls into the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type globalFlags struct {
	logLevel  string
	logFormat string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ndxp:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "ndxp",
		Short: "A simulator of Vietnam's national data-exchange platform (NDXP)",
		Long: `ndxp simulates the national data-exchange platform: a gRPC hub that routes
exchanges between registered agency nodes over NATS, simulated national
databases and provincial platforms, transaction counters and a load-test tool.

Start everything on this machine with "ndxp up", then talk to the hub at
127.0.0.1:9090 (gRPC, with reflection) and 127.0.0.1:8080 (metrics, health).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "console", "log format: console (for people) or json (for machines)")
	root.AddCommand(newUpCmd(g), newHubCmd(g), newAgencyCmd(g), newAgenciesCmd(), newStatsCmd(), newTopCmd(), newRecordsCmd(),
		newTopologyCmd(), newProcedureCmd(), newLoadtestCmd(g), newCertsCmd(), newGrantsCmd(), newAuditCmd(), newCallCmd(),
		newSendCmd(), newDeliveryCmd())
	return root
}

// logger builds the zap logger the flags ask for.
func (g *globalFlags) logger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w (want debug, info, warn or error)", err)
	}
	var cfg zap.Config
	switch g.logFormat {
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	case "json":
		cfg = zap.NewProductionConfig()
	default:
		return nil, errors.New("--log-format: want console or json, got " + g.logFormat)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	return cfg.Build()
}
