package population

import (
	"context"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// maxFreeTries bounds the draws for a fresh number; with a population of
// density at most 0.9 and a million serials per (province, sex, year) it
// is never reached in practice.
const maxFreeTries = 1000

func (s *Simulator) issue(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.IssuePersonalIdRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	prov, dob, err := checkIssue(in)
	if err != nil {
		return nil, err
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	var id string
	for range maxFreeTries {
		id = s.pop.Free(prov, in.GetSex(), dob.Year(), st.rand)
		if _, used := st.issued[id]; !used {
			if _, gone := st.cancelled[id]; !gone {
				break
			}
		}
		id = ""
	}
	if id == "" {
		return nil, node.Errorf(codes.ResourceExhausted, "no free personal_id left for province %s, sex and year %d", prov.Code, dob.Year())
	}
	c := &populationv1.Citizen{
		PersonalId: id, FullName: in.GetFullName(), DateOfBirth: in.GetDateOfBirth(), Sex: in.GetSex(),
		PlaceOfBirth: &populationv1.Address{Province: prov.Name, ProvinceCode: prov.Code},
		Ethnicity:    "Kinh", Nationality: synth.Nationality,
		FatherName: in.GetFatherName(), MotherName: in.GetMotherName(),
	}
	stamp(c)
	st.issued[id] = c
	return &populationv1.IssuePersonalIdResponse{PersonalId: id, Citizen: proto.CloneOf(c)}, nil
}

func checkIssue(in *populationv1.IssuePersonalIdRequest) (*vn.Province, time.Time, error) {
	switch {
	case in.GetFullName() == "":
		return nil, time.Time{}, node.Errorf(codes.InvalidArgument, "full_name is required")
	case in.GetSex() != populationv1.Sex_SEX_MALE && in.GetSex() != populationv1.Sex_SEX_FEMALE:
		return nil, time.Time{}, node.Errorf(codes.InvalidArgument, "sex must be SEX_MALE or SEX_FEMALE")
	case in.GetBirthRegistrationRef() == "":
		return nil, time.Time{}, node.Errorf(codes.InvalidArgument, "birth_registration_ref is required")
	}
	prov := vn.ProvinceByCode(in.GetBirthProvinceCode())
	if prov == nil {
		return nil, time.Time{}, node.Errorf(codes.InvalidArgument, "invalid birth_province_code %q: want a 3-digit province code such as \"079\"", in.GetBirthProvinceCode())
	}
	dob, err := pastDate("date_of_birth", in.GetDateOfBirth())
	if err != nil {
		return nil, time.Time{}, err
	}
	if dob.Year() < 1900 {
		return nil, time.Time{}, node.Errorf(codes.InvalidArgument, "invalid date_of_birth %q: before 1900", in.GetDateOfBirth())
	}
	return prov, dob, nil
}

// pastDate parses a "YYYY-MM-DD" field that may not be in the future.
func pastDate(field, v string) (time.Time, error) {
	d, err := vn.ParseDay(v)
	if err != nil {
		return d, node.Errorf(codes.InvalidArgument, "invalid %s %q: want YYYY-MM-DD", field, v)
	}
	if d.After(time.Now()) {
		return d, node.Errorf(codes.InvalidArgument, "invalid %s %q: in the future", field, v)
	}
	return d, nil
}

func (s *Simulator) cancel(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.CancelPersonalIdRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetReason() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "reason is required")
	}
	if _, err := s.citizen(in.GetPersonalId()); err != nil {
		return nil, err
	}
	now := time.Now()
	s.st.mu.Lock()
	s.st.cancelled[in.GetPersonalId()] = now
	s.st.mu.Unlock()
	return &populationv1.CancelPersonalIdResponse{PersonalId: in.GetPersonalId(), CancelledAt: timestamppb.New(now)}, nil
}

