// Package civilregistry simulates the electronic civil registry database
// ("hộ tịch", Ministry of Justice) as an agency node: births, marriages and
// deaths registered are kept in memory for the run and can be looked up
// and withdrawn.
package civilregistry

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
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Code is the civil registry's agency code in the built-in topologies.
const Code = "000.00.01.G02"

// Service codes.
const (
	ServiceBirth    = "birth-register"
	ServiceMarriage = "marriage-register"
	ServiceDeath    = "death-register"
	ServiceLookup   = "record-lookup"
	ServiceCancel   = "record-cancel"
)

// Simulator answers the civil registry's services. It is safe for
// concurrent use.
type Simulator struct {
	agency *hubv1.Agency
	// events publishes birth-registered through the hub (set by Install).
	events *node.Client

	mu      sync.Mutex
	records map[string]*civilv1.Record
	order   []string
	deaths  map[string]string // personal id -> death record ref
	seq     int
}

// New returns a simulator registering as agency (nil: the built-in civil
// registry).
func New(agency *hubv1.Agency) *Simulator {
	if agency == nil {
		agency = &hubv1.Agency{Code: Code, Name: "Cơ sở dữ liệu hộ tịch điện tử (Bộ Tư pháp)", Kind: hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE}
	}
	return &Simulator{agency: agency, records: map[string]*civilv1.Record{}, deaths: map[string]string{}}
}

// Agency is the registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	a := proto.CloneOf(s.agency)
	a.Events = events.Declarations(events.CivilRegistry)
	return a
}

// Install adds the services to n.
func (s *Simulator) Install(n *node.Node) {
	s.events = n.Client()
	for _, e := range []struct {
		code, desc string
		req, resp  proto.Message
		h          node.Handler
		personal   bool
	}{
		{ServiceBirth, "Register a birth; the answer carries the registration reference.", &civilv1.RegisterBirthRequest{}, &civilv1.RegisterBirthResponse{}, s.birth, false},
		{ServiceMarriage, "Register a marriage.", &civilv1.RegisterMarriageRequest{}, &civilv1.RegisterMarriageResponse{}, s.marriage, false},
		{ServiceDeath, "Register a death.", &civilv1.RegisterDeathRequest{}, &civilv1.RegisterDeathResponse{}, s.death, false},
		{ServiceLookup, "Look up civil status records by reference or personal ID number.", &civilv1.LookupRecordRequest{}, &civilv1.LookupRecordResponse{}, s.lookup, true},
		{ServiceCancel, "Withdraw a record (undo a registration).", &civilv1.CancelRecordRequest{}, &civilv1.CancelRecordResponse{}, s.cancel, false},
	} {
		n.Handle(&hubv1.Service{Code: e.code, Description: e.desc, RequestType: node.TypeName(e.req), ResponseType: node.TypeName(e.resp), PersonalData: e.personal}, e.h)
	}
}

// add stores a new record and returns a copy; it assigns the reference.
func (s *Simulator) add(kind civilv1.RecordKind, prefix string, r *civilv1.Record) *civilv1.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	r.Kind, r.RegisteredAt = kind, timestamppb.Now()
	r.Ref = fmt.Sprintf("%s-%s-%d-%06d", prefix, r.GetProvinceCode(), time.Now().In(vn.Zone).Year(), s.seq)
	s.records[r.Ref] = r
	s.order = append(s.order, r.Ref)
	return proto.CloneOf(r)
}

func (s *Simulator) birth(ctx context.Context, req *node.Request) (proto.Message, error) {
	in := &civilv1.RegisterBirthRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if err := checkBirth(in); err != nil {
		return nil, err
	}
	r := &civilv1.Record{ProvinceCode: in.GetProvinceCode(), SubjectName: in.GetChildName(), EventDate: in.GetDateOfBirth()}
	for _, id := range []string{in.GetFatherPersonalId(), in.GetMotherPersonalId()} {
		if id != "" {
			r.PersonalIds = append(r.PersonalIds, id)
		}
	}
	rec := s.add(civilv1.RecordKind_RECORD_KIND_BIRTH, "KS", r)
	if in.GetPublishEvent() {
		if err := s.publishBirth(ctx, req, in, rec); err != nil {
			return nil, err
		}
	}
	return &civilv1.RegisterBirthResponse{Record: rec}, nil
}

