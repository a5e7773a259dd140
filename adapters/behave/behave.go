// Package behave injects realistic failures into a simulated agency: a
// latency drawn from a log-normal distribution (given by its median and
// 99th percentile), an error rate with the gRPC code returned, and an
// outage (a toggle or a time window) during which every call fails with
// UNAVAILABLE. It wraps node.Handlers, so every simulator gets it alike.
//
// A Behaviour is written as comma-separated settings, in flags and
// topology files:
//
//	latency=20ms/250ms          median 20ms, p99 250ms (log-normal)
//	latency=5ms                 a constant 5ms
//	errors=0.02                 2% of calls fail with UNAVAILABLE
//	errors=0.02:INTERNAL        ... with INTERNAL
//	outage=on                   every call fails with UNAVAILABLE
//	outage=2026-05-01T10:00:00+07:00/30m   ... during that window
//	services=pid-issue+card-lookup         only these services are affected
package behave

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// ErrSpec is wrapped by errors about a malformed behaviour.
var ErrSpec = errors.New("behave: invalid behaviour")

// Config is a behaviour. The zero value injects nothing.
type Config struct {
	// LatencyMedian and LatencyP99 define a log-normal latency added to
	// each call; P99 zero (or equal to the median) makes it constant.
	LatencyMedian, LatencyP99 time.Duration
	// ErrorRate is the fraction of calls, 0..1, that fail with ErrorCode.
	ErrorRate float64
	// ErrorCode is the code of injected errors (default UNAVAILABLE).
	ErrorCode codes.Code
	// Outage makes every call fail with UNAVAILABLE.
	Outage bool
	// OutageFrom and OutageUntil, if set, make calls in that window fail
	// with UNAVAILABLE.
	OutageFrom, OutageUntil time.Time
	// Services limits the behaviour to these service codes; empty is all.
	Services []string
}

// Validate reports a behaviour that cannot be applied.
func (c *Config) Validate() error {
	switch {
	case c.LatencyMedian < 0 || c.LatencyP99 < 0:
		return fmt.Errorf("%w: negative latency", ErrSpec)
	case c.LatencyP99 != 0 && c.LatencyP99 < c.LatencyMedian:
		return fmt.Errorf("%w: latency p99 %s below the median %s", ErrSpec, c.LatencyP99, c.LatencyMedian)
	case !(c.ErrorRate >= 0 && c.ErrorRate <= 1):
		return fmt.Errorf("%w: error rate %v: want 0..1", ErrSpec, c.ErrorRate)
	case c.OutageUntil.Before(c.OutageFrom):
		return fmt.Errorf("%w: outage window ends before it starts", ErrSpec)
	}
	return nil
}

// Zero reports whether c injects nothing.
func (c *Config) Zero() bool {
	return c.LatencyMedian == 0 && c.ErrorRate == 0 && !c.Outage && c.OutageFrom.IsZero()
}

// Behaviour applies a Config; the outage can be toggled while running. It
// is safe for concurrent use.
type Behaviour struct {
	cfg       Config
	outage    atomic.Bool
	mu        sync.Mutex
	rand      *rand.Rand
	logMedian float64 // log of the median
	sigma     float64
}

// New returns a Behaviour applying cfg.
func New(cfg Config) (*Behaviour, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ErrorCode == codes.OK {
		cfg.ErrorCode = codes.Unavailable
	}
	b := &Behaviour{cfg: cfg, rand: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	b.outage.Store(cfg.Outage)
	if cfg.LatencyMedian > 0 {
		b.logMedian = math.Log(float64(cfg.LatencyMedian))
		if cfg.LatencyP99 > cfg.LatencyMedian {
			b.sigma = math.Log(float64(cfg.LatencyP99)/float64(cfg.LatencyMedian)) / z99
		}
	}
	return b, nil
}

// SetOutage starts (true) or ends (false) an outage.
func (b *Behaviour) SetOutage(on bool) { b.outage.Store(on) }

// Latency draws one latency.
func (b *Behaviour) Latency() time.Duration {
	if b.cfg.LatencyMedian <= 0 {
		return 0
	}
	if b.sigma == 0 {
		return b.cfg.LatencyMedian
	}
	b.mu.Lock()
	z := b.rand.NormFloat64()
	b.mu.Unlock()
	return time.Duration(math.Exp(b.logMedian + b.sigma*z))
}

func (b *Behaviour) fail() bool {
	if b.cfg.ErrorRate <= 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rand.Float64() < b.cfg.ErrorRate
}

func (b *Behaviour) down(now time.Time) bool {
	if b.outage.Load() {
		return true
	}
	return !b.cfg.OutageFrom.IsZero() && !now.Before(b.cfg.OutageFrom) && now.Before(b.cfg.OutageUntil)
}

// Wrap returns h with the behaviour applied for service svc: the outage
// first (no latency: a system that is down answers at once, like a refused
// connection), then the latency (cut short by ctx), then the injected
// error, then h.
func (b *Behaviour) Wrap(svc *hubv1.Service, h node.Handler) node.Handler {
	if len(b.cfg.Services) > 0 && !slices.Contains(b.cfg.Services, svc.GetCode()) {
		return h
	}
	return func(ctx context.Context, req *node.Request) (proto.Message, error) {
		if b.down(time.Now()) {
			return nil, node.Errorf(codes.Unavailable, "%s is unavailable (simulated outage)", req.Provider)
		}
		if d := b.Latency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, node.Errorf(codes.DeadlineExceeded, "%s: deadline reached during simulated latency", req.Service)
			}
		}
		if b.fail() {
			return nil, node.Errorf(b.cfg.ErrorCode, "%s: simulated failure", req.Service)
		}
		return h(ctx, req)
	}
}

// Service wraps a node.Service so that every handler it installs has the
// behaviour applied.
type Service struct {
	node.Service
	B *Behaviour
}

// Install installs the wrapped service's handlers behind the behaviour.
func (s Service) Install(n *node.Node) {
	n.Use(s.B.Wrap)
	s.Service.Install(n)
}

// Parse reads the comma-separated form described in the package comment.
func Parse(spec string) (Config, error) {
	var c Config
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return c, fmt.Errorf("%w %q: want key=value", ErrSpec, part)
		}
		if err := c.set(k, v); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}

func (c *Config) set(k, v string) error {
	var err error
	switch k {
	case "latency":
		med, p99, _ := strings.Cut(v, "/")
		if c.LatencyMedian, err = time.ParseDuration(med); err == nil && p99 != "" {
			c.LatencyP99, err = time.ParseDuration(p99)
		}
	case "errors":
		rate, code, _ := strings.Cut(v, ":")
		if c.ErrorRate, err = strconv.ParseFloat(rate, 64); err == nil && code != "" {
			err = c.ErrorCode.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(code))))
		}
	case "outage":
		err = c.setOutage(v)
	case "services":
		c.Services = strings.Split(v, "+")
	default:
		return fmt.Errorf("%w: unknown setting %q: want latency, errors, outage or services", ErrSpec, k)
	}
	if err != nil {
		return fmt.Errorf("%w: %s=%s: %v", ErrSpec, k, v, err)
	}
	return nil
}

func (c *Config) setOutage(v string) error {
	switch v {
	case "on", "true":
		c.Outage = true
		return nil
	case "off", "false":
		c.Outage = false
		return nil
	}
	from, dur, ok := strings.Cut(v, "/")
	if !ok {
		return errors.New("want on, off or START/DURATION (RFC 3339 start)")
	}
	t, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return err
	}
	c.OutageFrom, c.OutageUntil = t, t.Add(d)
	return nil
}
