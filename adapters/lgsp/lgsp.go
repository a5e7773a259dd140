// Package lgsp simulates a ministry's or province's integration platform
// (LGSP) as an agency node: it answers its local services (a province's
// land parcel lookup, the status of its dossiers) and runs the interlinked
// birth and death procedures by calling the national databases through
// the hub as consumer (package procedure).
package lgsp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/procedure"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/vn"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
)

// Service codes.
const (
	ServiceLandParcelLookup = "land-parcel-lookup"
	ServiceProcedureStatus  = "procedure-status"
	ServiceProcedureBirth   = "procedure-birth"
	ServiceProcedureDeath   = "procedure-death"
	// ServiceProcedureBirthEvents is the birth procedure on events.
	ServiceProcedureBirthEvents = "procedure-birth-events"
)

// Config configures an LGSP simulator.
type Config struct {
	// Agency is the registration (required); a province's LGSP is one
	// whose kind is AGENCY_KIND_PROVINCE_LGSP.
	Agency *hubv1.Agency
	// Procedure configures the interlinked procedures; ProvinceCode is
	// taken from the agency code when empty.
	Procedure procedure.Config
}

// Simulator answers an LGSP's services. It is safe for concurrent use.
type Simulator struct {
	cfg      Config
	province *vn.Province
	runner   *procedure.Runner
}

// New returns an LGSP simulator.
func New(cfg Config) (*Simulator, error) {
	if cfg.Agency == nil {
		return nil, errors.New("lgsp: Agency is required")
	}
	s := &Simulator{cfg: cfg}
	if cfg.Agency.GetKind() == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP {
		s.province = provinceOf(cfg.Agency.GetCode())
		if s.province == nil && cfg.Procedure.ProvinceCode == "" {
			return nil, fmt.Errorf("lgsp: %s is not the agency code of a province; set Procedure.ProvinceCode", cfg.Agency.GetCode())
		}
		if cfg.Procedure.ProvinceCode == "" {
			s.cfg.Procedure.ProvinceCode = s.province.Code
		}
	}
	return s, nil
}

func provinceOf(code string) *vn.Province {
	for i := range vn.Provinces {
		if vn.Provinces[i].AgencyCode == code {
			return &vn.Provinces[i]
		}
	}
	return nil
}

// Agency is the registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	a := proto.CloneOf(s.cfg.Agency)
	a.Services = nil
	return a
}

// Province reports whether this is a province's LGSP.
func (s *Simulator) Province() bool { return s.cfg.Procedure.ProvinceCode != "" }

// Install adds the services to n; the procedures call through the hub as
// n's agency.
func (s *Simulator) Install(n *node.Node) {
	if s.Province() {
		r, err := procedure.New(s.cfg.Procedure, n.Client())
		if err != nil {
			panic(err) // New checked the province code
		}
		s.runner = r
		s.handle(n, ServiceLandParcelLookup, "Look up a land parcel in the province's land records.", &lgspv1.LookupParcelRequest{}, &lgspv1.LookupParcelResponse{}, s.parcel)
	}
	s.handle(n, ServiceProcedureStatus, "Status and result of an administrative-procedure dossier.", &lgspv1.ProcedureStatusRequest{}, &lgspv1.ProcedureStatusResponse{}, s.status)
	if s.Province() {
		s.handle(n, ServiceProcedureBirth, "Interlinked procedure: birth registration, ID number, permanent residence, child's health insurance card.", &lgspv1.BirthProcedureRequest{}, &lgspv1.BirthProcedureResponse{}, s.birth)
		s.handle(n, ServiceProcedureDeath, "Interlinked procedure: death registration, removal of permanent residence, funeral allowance, personal ID number cancelled.", &lgspv1.DeathProcedureRequest{}, &lgspv1.DeathProcedureResponse{}, s.death)
		s.handle(n, ServiceProcedureBirthEvents, "Interlinked birth procedure on life events: the birth registered, the agencies react (ID number, residence, card).", &lgspv1.BirthProcedureRequest{}, &lgspv1.BirthProcedureResponse{}, s.birthEvents)
		s.react(n)
	}
}

