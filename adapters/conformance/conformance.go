// Package conformance is the suite every agency simulator passes, like
// watermill's pubsub/tests: run through a real hub and real NATS
// (cmd/ndxp/platform/hubtest), it checks that a simulator serves each service its
// topology entry declares with valid typed messages, rejects malformed
// input with INVALID_ARGUMENT, serves again after a restart, and shares
// its load with a second instance.
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Target{...})
//	}
package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Consumer is the agency the suite calls as.
const Consumer = "000.00.00.H29"

// timeout bounds one exchange and each polling loop; generous, for busy
// machines.
const timeout = 20 * time.Second

// Target is a simulator under test.
type Target struct {
	// Agency is its topology entry; its Provides are the services checked.
	Agency topology.Agency
	// New returns a fresh instance (a restart, or a second instance).
	New func() node.Service
	// Support are the other agencies it needs, started beside the hub
	// (e.g. the population database for social insurance); nil is none.
	Support *topology.Topology
	// Valid returns a valid request for each declared service; it may
	// first make calls (e.g. register a record before looking it up). It
	// is called for every request the suite needs, so stateful services
	// must return a fresh request each time.
	Valid map[string]func(t testing.TB, c *Caller) proto.Message
	// Invalid is a malformed request for each declared service that takes
	// input: it must fail with INVALID_ARGUMENT naming Field.
	Invalid map[string]Invalid
	// Probe is a service whose Valid requests succeed on a fresh instance
	// (used for the restart and scale-out checks); default the first
	// declared service.
	Probe string
}

// Invalid is a request that a service must reject.
type Invalid struct {
	// Request is the malformed request.
	Request proto.Message
	// Field is what the error message must name.
	Field string
}

// Caller makes exchanges to the target through the hub.
type Caller struct {
	env      *hubtest.Env
	provider string
	timeout  time.Duration // per exchange; zero is the suite's timeout
}

// Exchange calls one of the target's services; it returns the answer
// payload or the error.
func (c *Caller) Exchange(service string, req proto.Message) (*anypb.Any, error) {
	payload, err := anypb.New(req)
	if err != nil {
		return nil, err
	}
	d := c.timeout
	if d == 0 {
		d = timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := c.env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
		Consumer: Consumer, Provider: c.provider, Service: service, Payload: payload,
		Purpose: "conformance", UserId: "conformance-suite",
	})
	if err != nil {
		return nil, err
	}
	return out.GetPayload(), nil
}

// Must calls a service and decodes its answer into resp, failing t on error.
func (c *Caller) Must(t testing.TB, service string, req, resp proto.Message) {
	t.Helper()
	out, err := c.Exchange(service, req)
	if err != nil {
		t.Fatalf("%s: %v", service, err)
	}
	if err := out.UnmarshalTo(resp); err != nil {
		t.Fatalf("%s: answer: %v", service, err)
	}
}

