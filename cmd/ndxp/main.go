// Command ndxp runs and inspects the national data-exchange platform
// simulator. It is thin: each subcommand parses flags, builds a logger and
// calls into the packages that do the work.
package main

import (
	"context"
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
	root := newRoot()
	cmd, err := root.ExecuteContextC(ctx)
	stop()
	if err != nil {
		jsonLogs := false
		if f := root.PersistentFlags().Lookup("log-format"); f != nil {
			jsonLogs = f.Value.String() == "json"
		}
		reportError(os.Stderr, cmd, jsonLogs, err)
	}
	os.Exit(exitCode(err))
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
127.0.0.1:9090 (gRPC, with reflection) and 127.0.0.1:8080 (metrics, health).
` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "console", "log format: console (for people) or json (for machines)")
	root.AddCommand(newUpCmd(g), newHubCmd(g), newAgencyCmd(g), newAgenciesCmd(), newStatsCmd(), newTopCmd(), newRecordsCmd(),
		newTopologyCmd(), newProcedureCmd(), newLoadtestCmd(g), newCertsCmd(), newGrantsCmd(), newAuditCmd(), newCallCmd(),
		newSendCmd(), newDeliveryCmd(), newEventsCmd(), newDocumentsCmd(), newNATSConfigCmd(), newHealthcheckCmd())
	markUsageErrors(root)
	return root
}

// jsonLogs reports whether logs (and what would be a banner) are JSON.
func (g *globalFlags) jsonLogs() bool { return g.logFormat == "json" }

// logger builds the zap logger the flags ask for.
func (g *globalFlags) logger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, usagef("--log-level: %w (want debug, info, warn or error)", err)
	}
	var cfg zap.Config
	switch g.logFormat {
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	case "json":
		cfg = zap.NewProductionConfig()
	default:
		return nil, usagef("--log-format: want console or json, got %q", g.logFormat)
	}
	// Stack traces only from panics: an error is explained by its message.
	cfg.DisableStacktrace = true
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	return cfg.Build()
}
