// Package insurance simulates the national insurance database (Vietnam
// Social Security, "BHXH") as an agency node: it verifies households
// against the population database through the hub, issues health
// insurance cards to children under 6 and grants funeral allowances,
// keeping what it issued in memory for the run.
package insurance

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Code is the insurance database's agency code in the built-in topologies.
const Code = "000.00.01.G23"

// PopulationCode is the population database it verifies households with.
const PopulationCode = "000.00.01.G01"

// Service codes.
const (
	ServiceHouseholdVerify  = "household-verify"
	ServiceChildCardIssue   = "child-card-issue"
	ServiceFuneralAllowance = "funeral-allowance"
	ServiceCardLookup       = "card-lookup"
)

// FuneralAllowanceVND is the funeral allowance: 10 times the statutory
// base salary of 2,340,000 đồng (from 1 July 2024).
const FuneralAllowanceVND = 23_400_000

// Simulator answers the insurance database's services. It is safe for
// concurrent use.
type Simulator struct {
	agency *hubv1.Agency

	mu         sync.Mutex
	cards      map[string]*insurancev1.Card // by personal id
	byNumber   map[string]string            // card number -> personal id
	allowances map[string]string            // deceased personal id -> decision ref
	seq        int
}

// New returns a simulator registering as agency (nil: the built-in
// insurance database).
func New(agency *hubv1.Agency) *Simulator {
	if agency == nil {
		agency = &hubv1.Agency{Code: Code, Name: "Cơ sở dữ liệu quốc gia về bảo hiểm (Bảo hiểm xã hội Việt Nam)", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
	}
	return &Simulator{agency: agency, cards: map[string]*insurancev1.Card{}, byNumber: map[string]string{}, allowances: map[string]string{}}
}

// Agency is the registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	a := proto.CloneOf(s.agency)
	a.Events = events.Declarations(events.Insurance)
	return a
}

// Install adds the services to n; household-verify calls the population
// database through the hub as n's agency.
func (s *Simulator) Install(n *node.Node) {
	c := n.Client()
	verify := func(ctx context.Context, req *node.Request) (proto.Message, error) { return s.verify(ctx, c, req) }
	for _, e := range []struct {
		code, desc string
		req, resp  proto.Message
		h          node.Handler
		personal   bool
	}{
		{ServiceHouseholdVerify, "Verify a household's declared members against the population database.", &insurancev1.VerifyHouseholdRequest{}, &insurancev1.VerifyHouseholdResponse{}, verify, false},
		{ServiceChildCardIssue, "Issue a health insurance card to a child under 6.", &insurancev1.IssueChildCardRequest{}, &insurancev1.IssueChildCardResponse{}, s.issue, false},
		{ServiceFuneralAllowance, "Grant the funeral allowance.", &insurancev1.FuneralAllowanceRequest{}, &insurancev1.FuneralAllowanceResponse{}, s.funeral, false},
		{ServiceCardLookup, "Look up a health insurance card.", &insurancev1.LookupCardRequest{}, &insurancev1.LookupCardResponse{}, s.lookup, true},
	} {
		n.Handle(&hubv1.Service{Code: e.code, Description: e.desc, RequestType: node.TypeName(e.req), ResponseType: node.TypeName(e.resp), PersonalData: e.personal}, e.h)
	}
	s.react(n, c)
}

func (s *Simulator) verify(ctx context.Context, c *node.Client, req *node.Request) (proto.Message, error) {
	in := &insurancev1.VerifyHouseholdRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if err := checkID("personal_id", in.GetPersonalId()); err != nil {
		return nil, err
	}
	if len(in.GetDeclaredMemberIds()) == 0 {
		return nil, node.Errorf(codes.InvalidArgument, "declared_member_ids is required")
	}
	for i, id := range in.GetDeclaredMemberIds() {
		if err := checkID(fmt.Sprintf("declared_member_ids[%d]", i), id); err != nil {
			return nil, err
		}
	}
	hh := &populationv1.HouseholdMembersResponse{}
	purpose := req.Purpose
	if purpose == "" {
		purpose = "household-verify " + req.MessageID
	}
	if _, err := c.Exchange(ctx, node.Call{Provider: PopulationCode, Service: "household-members", Purpose: purpose, UserID: "bhxh-system"},
		&populationv1.HouseholdMembersRequest{PersonalId: in.GetPersonalId()}, hh); err != nil {
		return nil, err
	}
	out := &insurancev1.VerifyHouseholdResponse{HouseholdId: hh.GetHouseholdId()}
	for _, id := range in.GetDeclaredMemberIds() {
		if slices.ContainsFunc(hh.GetMembers(), func(m *populationv1.Citizen) bool { return m.GetPersonalId() == id }) {
			out.ConfirmedIds = append(out.ConfirmedIds, id)
		} else {
			out.UnconfirmedIds = append(out.UnconfirmedIds, id)
		}
	}
	out.Match = len(out.UnconfirmedIds) == 0
	return out, nil
}

