package restapi_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/restapi"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// TestConn drives the REST ingress through restapi.Conn, as the load-test
// runner does: answers come back as protobuf, errors with their gRPC code,
// and calls other than Exchange go over gRPC.
func TestConn(t *testing.T) {
	env := hubtest.Start(t)
	client := hubv1.NewExchangeServiceClient(restapi.NewConn(env.RESTURL(), nil, env.Conn))
	ctx := context.Background()
	lookup := func(id string) *hubv1.ExchangeRequest {
		p, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: id})
		if err != nil {
			t.Fatal(err)
		}
		return &hubv1.ExchangeRequest{Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
			Payload: p, Purpose: "p", UserId: "u", MessageId: "conn-" + id}
	}
	resp, err := client.Exchange(ctx, lookup(knownID))
	if err != nil {
		t.Fatal(err)
	}
	var got populationv1.LookupCitizenResponse
	if err := resp.GetPayload().UnmarshalTo(&got); err != nil || got.GetCitizen().GetPersonalId() != knownID || resp.GetMessageId() != "conn-"+knownID {
		t.Fatalf("answer %v %v (%v)", resp, &got, err)
	}
	if _, err := client.Exchange(ctx, lookup("123")); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a malformed id: %v, want INVALID_ARGUMENT", err)
	}
	agencies, err := hubv1.NewRegistryServiceClient(restapi.NewConn(env.RESTURL(), nil, env.Conn)).ListAgencies(ctx, &hubv1.ListAgenciesRequest{})
	if err != nil || len(agencies.GetAgencies()) == 0 {
		t.Fatalf("ListAgencies over gRPC: %v", err)
	}
}