// publishBirth publishes birth-registered for rec (event id: the record's
// reference), for the agencies that react to births.
func (s *Simulator) publishBirth(ctx context.Context, req *node.Request, in *civilv1.RegisterBirthRequest, rec *civilv1.Record) error {
	if s.events == nil {
		return node.Errorf(codes.FailedPrecondition, "publish_event: this registry runs without a hub")
	}
	ev := &eventsv1.BirthRegistered{
		RegistrationRef: rec.GetRef(), ChildName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(), Sex: in.GetSex(),
		ProvinceCode: in.GetProvinceCode(), FatherPersonalId: in.GetFatherPersonalId(), MotherPersonalId: in.GetMotherPersonalId(),
		FatherName: in.GetFatherName(), MotherName: in.GetMotherName(), DossierId: req.Purpose,
	}
	if err := s.events.Publish(ctx, "birth-registered", rec.GetRef(), ev, time.Time{}); err != nil {
		return node.Errorf(codes.Unavailable, "birth %s registered, but its event not published: %v", rec.GetRef(), err)
	}
	return nil
}

func checkBirth(in *civilv1.RegisterBirthRequest) error {
	switch {
	case in.GetChildName() == "":
		return node.Errorf(codes.InvalidArgument, "child_name is required")
	case in.GetSex() != populationv1.Sex_SEX_MALE && in.GetSex() != populationv1.Sex_SEX_FEMALE:
		return node.Errorf(codes.InvalidArgument, "sex must be SEX_MALE or SEX_FEMALE")
	case in.GetFatherPersonalId() == "" && in.GetMotherPersonalId() == "":
		return node.Errorf(codes.InvalidArgument, "father_personal_id or mother_personal_id is required")
	}
	if err := province(in.GetProvinceCode()); err != nil {
		return err
	}
	for _, f := range [][2]string{{"father_personal_id", in.GetFatherPersonalId()}, {"mother_personal_id", in.GetMotherPersonalId()}} {
		if err := optionalID(f[0], f[1]); err != nil {
			return err
		}
	}
	return PastDate("date_of_birth", in.GetDateOfBirth())
}

func (s *Simulator) marriage(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &civilv1.RegisterMarriageRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"spouse1_personal_id", in.GetSpouse1PersonalId()}, {"spouse2_personal_id", in.GetSpouse2PersonalId()}} {
		if err := requiredID(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	switch {
	case in.GetSpouse1PersonalId() == in.GetSpouse2PersonalId():
		return nil, node.Errorf(codes.InvalidArgument, "spouse2_personal_id must differ from spouse1_personal_id")
	case in.GetSpouse1Name() == "" || in.GetSpouse2Name() == "":
		return nil, node.Errorf(codes.InvalidArgument, "spouse1_name and spouse2_name are required")
	}
	if err := province(in.GetProvinceCode()); err != nil {
		return nil, err
	}
	r := &civilv1.Record{
		ProvinceCode: in.GetProvinceCode(), SubjectName: in.GetSpouse1Name() + " & " + in.GetSpouse2Name(),
		PersonalIds: []string{in.GetSpouse1PersonalId(), in.GetSpouse2PersonalId()}, EventDate: vn.Day(time.Now()),
	}
	return &civilv1.RegisterMarriageResponse{Record: s.add(civilv1.RecordKind_RECORD_KIND_MARRIAGE, "KH", r)}, nil
}

func (s *Simulator) death(ctx context.Context, req *node.Request) (proto.Message, error) {
	in := &civilv1.RegisterDeathRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if err := requiredID("personal_id", in.GetPersonalId()); err != nil {
		return nil, err
	}
	if in.GetFullName() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "full_name is required")
	}
	if err := province(in.GetProvinceCode()); err != nil {
		return nil, err
	}
	if err := PastDate("date_of_death", in.GetDateOfDeath()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	prev, dead := s.deaths[in.GetPersonalId()]
	s.mu.Unlock()
	if dead {
		return nil, node.Errorf(codes.FailedPrecondition, "a death is already registered for personal_id %s (%s)", in.GetPersonalId(), prev)
	}
	r := s.add(civilv1.RecordKind_RECORD_KIND_DEATH, "KT", &civilv1.Record{
		ProvinceCode: in.GetProvinceCode(), SubjectName: in.GetFullName(), PersonalIds: []string{in.GetPersonalId()}, EventDate: in.GetDateOfDeath(),
	})
	s.mu.Lock()
	s.deaths[in.GetPersonalId()] = r.GetRef()
	s.mu.Unlock()
	if in.GetPublishEvent() {
		if s.events == nil {
			return nil, node.Errorf(codes.FailedPrecondition, "publish_event: this registry runs without a hub")
		}
		ev := &eventsv1.DeathRegistered{
			RegistrationRef: r.GetRef(), PersonalId: in.GetPersonalId(), FullName: in.GetFullName(),
			DateOfDeath: in.GetDateOfDeath(), ProvinceCode: in.GetProvinceCode(), DossierId: req.Purpose,
		}
		if err := s.events.Publish(ctx, events.TypeDeathRegistered, r.GetRef(), ev, time.Time{}); err != nil {
			return nil, node.Errorf(codes.Unavailable, "death %s registered, but its event not published: %v", r.GetRef(), err)
		}
	}
	return &civilv1.RegisterDeathResponse{Record: r}, nil
}

