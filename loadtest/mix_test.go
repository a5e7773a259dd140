package loadtest_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/hubtest"
	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// insurance is a stand-in for the social insurance simulator: card
// lookups succeed, household verifications always fail.
type insurance struct{}

func (insurance) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: topology.SocialInsuranceCode, Name: "test insurance", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
}

func (insurance) Install(n *node.Node) {
	n.Handle(&hubv1.Service{Code: topology.ServiceCardLookup, RequestType: "ndxp.insurance.v1.LookupCardRequest"},
		func(context.Context, *node.Request) (proto.Message, error) { return &emptypb.Empty{}, nil })
	n.Handle(&hubv1.Service{Code: topology.ServiceHouseholdVerify, RequestType: "ndxp.insurance.v1.VerifyHouseholdRequest"},
		func(context.Context, *node.Request) (proto.Message, error) {
			return nil, node.Errorf(codes.FailedPrecondition, "household not verifiable")
		})
}

// TestRunUsesRegisteredMix: as simulators register, the run uses more of
// the profile's mix, and their failures reconcile as failures.
func TestRunUsesRegisteredMix(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithAgencies(&node.Group{Services: []node.Service{insurance{}}, Log: zaptest.NewLogger(t)}))
	waitReady(t, env)
	hubtest.Eventually(t, 30*time.Second, func() error {
		_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H29", Provider: topology.SocialInsuranceCode, Service: topology.ServiceCardLookup,
		})
		return err
	})
	prof, err := loadtest.LoadProfile("2023-05")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, loadtest.Config{Profile: prof, Scale: 0.002, Mode: loadtest.ModeStream},
		[]grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]loadtest.ServiceReport{}
	for _, s := range rep.Services {
		got[s.Service] = s
	}
	lookup, verify := got[topology.SocialInsuranceCode+"/card-lookup"], got[topology.SocialInsuranceCode+"/household-verify"]
	if len(rep.Services) != 4 || lookup.Succeeded == 0 || lookup.Failed != 0 || verify.Failed == 0 || verify.Succeeded != 0 {
		t.Fatalf("services used: %+v; want population's two and insurance's two, verifications failing", rep.Services)
	}
	if rep.Errors["FailedPrecondition"] != verify.Failed || !rep.Green {
		t.Fatalf("errors %v, green %v (%v); want the failed verifications, reconciled", rep.Errors, rep.Green, rep.Failures)
	}
}
