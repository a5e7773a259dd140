package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Exit codes of every ndxp command (README, "Exit codes"; `ndxp --help`).
const (
	// exitOK: the command did what was asked.
	exitOK = 0
	// exitFailure: the operation failed: the hub refused or could not
	// serve the request, a procedure ended FAILED, a check found a fault.
	exitFailure = 1
	// exitUsage: the command line is wrong (unknown command or flag, bad
	// flag value, missing or extra argument); nothing was attempted.
	exitUsage = 2
	// exitUnreachable: the hub or NATS could not be reached: not running,
	// wrong address, or a TLS mismatch; nothing was attempted.
	exitUnreachable = 3
)

// exitCodesHelp documents the exit codes in `ndxp --help`.
const exitCodesHelp = `
Exit codes: 0 ok, 1 the operation failed (refused, FAILED, a fault found),
2 usage error (bad command line), 3 the hub or NATS cannot be reached.`

// usageError is a wrong command line: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// unreachableError: the hub or NATS at Addr could not be reached (exit
// code 3); Hint says what to do.
type unreachableError struct {
	What, Addr, Reason, Hint string
	Err                      error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s at %s: %s\n  hint: %s", e.What, e.Addr, e.Reason, e.Hint)
}

func (e *unreachableError) Unwrap() error { return e.Err }

// failedError is an operation that ran and failed, whose outcome was
// already printed (a FAILED procedure): exit code 1.
type failedError struct{ msg string }

func (e failedError) Error() string { return e.msg }

// exitCode maps what a command returned to the process's exit code.
func exitCode(err error) int {
	var unreachable *unreachableError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(usageError)):
		return exitUsage
	case errors.As(err, &unreachable):
		return exitUnreachable
	default:
		return exitFailure
	}
}

// reportError prints the error a command returned: "ndxp: <error>", or
// with --log-format json one JSON log line, so that the output stays
// JSON only. A usage error points to the command's help.
func reportError(w io.Writer, cmd *cobra.Command, jsonLogs bool, err error) {
	code := exitCode(err)
	if jsonLogs {
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		core := zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.DebugLevel)
		zap.New(core).Error(err.Error(), zap.Int("exit_code", code))
		return
	}
	fmt.Fprintln(w, "ndxp:", err)
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
}

// markUsageErrors makes every argument-count error of cmd and its
// subcommands, and every flag parsing error, a usageError; an unknown
// command too.
func markUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
	// Runnable, so that cobra checks Args for "ndxp foo" instead of
	// printing the help and exiting 0.
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && c.Args != nil {
			args := c.Args
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