func (s *Simulator) lookup(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &civilv1.LookupRecordRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if (in.GetRef() == "") == (in.GetPersonalId() == "") {
		return nil, node.Errorf(codes.InvalidArgument, "set exactly one of ref and personal_id")
	}
	if err := optionalID("personal_id", in.GetPersonalId()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &civilv1.LookupRecordResponse{}
	for _, ref := range s.order {
		r := s.records[ref]
		if ref == in.GetRef() || slices.Contains(r.GetPersonalIds(), in.GetPersonalId()) {
			out.Records = append(out.Records, proto.CloneOf(r))
		}
	}
	if len(out.Records) == 0 {
		return nil, node.Errorf(codes.NotFound, "no civil status record for %s%s", in.GetRef(), in.GetPersonalId())
	}
	return out, nil
}

// Record returns a copy of the record with the given reference, for tests
// and the procedures' checks.
func (s *Simulator) Record(ref string) (*civilv1.Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[ref]
	return proto.CloneOf(r), ok
}

func (s *Simulator) cancel(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &civilv1.CancelRecordRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetRef() == "" || in.GetReason() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "ref and reason are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[in.GetRef()]
	switch {
	case !ok:
		return nil, node.Errorf(codes.NotFound, "no civil status record %s", in.GetRef())
	case r.GetCancelled():
		return nil, node.Errorf(codes.FailedPrecondition, "record %s is already cancelled", in.GetRef())
	}
	r.Cancelled = true
	if r.GetKind() == civilv1.RecordKind_RECORD_KIND_DEATH {
		delete(s.deaths, r.GetPersonalIds()[0])
	}
	return &civilv1.CancelRecordResponse{Record: proto.CloneOf(r)}, nil
}

func province(code string) error {
	if vn.ProvinceByCode(code) == nil {
		return node.Errorf(codes.InvalidArgument, "invalid province_code %q: want a 3-digit province code such as \"079\"", code)
	}
	return nil
}

func requiredID(field, id string) error {
	if id == "" {
		return node.Errorf(codes.InvalidArgument, "%s is required", field)
	}
	return optionalID(field, id)
}

func optionalID(field, id string) error {
	if id == "" {
		return nil
	}
	if err := synth.Validate(id); err != nil {
		return node.Errorf(codes.InvalidArgument, "invalid %s: %v", field, err)
	}
	return nil
}

// PastDate checks a "YYYY-MM-DD" field that may not be in the future.
func PastDate(field, v string) error {
	d, err := vn.ParseDay(v)
	if err != nil {
		return node.Errorf(codes.InvalidArgument, "invalid %s %q: want YYYY-MM-DD", field, v)
	}
	if d.After(time.Now()) {
		return node.Errorf(codes.InvalidArgument, "invalid %s %q: in the future", field, v)
	}
	return nil
}
