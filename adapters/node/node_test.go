package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

const (
	provider = "000.00.99.G90"
	consumer = "000.00.00.H01"
)

func TestHandlerFailures(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: provider,
		Handlers: map[string]node.Handler{
			"panics": func(context.Context, *node.Request) (proto.Message, error) { panic("boom") },
			"plain":  func(context.Context, *node.Request) (proto.Message, error) { return nil, errors.New("disk full") },
			"coded": func(context.Context, *node.Request) (proto.Message, error) {
				return nil, node.Errorf(codes.FailedPrecondition, "record is locked")
			},
			"ok": func(_ context.Context, r *node.Request) (proto.Message, error) {
				return &hubv1.Count{Total: int64(len(r.Payload))}, nil
			},
		},
	})))
	tests := []struct {
		service string
		code    codes.Code
		msg     string
	}{
		{"panics", codes.Internal, "panics: internal error"},
		{"plain", codes.Internal, "disk full"},
		{"coded", codes.FailedPrecondition, "record is locked"},
		{"ok", codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{Consumer: consumer, Provider: provider, Service: tt.service})
			if st := status.Convert(err); st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("Exchange = %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
}

func TestMicroDiscovery(t *testing.T) {
	env := hubtest.Start(t)
	nc, err := nats.Connect(env.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subject, err := micro.ControlSubject(micro.InfoVerb, wire.ServiceName("000.00.01.G01"), "")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := nc.Request(subject, nil, 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	var info micro.Info
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Metadata["agency"] != "000.00.01.G01" || len(info.Endpoints) == 0 || info.Endpoints[0].Name != "citizen-lookup" {
		t.Fatalf("info = %+v", info)
	}
	for _, e := range info.Endpoints {
		if !strings.HasPrefix(e.Subject, "ndxp.svc.000_00_01_G01.") {
			t.Errorf("endpoint %s serves %s", e.Name, e.Subject)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  node.Config
		want string
	}{
		{"no nats", node.Config{Agency: &hubv1.Agency{Code: provider}}, "NATSURL"},
		{"no agency", node.Config{NATSURL: "nats://127.0.0.1:1"}, "Agency"},
		{"bad code", node.Config{NATSURL: "nats://127.0.0.1:1", Agency: &hubv1.Agency{Code: "x"}}, "agency code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := node.New(tt.cfg, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// TestMicroStats checks that the NATS micro STATS a node answers are
// true: every request counted, every error answer an error, and the
// processing time that of the handler (here at least its 5ms sleep), as
// `nats micro stats` shows them.
func TestMicroStats(t *testing.T) {
	const good, bad = 7, 3
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: provider,
		Handlers: map[string]node.Handler{
			"count": func(_ context.Context, r *node.Request) (proto.Message, error) {
				time.Sleep(5 * time.Millisecond)
				var c hubv1.Count
				if err := r.Decode(&c); err != nil {
					return nil, err
				}
				return &c, nil
			},
		},
	})))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range good + bad {
		var payload proto.Message = &hubv1.Count{Total: int64(i)}
		want := codes.OK
		if i >= good {
			payload, want = &hubv1.Agency{Code: "not a count"}, codes.InvalidArgument
		}
		any, err := anypb.New(payload)
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{Consumer: consumer, Provider: provider, Service: "count", Payload: any})
		if got := status.Code(err); got != want {
			t.Fatalf("request %d: %v, want %v", i, err, want)
		}
	}
	nc, err := nats.Connect(env.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subject, err := micro.ControlSubject(micro.StatsVerb, wire.ServiceName(provider), "")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := nc.Request(subject, nil, 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	var stats micro.Stats
	if err := json.Unmarshal(msg.Data, &stats); err != nil {
		t.Fatal(err)
	}
	if stats.Type != micro.StatsResponseType || len(stats.Endpoints) != 1 {
		t.Fatalf("stats = %s", msg.Data)
	}
	e := stats.Endpoints[0]
	if e.Name != "count" || e.NumRequests != good+bad || e.NumErrors != bad ||
		!strings.HasPrefix(e.LastError, strconv.Itoa(int(codes.InvalidArgument))+":invalid payload") {
		t.Errorf("endpoint stats = %s, want %d requests, %d errors, the last an INVALID_ARGUMENT", msg.Data, good+bad, bad)
	}
	if e.AverageProcessingTime < 5*time.Millisecond || e.ProcessingTime < (good+bad)*5*time.Millisecond {
		t.Errorf("processing time %v (average %v), want at least the handler's 5ms a request", e.ProcessingTime, e.AverageProcessingTime)
	}
}

// TestGroupErrorsOncePerCause: when NATS cannot be reached, a group of
// many nodes reports the cause once, not once per node.
func TestGroupErrorsOncePerCause(t *testing.T) {
	codes := []string{"000.00.99.G91", "000.00.99.G92", "000.00.99.G93"}
	certs := pki.Dir(t.TempDir())
	if err := pki.Ensure(certs, pki.Codes(codes...)); err != nil {
		t.Fatal(err)
	}
	var services []node.Service
	for _, code := range codes {
		services = append(services, &hubtest.FuncAgency{Code: code, Handlers: map[string]node.Handler{
			"ok": func(context.Context, *node.Request) (proto.Message, error) { return &hubv1.Count{}, nil },
		}})
	}
	g := &node.Group{Services: services, Template: node.Config{NATSOptions: []nats.Option{nats.Timeout(2 * time.Second)}}}
	g.UseCerts(certs, false) // one connection per node, as in secure mode
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := g.Start(ctx, "nats://127.0.0.1:1", "")
	if err == nil {
		t.Fatal("started against a NATS that is not there")
	}
	if !errors.Is(err, nats.ErrNoServers) {
		t.Errorf("error %v does not wrap nats.ErrNoServers", err)
	}
	if n := strings.Count(err.Error(), "no servers available"); n != 1 || !strings.Contains(err.Error(), "and 2 other nodes the same way") {
		t.Fatalf("error names the cause %d times: %v", n, err)
	}
}