// Run runs the suite.
func Run(t *testing.T, tg Target) {
	t.Helper()
	opts := []hubtest.Option{hubtest.WithoutPopulation()}
	if tg.Support != nil {
		opts = append(opts, hubtest.WithTopology(tg.Support), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	}
	env := hubtest.Start(t, opts...)
	c := &Caller{env: env, provider: tg.Agency.Code}
	probe := tg.Probe
	if probe == "" && len(tg.Agency.Provides) > 0 {
		probe = tg.Agency.Provides[0].Code
	}
	first := start(t, env, tg)
	t.Run("serves declared services", func(t *testing.T) { servesDeclared(t, c, tg) })
	t.Run("rejects bad input", func(t *testing.T) { rejectsBadInput(t, c, tg) })
	t.Run("survives restart", func(t *testing.T) {
		if err := first.Stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		// Stopping drains: requests already on their way are still
		// answered, so poll (with short calls) until the hub finds no
		// node.
		quick := &Caller{env: env, provider: tg.Agency.Code, timeout: 2 * time.Second}
		hubtest.Eventually(t, timeout, func() error {
			if _, err := quick.Exchange(probe, tg.Valid[probe](t, c)); status.Code(err) != codes.Unavailable {
				return fmt.Errorf("with the node stopped: got %v, want Unavailable", err)
			}
			return nil
		})
		start(t, env, tg)
		hubtest.Eventually(t, timeout, func() error {
			_, err := c.Exchange(probe, tg.Valid[probe](t, c))
			return err
		})
	})
	t.Run("scales out", func(t *testing.T) {
		second := start(t, env, tg)
		hubtest.Eventually(t, timeout, func() error {
			if _, err := c.Exchange(probe, tg.Valid[probe](t, c)); err != nil {
				return err
			}
			if second.served.Load() == 0 {
				return fmt.Errorf("the second instance has served nothing yet")
			}
			return nil
		})
	})
}

// instance is one started node of the target, counting what it serves.
type instance struct {
	*node.Group
	served *atomic.Int64
}

func start(t *testing.T, env *hubtest.Env, tg Target) instance {
	t.Helper()
	served := &atomic.Int64{}
	g := &node.Group{Services: []node.Service{counting{Service: tg.New(), n: served}}, Log: zaptest.NewLogger(t)}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := g.Start(ctx, env.NATSURL(), env.GRPCAddr()); err != nil {
		t.Fatalf("start %s: %v", tg.Agency.Code, err)
	}
	t.Cleanup(func() { _ = g.Stop() })
	return instance{Group: g, served: served}
}

// counting counts the requests an instance handles.
type counting struct {
	node.Service
	n *atomic.Int64
}

// Install counts every request before the wrapped handlers see it.
func (s counting) Install(n *node.Node) {
	n.Use(func(_ *hubv1.Service, h node.Handler) node.Handler {
		return func(ctx context.Context, req *node.Request) (proto.Message, error) {
			s.n.Add(1)
			return h(ctx, req)
		}
	})
	s.Service.Install(n)
}

func servesDeclared(t *testing.T, c *Caller, tg Target) {
	for _, svc := range tg.Agency.Provides {
		t.Run(svc.Code, func(t *testing.T) {
			valid, ok := tg.Valid[svc.Code]
			if !ok {
				t.Fatalf("no valid request for declared service %s", svc.Code)
			}
			req := valid(t, c)
			if got := node.TypeName(req); got != svc.RequestType {
				t.Fatalf("valid request is a %s, the service declares %s", got, svc.RequestType)
			}
			out, err := c.Exchange(svc.Code, req)
			if err != nil {
				t.Fatalf("valid request: %v", err)
			}
			if got := strings.TrimPrefix(out.GetTypeUrl(), wire.TypeURLPrefix); got != svc.ResponseType {
				t.Fatalf("answer is a %s, the service declares %s", got, svc.ResponseType)
			}
			if _, err := out.UnmarshalNew(); err != nil {
				t.Fatalf("answer does not decode: %v", err)
			}
		})
	}
}

func rejectsBadInput(t *testing.T, c *Caller, tg Target) {
	for _, svc := range tg.Agency.Provides {
		t.Run(svc.Code, func(t *testing.T) {
			garbage := &anypb.Any{TypeUrl: wire.TypeURLPrefix + svc.RequestType, Value: []byte{0xff, 0xff, 0xff}}
			wrongType := &anypb.Any{TypeUrl: wire.TypeURLPrefix + "google.protobuf.Empty"}
			for name, p := range map[string]*anypb.Any{"garbage payload": garbage, "wrong type": wrongType} {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				_, err := c.env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
					Consumer: Consumer, Provider: tg.Agency.Code, Service: svc.Code, Payload: p, Purpose: "conformance", UserId: "conformance-suite",
				})
				cancel()
				if status.Code(err) != codes.InvalidArgument {
					t.Errorf("%s: got %v, want InvalidArgument", name, err)
				} else if !strings.Contains(status.Convert(err).Message(), "payload") {
					t.Errorf("%s: message %q does not name the payload", name, status.Convert(err).Message())
				}
			}
			bad, ok := tg.Invalid[svc.Code]
			if !ok {
				return
			}
			_, err := c.Exchange(svc.Code, bad.Request)
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("invalid %s: got %v, want InvalidArgument", bad.Field, err)
			}
			if !strings.Contains(status.Convert(err).Message(), bad.Field) {
				t.Fatalf("invalid %s: message %q does not name the field", bad.Field, status.Convert(err).Message())
			}
		})
	}
}
