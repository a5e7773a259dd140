package loadtest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/loadtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// insurance is a stand-in for the social insurance simulator: child
// cards are issued, household verifications always fail.
type insurance struct{}

func (insurance) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: topology.SocialInsuranceCode, Name: "test insurance", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
}

func (insurance) Install(n *node.Node) {
	n.Handle(&hubv1.Service{Code: topology.ServiceChildCardIssue, RequestType: "ndxp.insurance.v1.IssueChildCardRequest"},
		func(context.Context, *node.Request) (proto.Message, error) { return &emptypb.Empty{}, nil })
	n.Handle(&hubv1.Service{Code: topology.ServiceHouseholdVerify, RequestType: "ndxp.insurance.v1.VerifyHouseholdRequest"},
		func(context.Context, *node.Request) (proto.Message, error) {
			return nil, node.Errorf(codes.FailedPrecondition, "household not verifiable")
		})
}

// TestRunUsesRegisteredMix: as simulators register, the run uses more of
// the profile's mix, leaves out (and reports) what is not registered, and
// their failures reconcile as failures.
func TestRunUsesRegisteredMix(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithAgencies(&node.Group{Services: []node.Service{insurance{}}, Log: zaptest.NewLogger(t)}))
	waitReady(t, env)
	hubtest.Eventually(t, 30*time.Second, func() error {
		_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H29", Provider: topology.SocialInsuranceCode, Service: topology.ServiceChildCardIssue,
		})
		return err
	})
	prof, err := loadtest.LoadProfile("2023-05")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, loadtest.Config{Profile: prof, Scale: 0.01, Mode: loadtest.ModeStream},
		[]grpc.ClientConnInterface{env.Conn}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]loadtest.ServiceReport{}
	for _, s := range rep.Services {
		got[s.Service] = s
	}
	card, verify := got[topology.SocialInsuranceCode+"/child-card-issue"], got[topology.SocialInsuranceCode+"/household-verify"]
	if card.Succeeded == 0 || card.Failed != 0 || verify.Failed == 0 || verify.Succeeded != 0 {
		t.Fatalf("services used: %+v; want child cards issued, verifications failing", rep.Services)
	}
	// The population database's seven services and the two insurance ones.
	var population int
	for _, s := range rep.Services {
		if strings.HasPrefix(s.Service, topology.PopulationCode+"/") {
			population++
			if s.Failed != 0 || s.Succeeded == 0 {
				t.Errorf("%s: %d succeeded, %d failed; want successes only", s.Service, s.Succeeded, s.Failed)
			}
		}
	}
	if population != 7 || len(rep.Services) != 9 {
		t.Errorf("services used: %d, of the population %d; want the population's 7 and insurance's 2", len(rep.Services), population)
	}
	if len(rep.Unregistered) != len(loadtest.DefaultMix)-9 || !slices.Contains(rep.Unregistered, topology.SocialInsuranceCode+"/funeral-allowance") {
		t.Errorf("unregistered %v; want the %d others of the mix, insurance's funeral-allowance among them", rep.Unregistered, len(loadtest.DefaultMix)-9)
	}
	if rep.Errors["FailedPrecondition"] != verify.Failed || rep.Failed != verify.Failed || !rep.Green {
		t.Fatalf("errors %v, failed %d, green %v (%v); want the failed verifications only, reconciled", rep.Errors, rep.Failed, rep.Green, rep.Failures)
	}
}