func (s *Simulator) issue(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &insurancev1.IssueChildCardRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if err := checkID("personal_id", in.GetPersonalId()); err != nil {
		return nil, err
	}
	if in.GetFullName() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "full_name is required")
	}
	dob, err := vn.ParseDay(in.GetDateOfBirth())
	if err != nil || dob.After(time.Now()) {
		return nil, node.Errorf(codes.InvalidArgument, "invalid date_of_birth %q: want YYYY-MM-DD, not in the future", in.GetDateOfBirth())
	}
	sixth := dob.AddDate(6, 0, 0)
	if !time.Now().Before(sixth) {
		return nil, node.Errorf(codes.FailedPrecondition, "child born %s is 6 or older: the free card is for children under 6", in.GetDateOfBirth())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cards[in.GetPersonalId()]; ok {
		return nil, node.Errorf(codes.AlreadyExists, "personal_id %s already has card %s", in.GetPersonalId(), c.GetCardNumber())
	}
	s.seq++
	// TE: children under 6; 1: benefit level; 2-digit province; 10 digits.
	number := fmt.Sprintf("TE1%s%010d", in.GetPersonalId()[1:3], s.seq)
	c := &insurancev1.Card{
		CardNumber: number, PersonalId: in.GetPersonalId(), HolderName: in.GetFullName(),
		ValidFrom: vn.Day(time.Now()), ValidTo: vn.Day(sixth.AddDate(0, 0, -1)), IssuedAt: timestamppb.Now(),
	}
	s.cards[in.GetPersonalId()], s.byNumber[number] = c, in.GetPersonalId()
	return &insurancev1.IssueChildCardResponse{Card: proto.CloneOf(c)}, nil
}

func (s *Simulator) funeral(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &insurancev1.FuneralAllowanceRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if err := checkID("deceased_personal_id", in.GetDeceasedPersonalId()); err != nil {
		return nil, err
	}
	if err := checkID("claimant_personal_id", in.GetClaimantPersonalId()); err != nil {
		return nil, err
	}
	if in.GetDeathRegistrationRef() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "death_registration_ref is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.allowances[in.GetDeceasedPersonalId()]; ok {
		return nil, node.Errorf(codes.AlreadyExists, "funeral allowance for %s already granted (%s)", in.GetDeceasedPersonalId(), ref)
	}
	s.seq++
	ref := fmt.Sprintf("TCMT-%s-%06d", vn.Day(time.Now()), s.seq)
	s.allowances[in.GetDeceasedPersonalId()] = ref
	return &insurancev1.FuneralAllowanceResponse{DecisionRef: ref, AmountVnd: FuneralAllowanceVND}, nil
}

func (s *Simulator) lookup(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &insurancev1.LookupCardRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if (in.GetCardNumber() == "") == (in.GetPersonalId() == "") {
		return nil, node.Errorf(codes.InvalidArgument, "set exactly one of card_number and personal_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := in.GetPersonalId()
	if id == "" {
		id = s.byNumber[in.GetCardNumber()]
	} else if err := checkID("personal_id", id); err != nil {
		return nil, err
	}
	c, ok := s.cards[id]
	if !ok {
		return nil, node.Errorf(codes.NotFound, "no health insurance card for %s%s", in.GetCardNumber(), in.GetPersonalId())
	}
	return &insurancev1.LookupCardResponse{Card: proto.CloneOf(c)}, nil
}

// Card returns a copy of the card of a personal ID number, for tests.
func (s *Simulator) Card(personalID string) (*insurancev1.Card, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cards[personalID]
	return proto.CloneOf(c), ok
}

// Allowance returns the funeral allowance decision of a deceased, for tests.
func (s *Simulator) Allowance(personalID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.allowances[personalID]
	return ref, ok
}

func checkID(field, id string) error {
	if id == "" {
		return node.Errorf(codes.InvalidArgument, "%s is required", field)
	}
	if err := synth.Validate(id); err != nil {
		return node.Errorf(codes.InvalidArgument, "invalid %s: %v", field, err)
	}
	return nil
}
