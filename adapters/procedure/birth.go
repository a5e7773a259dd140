package procedure

import (
	"context"
	"fmt"

	"github.com/ndxp/ndxp/adapters/node"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Steps of the birth procedure.
const (
	StepBirthRegister     = "birth-register"
	StepPIDIssue          = "pid-issue"
	StepResidenceRegister = "residence-register"
	StepChildCard         = "child-card-issue"
)

// Birth runs birth registration -> personal ID number -> permanent
// residence -> child health insurance card. The error is only for a
// malformed request (wrapping ErrInvalid) or ctx ending while waiting for
// the same dossier; a failed step is reported in the result.
func (r *Runner) Birth(ctx context.Context, in *lgspv1.BirthProcedureRequest) (*lgspv1.ProcedureResult, error) {
	if err := checkBirth(in); err != nil {
		return nil, err
	}
	id, err := dossierID(in.GetDossierId())
	if err != nil {
		return nil, err
	}
	return r.once(ctx, id, func() *lgspv1.ProcedureResult {
		res := &lgspv1.ProcedureResult{DossierId: id, Procedure: "birth"}
		r.saga(ctx, res, r.birthSteps(in, res))
		return res
	})
}

func checkBirth(in *lgspv1.BirthProcedureRequest) error {
	switch {
	case in.GetChildName() == "":
		return fmt.Errorf("%w: child_name is required", ErrInvalid)
	case in.GetDateOfBirth() == "":
		return fmt.Errorf("%w: date_of_birth is required", ErrInvalid)
	case in.GetFatherPersonalId() == "" && in.GetMotherPersonalId() == "":
		return fmt.Errorf("%w: father_personal_id or mother_personal_id is required", ErrInvalid)
	case in.GetResidence().GetProvince() == "" || in.GetResidence().GetWard() == "":
		return fmt.Errorf("%w: residence.province and residence.ward are required", ErrInvalid)
	}
	return nil
}

func (r *Runner) birthSteps(in *lgspv1.BirthProcedureRequest, res *lgspv1.ProcedureResult) []step {
	head := in.GetFatherPersonalId()
	if head == "" {
		head = in.GetMotherPersonalId()
	}
	pop, civ, ins := r.cfg.Population, r.cfg.CivilRegistry, r.cfg.Insurance
	return []step{{
		name: StepBirthRegister, provider: civ, service: "birth-register", undoService: "record-cancel",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &civilv1.RegisterBirthResponse{}
			_, err := r.ex.Exchange(ctx, call, &civilv1.RegisterBirthRequest{
				ChildName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(), Sex: in.GetSex(), ProvinceCode: r.cfg.ProvinceCode,
				FatherPersonalId: in.GetFatherPersonalId(), MotherPersonalId: in.GetMotherPersonalId(),
				FatherName: in.GetFatherName(), MotherName: in.GetMotherName(),
			}, out)
			res.RegistrationRef = out.GetRecord().GetRef()
			return res.RegistrationRef, err
		},
		undo: func(ctx context.Context, call node.Call) error {
			_, err := r.ex.Exchange(ctx, call, &civilv1.CancelRecordRequest{Ref: res.GetRegistrationRef(), Reason: "interlinked procedure " + res.GetDossierId() + " failed"}, &civilv1.CancelRecordResponse{})
			return err
		},
	}, {
		name: StepPIDIssue, provider: pop, service: "pid-issue", undoService: "pid-cancel",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &populationv1.IssuePersonalIdResponse{}
			_, err := r.ex.Exchange(ctx, call, &populationv1.IssuePersonalIdRequest{
				FullName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(), Sex: in.GetSex(), BirthProvinceCode: r.cfg.ProvinceCode,
				FatherName: in.GetFatherName(), MotherName: in.GetMotherName(), BirthRegistrationRef: res.GetRegistrationRef(),
			}, out)
			res.PersonalId = out.GetPersonalId()
			return res.PersonalId, err
		},
		undo: func(ctx context.Context, call node.Call) error {
			_, err := r.ex.Exchange(ctx, call, &populationv1.CancelPersonalIdRequest{PersonalId: res.GetPersonalId(), Reason: "birth registration withdrawn: " + res.GetDossierId()}, &populationv1.CancelPersonalIdResponse{})
			return err
		},
	}, {
		name: StepResidenceRegister, provider: pop, service: "residence-register", undoService: "residence-remove",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &populationv1.RegisterResidenceResponse{}
			_, err := r.ex.Exchange(ctx, call, &populationv1.RegisterResidenceRequest{PersonalId: res.GetPersonalId(), Address: in.GetResidence(), HeadPersonalId: head}, out)
			res.ResidenceRef = out.GetRegistrationRef()
			return res.ResidenceRef, err
		},
		undo: func(ctx context.Context, call node.Call) error {
			_, err := r.ex.Exchange(ctx, call, &populationv1.RemoveResidenceRequest{PersonalId: res.GetPersonalId(), Reason: "birth registration withdrawn: " + res.GetDossierId()}, &populationv1.RemoveResidenceResponse{})
			return err
		},
	}, {
		name: StepChildCard, provider: ins, service: "child-card-issue",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &insurancev1.IssueChildCardResponse{}
			_, err := r.ex.Exchange(ctx, call, &insurancev1.IssueChildCardRequest{
				PersonalId: res.GetPersonalId(), FullName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(), BirthRegistrationRef: res.GetRegistrationRef(),
			}, out)
			res.CardNumber = out.GetCard().GetCardNumber()
			return res.CardNumber, err
		},
	}}
}
