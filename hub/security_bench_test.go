package hub_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// BenchmarkExchange compares one lookup at a time in the open test mode
// and in the secure mode (TLS, certificate identity, grant check, TLS
// NATS). Run: go test ./hub -run XXX -bench Exchange -benchtime 2000x
func BenchmarkExchange(b *testing.B) {
	grant := &hubv1.AccessGrant{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer}}
	for _, mode := range []struct {
		name   string
		secure bool
	}{{"insecure", false}, {"secure", true}} {
		b.Run(mode.name, func(b *testing.B) {
			opts := []hubtest.Option{hubtest.WithGrants(grant)}
			client := func(env *hubtest.Env) hubv1.ExchangeServiceClient { return env.Exchange }
			if mode.secure {
				opts = append(opts, hubtest.WithSecurity())
				client = func(env *hubtest.Env) hubv1.ExchangeServiceClient {
					return hubv1.NewExchangeServiceClient(env.DialAs(b, consumer))
				}
			}
			env := hubtest.Start(b, opts...)
			c := client(env)
			p := payloadB(b)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Exchange(ctx, &hubv1.ExchangeRequest{
					Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
					Payload: p, Purpose: "bench", UserId: "officer-1",
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func payloadB(b *testing.B) *anypb.Any {
	a, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: knownID})
	if err != nil {
		b.Fatal(err)
	}
	return a
}