func (s *Simulator) registerResidence(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.RegisterResidenceRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetUndoRemovalRef() != "" {
		return s.undoRemoval(in)
	}
	if a := in.GetAddress(); a.GetProvince() == "" || a.GetWard() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "address.province and address.ward are required")
	}
	c, err := s.citizen(in.GetPersonalId())
	if err != nil {
		return nil, err
	}
	household := in.GetHouseholdId()
	if household == "" && in.GetHeadPersonalId() != "" {
		head, err := s.citizen(in.GetHeadPersonalId())
		if err != nil {
			return nil, node.Errorf(codes.FailedPrecondition, "head_personal_id: %v", err)
		}
		household = head.GetHouseholdId()
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if c.GetDeceased() {
		return nil, node.Errorf(codes.FailedPrecondition, "citizen %s is deceased", c.GetPersonalId())
	}
	if household == "" {
		household = st.ref("HK")
	}
	r := st.touch(c)
	r.PermanentResidence, r.HouseholdId = proto.CloneOf(in.GetAddress()), household
	stamp(r)
	if !slices.Contains(st.members[household], r.GetPersonalId()) {
		st.members[household] = append(st.members[household], r.GetPersonalId())
	}
	return &populationv1.RegisterResidenceResponse{RegistrationRef: st.ref("DKTT"), HouseholdId: household}, nil
}

// undoRemoval restores what a removal took away: the compensation of a
// failed death procedure.
func (s *Simulator) undoRemoval(in *populationv1.RegisterResidenceRequest) (proto.Message, error) {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rm, ok := st.removals[in.GetUndoRemovalRef()]
	if !ok {
		return nil, node.Errorf(codes.NotFound, "no residence removal %s", in.GetUndoRemovalRef())
	}
	if rm.id != in.GetPersonalId() {
		return nil, node.Errorf(codes.InvalidArgument, "removal %s is of personal_id %s, not %s", in.GetUndoRemovalRef(), rm.id, in.GetPersonalId())
	}
	r := st.record(rm.id)
	r.PermanentResidence, r.HouseholdId = rm.address, rm.household
	if rm.deceased {
		r.Deceased = false
	}
	stamp(r)
	delete(st.removals, in.GetUndoRemovalRef())
	return &populationv1.RegisterResidenceResponse{RegistrationRef: st.ref("DKTT"), HouseholdId: rm.household}, nil
}

func (s *Simulator) removeResidence(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.RemoveResidenceRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetReason() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "reason is required")
	}
	c, err := s.citizen(in.GetPersonalId())
	if err != nil {
		return nil, err
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.touch(c)
	if r.GetPermanentResidence() == nil {
		return nil, node.Errorf(codes.FailedPrecondition, "citizen %s has no permanent residence registered", c.GetPersonalId())
	}
	rm := removal{id: r.GetPersonalId(), household: r.GetHouseholdId(), address: r.GetPermanentResidence(), deceased: in.GetDeceased() && !r.GetDeceased()}
	r.PermanentResidence = nil
	r.Deceased = r.Deceased || in.GetDeceased()
	stamp(r)
	ref := st.ref("XDTT")
	st.removals[ref] = rm
	return &populationv1.RemoveResidenceResponse{RemovalRef: ref, PreviousAddress: proto.CloneOf(rm.address)}, nil
}

func (s *Simulator) household(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &populationv1.HouseholdMembersRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	c, err := s.citizen(in.GetPersonalId())
	if err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	ids := slices.Clone(s.st.members[c.GetHouseholdId()])
	s.st.mu.Unlock()
	out := &populationv1.HouseholdMembersResponse{HouseholdId: c.GetHouseholdId(), Members: []*populationv1.Citizen{c}}
	for _, id := range ids {
		if m, err := s.citizen(id); err == nil && id != c.GetPersonalId() && !m.GetDeceased() && m.GetHouseholdId() == c.GetHouseholdId() {
			out.Members = append(out.Members, m)
		}
	}
	return out, nil
}