// react subscribes a province's LGSP to the reactions of the event-driven
// birth procedure.
func (s *Simulator) react(n *node.Node) {
	n.OnEvent(events.TypePIDIssued, func(ctx context.Context, ev *hubv1.Event) error {
		in := &eventsv1.PersonalIdIssued{}
		if err := ev.GetPayload().UnmarshalTo(in); err == nil {
			s.runner.OnPIDIssued(ctx, ev.GetEventId(), in)
		}
		return nil
	})
	n.OnEvent(events.TypeChildCardIssued, func(_ context.Context, ev *hubv1.Event) error {
		in := &eventsv1.ChildCardIssued{}
		if err := ev.GetPayload().UnmarshalTo(in); err == nil {
			s.runner.OnChildCardIssued(ev.GetEventId(), in)
		}
		return nil
	})
}

func (s *Simulator) birthEvents(ctx context.Context, req *node.Request) (proto.Message, error) {
	in := &lgspv1.BirthProcedureRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	res, err := s.runner.BirthByEvents(ctx, in)
	if err != nil {
		return nil, invalid(err)
	}
	if err := failed(res); err != nil {
		return nil, err
	}
	return &lgspv1.BirthProcedureResponse{Result: res}, nil
}

func (s *Simulator) handle(n *node.Node, code, desc string, req, resp proto.Message, h node.Handler) {
	n.Handle(&hubv1.Service{Code: code, Description: desc, RequestType: node.TypeName(req), ResponseType: node.TypeName(resp)}, h)
}

func (s *Simulator) parcel(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &lgspv1.LookupParcelRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetSheet() <= 0 || in.GetNumber() <= 0 {
		return nil, node.Errorf(codes.InvalidArgument, "sheet and number must be positive, got sheet %d number %d", in.GetSheet(), in.GetNumber())
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%d", s.cfg.Agency.GetCode(), in.GetSheet(), in.GetNumber())
	v := h.Sum64()
	uses := []string{"ODT", "ONT", "LUC", "CLN", "BHK"}
	return &lgspv1.LookupParcelResponse{Parcel: &lgspv1.Parcel{
		Sheet: in.GetSheet(), Number: in.GetNumber(), Ward: fmt.Sprintf("Phường %d", 1+v%20),
		AreaM2: float64(40+v%960) + float64(v>>20%10)/10, LandUse: uses[v>>8%uint64(len(uses))],
		CertificateNumber: fmt.Sprintf("C%c%06d", 'A'+rune(v>>12%26), v>>24%1_000_000),
	}}, nil
}

func (s *Simulator) status(_ context.Context, req *node.Request) (proto.Message, error) {
	in := &lgspv1.ProcedureStatusRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	if in.GetDossierId() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "dossier_id is required")
	}
	if s.runner != nil {
		if res, ok := s.runner.Result(in.GetDossierId()); ok {
			return &lgspv1.ProcedureStatusResponse{Found: true, Result: res}, nil
		}
	}
	return &lgspv1.ProcedureStatusResponse{}, nil
}

func (s *Simulator) birth(ctx context.Context, req *node.Request) (proto.Message, error) {
	in := &lgspv1.BirthProcedureRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	res, err := s.runner.Birth(ctx, in)
	if err != nil {
		return nil, invalid(err)
	}
	if err := failed(res); err != nil {
		return nil, err
	}
	return &lgspv1.BirthProcedureResponse{Result: res}, nil
}

func (s *Simulator) death(ctx context.Context, req *node.Request) (proto.Message, error) {
	in := &lgspv1.DeathProcedureRequest{}
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	res, err := s.runner.Death(ctx, in)
	if err != nil {
		return nil, invalid(err)
	}
	if err := failed(res); err != nil {
		return nil, err
	}
	return &lgspv1.DeathProcedureResponse{Result: res}, nil
}

// failed is the answer to a dossier that did not complete: ABORTED (the
// procedure was not done, and what was done was undone), so the hub counts
// it as failed, not OK; its result is kept for procedure-status.
func failed(res *lgspv1.ProcedureResult) error {
	if res.GetCompleted() || res.GetFailedStep() == "" {
		return nil // done, or (on events) reactions still pending
	}
	undone := "the steps done before were undone"
	for _, st := range res.GetSteps() {
		if st.GetError() != "" && st.GetStatus() == lgspv1.StepStatus_STEP_STATUS_DONE {
			undone = "step " + st.GetName() + " could not be undone"
		}
	}
	return node.Errorf(codes.Aborted, "dossier %s failed at step %s; %s; procedure-status {\"dossierId\": %q} has the result",
		res.GetDossierId(), res.GetFailedStep(), undone, res.GetDossierId())
}

func invalid(err error) error {
	if errors.Is(err, procedure.ErrInvalid) {
		return node.Errorf(codes.InvalidArgument, "%v", err)
	}
	return node.Errorf(codes.DeadlineExceeded, "%v", err)
}
