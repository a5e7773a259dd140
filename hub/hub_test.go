package hub_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

const (
	consumer = "000.00.00.H29" // Hồ Chí Minh City's LGSP
	knownID  = "001194053383"  // exists in the seed-1 population
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func payload(t testing.TB, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func lookup(t testing.TB, id string) *hubv1.ExchangeRequest {
	return &hubv1.ExchangeRequest{
		Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
		Payload: payload(t, &populationv1.LookupCitizenRequest{PersonalId: id}),
		Purpose: "test", UserId: "officer-1",
	}
}

func TestExchangeLookup(t *testing.T) {
	env := hubtest.Start(t)
	req := lookup(t, knownID)
	req.BusinessTime = timestamppb.New(time.Date(2022, 3, 15, 10, 0, 0, 0, time.UTC))
	resp, err := env.Exchange.Exchange(ctxT(t), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	out := &populationv1.LookupCitizenResponse{}
	if err := resp.GetPayload().UnmarshalTo(out); err != nil {
		t.Fatalf("payload: %v", err)
	}
	want, _ := env.Population.Population().Citizen(knownID)
	if !proto.Equal(out.GetCitizen(), want) {
		t.Fatalf("citizen = %v, want %v", out.GetCitizen(), want)
	}
	if resp.GetMessageId() == "" || resp.GetBusinessDay() != "2022-03-15" {
		t.Fatalf("message id %q, business day %q", resp.GetMessageId(), resp.GetBusinessDay())
	}
}

func TestExchangeErrors(t *testing.T) {
	slowCode, silentCode := "000.00.99.G97", "000.00.99.G98"
	env := hubtest.Start(t, hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: slowCode,
		Handlers: map[string]node.Handler{"wait": func(ctx context.Context, _ *node.Request) (proto.Message, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
	})))
	// An agency registered with the hub whose node is not running.
	_, err := env.Registry.RegisterAgency(ctxT(t), &hubv1.RegisterAgencyRequest{Agency: &hubv1.Agency{
		Code: silentCode, Name: "offline", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
		Services: []*hubv1.Service{{Code: "ping"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(r *hubv1.ExchangeRequest)) *hubv1.ExchangeRequest {
		r := lookup(t, knownID)
		f(r)
		return r
	}
	tests := []struct {
		name    string
		req     *hubv1.ExchangeRequest
		timeout time.Duration
		code    codes.Code
		msg     string
	}{
		{"unknown provider", with(func(r *hubv1.ExchangeRequest) { r.Provider = "000.00.99.G99" }), 0, codes.NotFound, "unknown agency"},
		{"unknown service", with(func(r *hubv1.ExchangeRequest) { r.Service = "no-such" }), 0, codes.NotFound, "unknown service"},
		{"no node online", with(func(r *hubv1.ExchangeRequest) { r.Provider, r.Service = silentCode, "ping" }), 0, codes.Unavailable, "no node"},
		{"provider timeout", with(func(r *hubv1.ExchangeRequest) { r.Provider, r.Service = slowCode, "wait" }), 300 * time.Millisecond, codes.DeadlineExceeded, ""},
		{"malformed provider", with(func(r *hubv1.ExchangeRequest) { r.Provider = "G01" }), 0, codes.InvalidArgument, "invalid provider"},
		{"malformed service", with(func(r *hubv1.ExchangeRequest) { r.Service = "Citizen Lookup" }), 0, codes.InvalidArgument, "invalid service"},
		{"missing consumer", with(func(r *hubv1.ExchangeRequest) { r.Consumer = "" }), 0, codes.InvalidArgument, "invalid consumer"},
		{"malformed message id", with(func(r *hubv1.ExchangeRequest) { r.MessageId = "a b" }), 0, codes.InvalidArgument, "invalid message_id"},
		{"malformed type url", with(func(r *hubv1.ExchangeRequest) { r.Payload.TypeUrl = "x/y" }), 0, codes.InvalidArgument, "invalid payload.@type"},
		{"provider's invalid argument", lookup(t, "12345"), 0, codes.InvalidArgument, "invalid personal_id"},
		{"provider's not found", lookup(t, env.Population.Population().SampleMissing(rand.New(rand.NewPCG(1, 2)))), 0, codes.NotFound, "no citizen"},
		{"wrong payload type", with(func(r *hubv1.ExchangeRequest) {
			r.Payload = payload(t, &populationv1.VerifyCitizenRequest{PersonalId: knownID})
		}), 0, codes.InvalidArgument, "takes ndxp.population.v1.LookupCitizenRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := env.Exchange.Exchange(ctx, tt.req)
			st := status.Convert(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("Exchange error = %v %q, want %v containing %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
}

func TestDeadlinePropagated(t *testing.T) {
	seen := make(chan time.Duration, 1)
	code := "000.00.99.G96"
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
		Code: code,
		Handlers: map[string]node.Handler{"deadline": func(ctx context.Context, _ *node.Request) (proto.Message, error) {
			d, ok := ctx.Deadline()
			if !ok {
				return nil, errors.New("no deadline")
			}
			seen <- time.Until(d)
			return &hubv1.Count{}, nil
		}},
	})))
	ctx, cancel := context.WithTimeout(ctxT(t), 20*time.Second)
	defer cancel()
	if _, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{Consumer: consumer, Provider: code, Service: "deadline"}); err != nil {
		t.Fatal(err)
	}
	if left := <-seen; left <= 0 || left > 20*time.Second {
		t.Fatalf("provider saw %s left, want the caller's 20s deadline", left)
	}
}

func TestNodeRestart(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	pop := population.New(population.Config{Seed: 1})
	start := func() *node.Group {
		g := hubtest.Group(pop)
		if err := g.Start(ctxT(t), env.NATSURL(), env.GRPCAddr()); err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := start()
	if _, err := env.Exchange.Exchange(ctxT(t), lookup(t, knownID)); err != nil {
		t.Fatalf("before restart: %v", err)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Exchange.Exchange(ctxT(t), lookup(t, knownID)); status.Code(err) != codes.Unavailable {
		t.Fatalf("with the node stopped: %v, want Unavailable", err)
	}
	g = start()
	defer g.Stop()
	if _, err := env.Exchange.Exchange(ctxT(t), lookup(t, knownID)); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestTwoInstancesShareLoad(t *testing.T) {
	code := "000.00.99.G95"
	var mu sync.Mutex
	served := map[string]int{}
	instance := func(name string) *hubtest.FuncAgency {
		return &hubtest.FuncAgency{Code: code, Handlers: map[string]node.Handler{"who": func(context.Context, *node.Request) (proto.Message, error) {
			mu.Lock()
			served[name]++
			mu.Unlock()
			return &hubv1.Count{}, nil
		}}}
	}
	env := hubtest.Start(t, hubtest.WithoutPopulation(),
		hubtest.WithAgencies(hubtest.Group(instance("a")), hubtest.Group(instance("b"))))
	const n = 60
	for i := range n {
		if _, err := env.Exchange.Exchange(ctxT(t), &hubv1.ExchangeRequest{Consumer: consumer, Provider: code, Service: "who", MessageId: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if served["a"] == 0 || served["b"] == 0 || served["a"]+served["b"] != n {
		t.Fatalf("served %v, want both instances to share %d requests", served, n)
	}
}

func TestRegistrySurvivesHubRestart(t *testing.T) {
	ns := hubtest.StartNATS(t)
	first := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	first.Stop(t)
	second := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation())
	resp, err := second.Registry.GetAgency(ctxT(t), &hubv1.GetAgencyRequest{Code: population.Code})
	if err != nil {
		t.Fatalf("GetAgency after restart: %v", err)
	}
	// The population database's services (citizen lookup and verify, ID
	// numbers, residence, household) are all still registered.
	if len(resp.GetAgency().GetServices()) != 7 {
		t.Fatalf("services = %v", resp.GetAgency().GetServices())
	}
}

func TestRegisterAgencyValidation(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	tests := []struct {
		name  string
		a     *hubv1.Agency
		field string
	}{
		{"missing", nil, "agency"},
		{"bad code", &hubv1.Agency{Code: "H29", Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}, "agency.code"},
		{"no name", &hubv1.Agency{Code: consumer, Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}, "agency.name"},
		{"blank name", &hubv1.Agency{Code: consumer, Name: "  ", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}, "agency.name"},
		{"undefined kind", &hubv1.Agency{Code: consumer, Name: "x", Kind: 42}, "agency.kind"},
		{"bad request type", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Services: []*hubv1.Service{{Code: "ok", RequestType: "ndxp..Request"}}}, "agency.services[0].request_type"},
		{"no kind", &hubv1.Agency{Code: consumer, Name: "x"}, "agency.kind"},
		{"bad service", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Services: []*hubv1.Service{{Code: "ok"}, {Code: "Not OK"}}}, "agency.services[1].code"},
		{"duplicate service", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Services: []*hubv1.Service{{Code: "ok"}, {Code: "ok"}}}, "agency.services[1].code"},
		{"reserved service", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Services: []*hubv1.Service{{Code: "unknown"}}}, "agency.services[0].code"},
		{"bad event type", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Events: []*hubv1.EventType{{Code: "Born!", PayloadType: "ndxp.events.v1.BirthRegistered"}}}, "agency.events[0].code"},
		{"event without payload type", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Events: []*hubv1.EventType{{Code: "born"}}}, "agency.events[0].payload_type"},
		{"duplicate event type", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Events: []*hubv1.EventType{{Code: "born", PayloadType: "a.B"}, {Code: "born", PayloadType: "a.B"}}}, "agency.events[1].code"},
		{"another's event", &hubv1.Agency{Code: consumer, Name: "x", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
			Events: []*hubv1.EventType{{Code: "born", Publisher: "000.00.01.G02", PayloadType: "a.B"}}}, "agency.events[0].publisher"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Registry.RegisterAgency(ctxT(t), &hubv1.RegisterAgencyRequest{Agency: tt.a})
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "invalid "+tt.field+":") {
				t.Fatalf("RegisterAgency = %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), tt.field)
			}
		})
	}
	if _, err := env.Registry.GetAgency(ctxT(t), &hubv1.GetAgencyRequest{Code: consumer}); status.Code(err) != codes.NotFound {
		t.Fatalf("GetAgency of unregistered = %v, want NotFound", err)
	}
}

func TestHealthAndReflection(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	resp, err := healthpb.NewHealthClient(env.Conn).Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "ndxp.hub.v1.ExchangeService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", resp, err)
	}
}
