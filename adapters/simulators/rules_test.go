package simulators_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
)

// TestDomainRules checks the rules the national databases enforce beyond
// input validation: once-only registrations and grants, the age limit of
// the child's card, and household verification through the hub.
func TestDomainRules(t *testing.T) {
	full, _ := topology.Builtin("2023")
	sub, _ := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode)
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	exchange := func(provider, service string, req proto.Message) (*anypb.Any, error) {
		payload, _ := anypb.New(req)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H01", Provider: provider, Service: service, Payload: payload, Purpose: "test", UserId: "tester",
		})
		return out.GetPayload(), err
	}
	dead, claimant, member := citizen(), citizen(), citizen()
	death := &civilv1.RegisterDeathRequest{PersonalId: dead, FullName: nameOf(dead), DateOfDeath: yesterday, ProvinceCode: "001"}
	funeral := &insurancev1.FuneralAllowanceRequest{DeceasedPersonalId: dead, DeathRegistrationRef: "KT-1", ClaimantPersonalId: claimant}
	card := &insurancev1.IssueChildCardRequest{PersonalId: citizen(), FullName: "Bé Na", DateOfBirth: yesterday}
	tests := []struct {
		name          string
		provider, svc string
		req           proto.Message
		want          codes.Code
		msg           string
	}{
		{"death registered", topology.CivilRegistryCode, "death-register", death, codes.OK, ""},
		{"death registered twice", topology.CivilRegistryCode, "death-register", death, codes.FailedPrecondition, "already registered"},
		{"funeral allowance", topology.SocialInsuranceCode, "funeral-allowance", funeral, codes.OK, ""},
		{"funeral allowance twice", topology.SocialInsuranceCode, "funeral-allowance", funeral, codes.AlreadyExists, "already granted"},
		{"child card", topology.SocialInsuranceCode, "child-card-issue", card, codes.OK, ""},
		{"child card twice", topology.SocialInsuranceCode, "child-card-issue", card, codes.AlreadyExists, "already has card"},
		{"card for a 6-year-old", topology.SocialInsuranceCode, "child-card-issue",
			&insurancev1.IssueChildCardRequest{PersonalId: citizen(), FullName: "Anh Lớn", DateOfBirth: vn.Day(time.Now().AddDate(-6, 0, -1))}, codes.FailedPrecondition, "under 6"},
		{"birth in the future", topology.CivilRegistryCode, "birth-register",
			&civilv1.RegisterBirthRequest{ChildName: "A", DateOfBirth: vn.Day(time.Now().AddDate(0, 0, 2)), Sex: 1, ProvinceCode: "001", MotherPersonalId: member}, codes.InvalidArgument, "in the future"},
		{"marriage with oneself", topology.CivilRegistryCode, "marriage-register",
			&civilv1.RegisterMarriageRequest{Spouse1PersonalId: member, Spouse2PersonalId: member, Spouse1Name: "A", Spouse2Name: "A", ProvinceCode: "001"}, codes.InvalidArgument, "spouse2_personal_id"},
		{"unknown record", topology.CivilRegistryCode, "record-lookup", &civilv1.LookupRecordRequest{Ref: "KS-000-2026-999999"}, codes.NotFound, "KS-000"},
		{"household verify of a missing citizen", topology.SocialInsuranceCode, "household-verify",
			&insurancev1.VerifyHouseholdRequest{PersonalId: synth.Population{Seed: 1}.SampleMissing(rand.New(rand.NewPCG(3, 4))), DeclaredMemberIds: []string{member}}, codes.NotFound, "household-members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exchange(tt.provider, tt.svc, tt.req)
			if status.Code(err) != tt.want || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Fatalf("got %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
		})
	}
	t.Run("household verify finds undeclared members", func(t *testing.T) {
		out := &insurancev1.VerifyHouseholdResponse{}
		payload, err := exchange(topology.SocialInsuranceCode, "household-verify", &insurancev1.VerifyHouseholdRequest{PersonalId: member, DeclaredMemberIds: []string{member, claimant}})
		if err == nil {
			err = payload.UnmarshalTo(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		if out.GetMatch() || len(out.GetConfirmedIds()) != 1 || len(out.GetUnconfirmedIds()) != 1 || out.GetUnconfirmedIds()[0] != claimant {
			t.Fatalf("got %v", out)
		}
	})
}
