package hub_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// reuseDay is the business day of the message-id tests.
var reuseDay = time.Date(2021, 9, 20, 9, 0, 0, 0, time.UTC)

// household is a household-members request for knownID with message id id.
func household(t *testing.T, id string) *hubv1.ExchangeRequest {
	req := lookup(t, knownID)
	req.Service, req.MessageId, req.BusinessTime = population.ServiceHouseholdMembers, id, timestamppb.New(reuseDay)
	req.Payload = payload(t, &populationv1.HouseholdMembersRequest{PersonalId: knownID})
	return req
}

// records are every stored record of message id id.
func records(t *testing.T, env *hubtest.Env, id string) []*hubv1.TransactionRecord {
	t.Helper()
	var out []*hubv1.TransactionRecord
	req := &hubv1.QueryRecordsRequest{PageSize: 1000}
	for {
		resp, err := env.Stats.QueryRecords(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRecords() {
			if r.GetMessageId() == id {
				out = append(out, r)
			}
		}
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// TestMessageIDReused: a message id names one request. The same id for
// another service is refused with ALREADY_EXISTS naming what it was first
// used for, and the refusal is recorded; a retry of the same request is
// the same transaction; a refused request may be corrected and resent
// with its id.
func TestMessageIDReused(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	first := lookup(t, knownID)
	first.MessageId, first.BusinessTime = "X1", timestamppb.New(reuseDay)
	if _, err := env.Exchange.Exchange(ctx, first); err != nil {
		t.Fatal(err)
	}
	_, err := env.Exchange.Exchange(ctx, household(t, "X1"))
	st := status.Convert(err)
	want := fmt.Sprintf("first used for %s/%s", population.Code, population.ServiceLookup)
	if st.Code() != codes.AlreadyExists || !strings.Contains(st.Message(), `"X1"`) || !strings.Contains(st.Message(), want) {
		t.Fatalf("reused message id: %v, want ALREADY_EXISTS naming X1 and %q", err, want)
	}
	if _, err := env.Exchange.Exchange(ctx, first); err != nil { // a retry: the same transaction
		t.Fatalf("retry of the same request: %v", err)
	}
	bad := household(t, "Y1")
	bad.Purpose = strings.Repeat("p", 300)
	if _, err := env.Exchange.Exchange(ctx, bad); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad purpose: %v", err)
	}
	if _, err := env.Exchange.Exchange(ctx, household(t, "Y1")); err != nil {
		t.Fatalf("corrected request with the refused request's id: %v", err)
	}

	byCode := map[int32]int{}
	for _, r := range records(t, env, "X1") {
		byCode[r.GetCode()]++
	}
	if byCode[0] != 1 || byCode[int32(codes.AlreadyExists)] != 1 || len(byCode) != 2 {
		t.Fatalf("records of X1 by code %v, want one OK and one ALREADY_EXISTS", byCode)
	}
	resp, err := env.Stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: "2021-09-20", Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.GetStats().GetCount(); c.GetTotal() != 4 || c.GetSucceeded() != 2 {
		t.Fatalf("count %v, want 4: X1 OK and ALREADY_EXISTS, Y1 INVALID_ARGUMENT and OK", c)
	}
}

// TestMessageIDReusedTwoHubs: the same id for two services through two
// hubs is recorded twice whichever hub learns of the other's use first:
// no served exchange lacks a record.
func TestMessageIDReusedTwoHubs(t *testing.T) {
	ns := hubtest.StartNATS(t)
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation())
	ctx := ctxT(t)
	first := lookup(t, knownID)
	first.MessageId, first.BusinessTime = "X2", timestamppb.New(reuseDay)
	if _, err := a.Exchange.Exchange(ctx, first); err != nil {
		t.Fatal(err)
	}
	_, err := b.Exchange.Exchange(ctx, household(t, "X2"))
	if c := status.Code(err); c != codes.OK && c != codes.AlreadyExists {
		t.Fatalf("second use on another hub: %v, want OK (not yet seen) or ALREADY_EXISTS", err)
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		if n := len(records(t, b, "X2")); n != 2 {
			return fmt.Errorf("%d records of X2, want 2", n)
		}
		return nil
	})
	// Once b has read a's record, b refuses a third use.
	hubtest.Eventually(t, 20*time.Second, func() error {
		req := household(t, "X2")
		req.Service, req.Payload = population.ServiceVerify, payload(t, &populationv1.VerifyCitizenRequest{PersonalId: knownID})
		_, err := b.Exchange.Exchange(ctx, req)
		if status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("third use: %v, want ALREADY_EXISTS", err)
		}
		return nil
	})
}
