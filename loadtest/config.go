package loadtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Modes: how transactions enter the hub.
const (
	// ModeUnary calls ExchangeService/Exchange once per transaction, the
	// path a typical integrator uses.
	ModeUnary = "unary"
	// ModeStream pipelines transactions on ExchangeService/ExchangeStream,
	// one stream per connection, for bulk replays.
	ModeStream = "stream"
)

// Defaults of Config.
const (
	DefaultUnaryConcurrency  = 64
	DefaultStreamConcurrency = 1024
	DefaultTimeout           = 30 * time.Second
)

// ErrConfig wraps every error about a run's configuration.
var ErrConfig = errors.New("loadtest: invalid configuration")

// Config is one run. The zero value of every field but Profile means its
// default.
type Config struct {
	// Profile is the traffic to replay (LoadProfile).
	Profile Profile
	// StartDay is the first business day replayed, YYYY-MM-DD; empty
	// means the profile's Start.
	StartDay string
	// Days is the number of days replayed; 0 means the profile's Days.
	Days int
	// Scale multiplies every day's transactions (0.01 runs a hundredth of
	// each day, spread over the whole day's curve); 0 means 1.
	Scale float64
	// Speed paces the run in multiples of real time: 1 replays a day in 24
	// hours, 1440 in a minute, following the curve. 0 means as fast as the
	// hub takes it (closed loop at Concurrency).
	Speed float64
	// Mode is ModeUnary (default) or ModeStream.
	Mode string
	// Concurrency is how many transactions may be in flight at once:
	// unary calls in flight (DefaultUnaryConcurrency), or the total window
	// of the streams (DefaultStreamConcurrency), shared by the connections.
	Concurrency int
	// Timeout bounds one transaction (DefaultTimeout).
	Timeout time.Duration
	// Seed makes the choice of services and consumers reproducible, and
	// with RunID that of the payloads; 0 means 1.
	Seed uint64
	// RunID prefixes every message id, so runs never collide; empty means
	// a random one.
	RunID string
	// MaxErrorRate, if set, fails the run when the failed fraction of the
	// transactions exceeds it.
	MaxErrorRate *float64
	// MaxP99, if positive, fails the run when the p99 latency exceeds it.
	MaxP99 time.Duration
	// SkipReconcile does not read the hub's counters (for targets that are
	// not a hub, such as the benchmark's echo server).
	SkipReconcile bool
	// Progress, if set, is called every ProgressInterval during the run,
	// on a goroutine of its own, and a last time with Final set; it shows
	// the progress (ndxp draws a bar on a terminal, plain lines elsewhere).
	Progress func(Progress)
	// Payloads add or replace payload builders, keyed by the full protobuf
	// name of a service's request type.
	Payloads map[string]PayloadFunc
}

func (c *Config) setDefaults() {
	if c.Days == 0 {
		c.Days = c.Profile.Days
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.Mode == "" {
		c.Mode = ModeUnary
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultUnaryConcurrency
		if c.Mode == ModeStream {
			c.Concurrency = DefaultStreamConcurrency
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
}

// Validate reports the first problem of c, naming the setting.
func (c *Config) Validate() error {
	bad := func(f string, args ...any) error { return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, args...)) }
	switch {
	case c.Scale < 0 || c.Scale > 1000:
		return bad("scale %g, want a factor in (0, 1000]", c.Scale)
	case c.Speed < 0:
		return bad("speed %g, want a positive multiple of real time or max", c.Speed)
	case c.Mode != ModeUnary && c.Mode != ModeStream:
		return bad("mode %q, want %s or %s", c.Mode, ModeUnary, ModeStream)
	case c.Concurrency < 1:
		return bad("concurrency %d, want at least 1", c.Concurrency)
	case c.Timeout < 0:
		return bad("timeout %s, want a positive duration", c.Timeout)
	case c.MaxErrorRate != nil && (*c.MaxErrorRate < 0 || *c.MaxErrorRate > 1):
		return bad("max error rate %g, want a fraction in [0, 1]", *c.MaxErrorRate)
	case c.MaxP99 < 0:
		return bad("max p99 %s, want a positive duration", c.MaxP99)
	case len(c.RunID) > 40 || strings.ContainsFunc(c.RunID, func(r rune) bool { return r <= ' ' || r > '~' }):
		return bad("run id %q, want at most 40 printable ASCII characters", c.RunID)
	}
	return c.Profile.Validate()
}

// ParseSpeed reads a speed: "max" (0), or a multiple of real time such as
// "1x", "60x" or "1440".
func ParseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "x"), 64)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("%w: speed %q, want max or a positive multiple of real time such as 1x, 60x, 1440x", ErrConfig, s)
	}
	return v, nil
}

// speedString is the inverse of ParseSpeed.
func speedString(v float64) string {
	if v == 0 {
		return "max"
	}
	return strconv.FormatFloat(v, 'g', -1, 64) + "x"
}
