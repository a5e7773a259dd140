// Package population simulates the national population database (Ministry
// of Public Security) as an agency node: citizens are synthetic and
// deterministic (see package synth), so millions can be looked up without
// data files or memory to hold them. What the run changes (numbers issued
// and cancelled, residences registered and removed, deaths) is kept in
// memory on top, per instance, for the run.
package population

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Code is the population database's agency code.
const Code = "000.00.01.G01"

// Service codes.
const (
	ServiceLookup            = "citizen-lookup"
	ServiceVerify            = "citizen-verify"
	ServicePIDIssue          = "pid-issue"
	ServicePIDCancel         = "pid-cancel"
	ServiceResidenceRegister = "residence-register"
	ServiceResidenceRemove   = "residence-remove"
	ServiceHouseholdMembers  = "household-members"
)

// Agency is the population database's registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	a := &hubv1.Agency{Code: Code, Name: "Cơ sở dữ liệu quốc gia về dân cư (Bộ Công an)", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
	if s.agency != nil {
		a = proto.CloneOf(s.agency)
	}
	if s.events {
		a.Events = events.Declarations(events.Population)
	}
	return a
}

// Config configures the simulator.
type Config struct {
	// Seed selects the synthetic population; the same seed gives the same
	// citizens everywhere.
	Seed uint64
	// Agency overrides the registration (code, name, kind), e.g. from a
	// topology file; nil is the built-in population database.
	Agency *hubv1.Agency
	// Events makes the node react to life events through the hub: on
	// birth-registered it issues the child's number and publishes
	// pid-issued (see events.go).
	Events bool
}

// Simulator answers the population database's services. It is safe for
// concurrent use.
type Simulator struct {
	pop    synth.Population
	st     *state
	agency *hubv1.Agency
	events bool
}

// New returns a simulator.
func New(cfg Config) *Simulator {
	return &Simulator{pop: synth.Population{Seed: cfg.Seed}, st: newState(cfg.Seed), agency: cfg.Agency, events: cfg.Events}
}

// Population is the synthetic population served, for clients that need
// valid IDs (tests, load runs).
func (s *Simulator) Population() synth.Population { return s.pop }

// Install adds the simulator's services to n.
func (s *Simulator) Install(n *node.Node) {
	n.Handle(&hubv1.Service{
		Code: ServiceLookup, Description: "Look up a citizen by 12-digit personal identification number.",
		RequestType: name(&populationv1.LookupCitizenRequest{}), ResponseType: name(&populationv1.LookupCitizenResponse{}),
		PersonalData: true,
	}, s.lookup)
	n.Handle(&hubv1.Service{
		Code: ServiceVerify, Description: "Check a person's declared name and date of birth against the database.",
		RequestType: name(&populationv1.VerifyCitizenRequest{}), ResponseType: name(&populationv1.VerifyCitizenResponse{}),
	}, s.verify)
	for _, e := range []struct {
		code, desc string
		req, resp  proto.Message
		h          node.Handler
		personal   bool
	}{
		{ServicePIDIssue, "Issue a personal identification number on birth registration.", &populationv1.IssuePersonalIdRequest{}, &populationv1.IssuePersonalIdResponse{}, s.issue, false},
		{ServicePIDCancel, "Cancel a personal identification number (death, or undo an issue).", &populationv1.CancelPersonalIdRequest{}, &populationv1.CancelPersonalIdResponse{}, s.cancel, false},
		{ServiceResidenceRegister, "Register a permanent residence, or undo a removal.", &populationv1.RegisterResidenceRequest{}, &populationv1.RegisterResidenceResponse{}, s.registerResidence, false},
		{ServiceResidenceRemove, "Remove a permanent residence registration.", &populationv1.RemoveResidenceRequest{}, &populationv1.RemoveResidenceResponse{}, s.removeResidence, false},
		{ServiceHouseholdMembers, "List the members of a citizen's household.", &populationv1.HouseholdMembersRequest{}, &populationv1.HouseholdMembersResponse{}, s.household, true},
	} {
		n.Handle(&hubv1.Service{Code: e.code, Description: e.desc, RequestType: name(e.req), ResponseType: name(e.resp), PersonalData: e.personal}, e.h)
	}
	if s.events {
		s.react(n)
	}
}

func (s *Simulator) lookup(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.LookupCitizenRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	c, err := s.citizen(in.GetPersonalId())
	if err != nil {
		return nil, err
	}
	return &populationv1.LookupCitizenResponse{Citizen: c}, nil
}

func (s *Simulator) verify(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.VerifyCitizenRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	c, err := s.citizen(in.GetPersonalId())
	if err != nil {
		if e, ok := err.(*node.Error); ok && e.Code == codes.NotFound {
			return &populationv1.VerifyCitizenResponse{}, nil
		}
		return nil, err
	}
	out := &populationv1.VerifyCitizenResponse{Found: true}
	if n := in.GetFullName(); n != "" && !strings.EqualFold(strings.Join(strings.Fields(n), " "), c.GetFullName()) {
		out.MismatchedFields = append(out.MismatchedFields, "full_name")
	}
	if d := in.GetDateOfBirth(); d != "" && d != c.GetDateOfBirth() {
		out.MismatchedFields = append(out.MismatchedFields, "date_of_birth")
	}
	out.Match = len(out.MismatchedFields) == 0
	return out, nil
}

// citizen validates id and finds its citizen as the run has it: issued
// this run, or synthetic with the run's changes. A cancelled number is
// FAILED_PRECONDITION. The result is the caller's.
func (s *Simulator) citizen(id string) (*populationv1.Citizen, error) {
	if err := synth.Validate(id); err != nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid personal_id: %v", err)
	}
	s.st.mu.Lock()
	at, gone := s.st.cancelled[id]
	r := s.st.record(id)
	if r != nil {
		r = proto.CloneOf(r)
	}
	s.st.mu.Unlock()
	if gone {
		return nil, node.Errorf(codes.FailedPrecondition, "personal_id %s was cancelled on %s", id, at.In(vn.Zone).Format(time.DateTime))
	}
	if r != nil {
		return r, nil
	}
	c, ok := s.pop.Citizen(id)
	if !ok {
		return nil, node.Errorf(codes.NotFound, "no citizen with personal_id %s", id)
	}
	return c, nil
}

func name(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }
