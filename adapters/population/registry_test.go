package population_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

func call(env *hubtest.Env, service string, req, resp proto.Message) error {
	payload, _ := anypb.New(req)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
		Consumer: "000.00.01.G02", Provider: population.Code, Service: service, Payload: payload, Purpose: "test", UserId: "tester",
	})
	if err != nil {
		return err
	}
	return out.GetPayload().UnmarshalTo(resp)
}

func issue(t *testing.T, env *hubtest.Env) string {
	t.Helper()
	out := &populationv1.IssuePersonalIdResponse{}
	if err := call(env, population.ServicePIDIssue, &populationv1.IssuePersonalIdRequest{
		FullName: "Phạm Gia Huy", DateOfBirth: vn.Day(time.Now()), Sex: populationv1.Sex_SEX_MALE, BirthProvinceCode: "001", BirthRegistrationRef: "KS-001",
	}, out); err != nil {
		t.Fatalf("issue: %v", err)
	}
	return out.GetPersonalId()
}

func TestIssuedNumbersAreNeverReissued(t *testing.T) {
	env := hubtest.Start(t)
	seen := map[string]bool{}
	for range 200 {
		id := issue(t, env)
		if seen[id] {
			t.Fatalf("%s issued twice", id)
		}
		seen[id] = true
		if err := synth.Validate(id); err != nil || !strings.HasPrefix(id, "0012") {
			t.Fatalf("issued %s: %v", id, err)
		}
		if env.Population.Population().Exists(id) {
			t.Fatalf("issued %s belongs to a synthetic citizen", id)
		}
	}
}

func TestRunState(t *testing.T) {
	env := hubtest.Start(t)
	id := issue(t, env)
	lookup := func() (*populationv1.Citizen, error) {
		out := &populationv1.LookupCitizenResponse{}
		err := call(env, population.ServiceLookup, &populationv1.LookupCitizenRequest{PersonalId: id}, out)
		return out.GetCitizen(), err
	}
	if c, err := lookup(); err != nil || c.GetFullName() != "Phạm Gia Huy" {
		t.Fatalf("new citizen: %v %v", c, err)
	}
	// Registering with a head joins the head's household.
	head := "001194053383"
	reg := &populationv1.RegisterResidenceResponse{}
	if err := call(env, population.ServiceResidenceRegister, &populationv1.RegisterResidenceRequest{
		PersonalId: id, HeadPersonalId: head, Address: &populationv1.Address{Province: "Hà Nội", Ward: "Phường Tràng Tiền"},
	}, reg); err != nil {
		t.Fatal(err)
	}
	hh := &populationv1.HouseholdMembersResponse{}
	if err := call(env, population.ServiceHouseholdMembers, &populationv1.HouseholdMembersRequest{PersonalId: head}, hh); err != nil {
		t.Fatal(err)
	}
	if len(hh.GetMembers()) != 2 || hh.GetMembers()[1].GetPersonalId() != id || hh.GetHouseholdId() != reg.GetHouseholdId() {
		t.Fatalf("household %v", hh)
	}
	// Removal, then a second removal has nothing to remove.
	rm := &populationv1.RemoveResidenceResponse{}
	if err := call(env, population.ServiceResidenceRemove, &populationv1.RemoveResidenceRequest{PersonalId: id, Reason: "moved"}, rm); err != nil {
		t.Fatal(err)
	}
	if c, _ := lookup(); c.GetPermanentResidence() != nil {
		t.Fatalf("residence still there: %v", c)
	}
	err := call(env, population.ServiceResidenceRemove, &populationv1.RemoveResidenceRequest{PersonalId: id, Reason: "moved"}, rm)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second removal: %v", err)
	}
	// Cancellation: the number answers FAILED_PRECONDITION from then on.
	if err := call(env, population.ServicePIDCancel, &populationv1.CancelPersonalIdRequest{PersonalId: id, Reason: "withdrawn"}, &populationv1.CancelPersonalIdResponse{}); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"lookup": func() error { _, err := lookup(); return err },
		"cancel again": func() error {
			return call(env, population.ServicePIDCancel, &populationv1.CancelPersonalIdRequest{PersonalId: id, Reason: "x"}, &populationv1.CancelPersonalIdResponse{})
		},
		"register": func() error {
			return call(env, population.ServiceResidenceRegister, &populationv1.RegisterResidenceRequest{PersonalId: id, Address: &populationv1.Address{Province: "Hà Nội", Ward: "x"}}, &populationv1.RegisterResidenceResponse{})
		},
	} {
		if err := f(); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("%s after cancel: got %v, want FailedPrecondition (cancelled)", name, err)
		}
	}
}

// TestRetriedIssueIsAnsweredOnce: a pid-issue retried with the same
// message id (its answer lost) gets the same number, not a second one.
func TestRetriedIssueIsAnsweredOnce(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := full.Filter(topology.PopulationCode)
	env := hubtest.Start(t, hubtest.WithTopology(sub))
	req, _ := anypb.New(&populationv1.IssuePersonalIdRequest{
		FullName: "Đỗ An", DateOfBirth: vn.Day(time.Now()), Sex: populationv1.Sex_SEX_FEMALE, BirthProvinceCode: "001", BirthRegistrationRef: "KS-1",
	})
	var ids []string
	for _, msgID := range []string{"retry-1", "retry-1", "other"} {
		out, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			MessageId: msgID, Consumer: topology.CivilRegistryCode, Provider: population.Code, Service: population.ServicePIDIssue, Payload: req,
		})
		if err != nil {
			t.Fatal(err)
		}
		resp := &populationv1.IssuePersonalIdResponse{}
		if err := out.GetPayload().UnmarshalTo(resp); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.GetPersonalId())
	}
	if ids[0] != ids[1] || ids[0] == ids[2] {
		t.Fatalf("issued %v: want the retry to get the first number and another message id a new one", ids)
	}
}
