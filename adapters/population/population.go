// Package population simulates the national population database (Ministry
// of Public Security) as an agency node: citizens are synthetic and
// deterministic (see package synth), so millions can be looked up without
// data files or memory to hold them.
package population

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Code is the population database's agency code.
const Code = "000.00.01.G01"

// Service codes.
const (
	ServiceLookup = "citizen-lookup"
	ServiceVerify = "citizen-verify"
)

// Agency is the population database's registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: Code, Name: "Cơ sở dữ liệu quốc gia về dân cư (Bộ Công an)", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
}

// Config configures the simulator.
type Config struct {
	// Seed selects the synthetic population; the same seed gives the same
	// citizens everywhere.
	Seed uint64
}

// Simulator answers the population database's services.
type Simulator struct {
	pop synth.Population
}

// New returns a simulator.
func New(cfg Config) *Simulator {
	return &Simulator{pop: synth.Population{Seed: cfg.Seed}}
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
	if err := synth.Validate(in.GetPersonalId()); err != nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid personal_id: %v", err)
	}
	c, ok := s.pop.Citizen(in.GetPersonalId())
	if !ok {
		return &populationv1.VerifyCitizenResponse{}, nil
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

// citizen validates id and finds its citizen.
func (s *Simulator) citizen(id string) (*populationv1.Citizen, error) {
	if err := synth.Validate(id); err != nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid personal_id: %v", err)
	}
	c, ok := s.pop.Citizen(id)
	if !ok {
		return nil, node.Errorf(codes.NotFound, "no citizen with personal_id %s", id)
	}
	return c, nil
}

func name(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }
