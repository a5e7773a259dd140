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

// Steps of the death procedure.
const (
	StepDeathRegister   = "death-register"
	StepResidenceRemove = "residence-remove"
	StepFuneral         = "funeral-allowance"
	StepPIDCancel       = "pid-cancel"
)

// Death runs death registration -> removal of permanent residence ->
// funeral allowance -> cancellation of the personal ID number (the
// population database cancels the numbers of the dead, FACTS.md "Flows");
// errors as for Birth. The cancellation comes last, after every step that
// still reads the number, and has no undo: the population database cannot
// reinstate a number.
func (r *Runner) Death(ctx context.Context, in *lgspv1.DeathProcedureRequest) (*lgspv1.ProcedureResult, error) {
	switch {
	case in.GetPersonalId() == "":
		return nil, fmt.Errorf("%w: personal_id is required", ErrInvalid)
	case in.GetFullName() == "":
		return nil, fmt.Errorf("%w: full_name is required", ErrInvalid)
	case in.GetDateOfDeath() == "":
		return nil, fmt.Errorf("%w: date_of_death is required", ErrInvalid)
	case in.GetClaimantPersonalId() == "":
		return nil, fmt.Errorf("%w: claimant_personal_id is required", ErrInvalid)
	}
	id, err := dossierID(in.GetDossierId())
	if err != nil {
		return nil, err
	}
	return r.once(ctx, id, func() *lgspv1.ProcedureResult {
		res := &lgspv1.ProcedureResult{DossierId: id, Procedure: "death", PersonalId: in.GetPersonalId()}
		r.saga(ctx, res, r.deathSteps(in, res))
		return res
	})
}

func (r *Runner) deathSteps(in *lgspv1.DeathProcedureRequest, res *lgspv1.ProcedureResult) []step {
	pop, civ, ins := r.cfg.Population, r.cfg.CivilRegistry, r.cfg.Insurance
	return []step{{
		name: StepDeathRegister, provider: civ, service: "death-register", undoService: "record-cancel",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &civilv1.RegisterDeathResponse{}
			_, err := r.ex.Exchange(ctx, call, &civilv1.RegisterDeathRequest{
				PersonalId: in.GetPersonalId(), FullName: in.GetFullName(), DateOfDeath: in.GetDateOfDeath(), ProvinceCode: r.cfg.ProvinceCode, Cause: in.GetCause(),
			}, out)
			res.RegistrationRef = out.GetRecord().GetRef()
			return res.RegistrationRef, err
		},
		undo: func(ctx context.Context, call node.Call) error {
			_, err := r.ex.Exchange(ctx, call, &civilv1.CancelRecordRequest{Ref: res.GetRegistrationRef(), Reason: "interlinked procedure " + res.GetDossierId() + " failed"}, &civilv1.CancelRecordResponse{})
			return err
		},
	}, {
		name: StepResidenceRemove, provider: pop, service: "residence-remove", undoService: "residence-register",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &populationv1.RemoveResidenceResponse{}
			_, err := r.ex.Exchange(ctx, call, &populationv1.RemoveResidenceRequest{PersonalId: in.GetPersonalId(), Reason: "death: " + res.GetRegistrationRef(), Deceased: true}, out)
			res.ResidenceRef = out.GetRemovalRef()
			return res.ResidenceRef, err
		},
		undo: func(ctx context.Context, call node.Call) error {
			_, err := r.ex.Exchange(ctx, call, &populationv1.RegisterResidenceRequest{PersonalId: in.GetPersonalId(), UndoRemovalRef: res.GetResidenceRef()}, &populationv1.RegisterResidenceResponse{})
			return err
		},
	}, {
		name: StepFuneral, provider: ins, service: "funeral-allowance",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &insurancev1.FuneralAllowanceResponse{}
			_, err := r.ex.Exchange(ctx, call, &insurancev1.FuneralAllowanceRequest{
				DeceasedPersonalId: in.GetPersonalId(), DeathRegistrationRef: res.GetRegistrationRef(), ClaimantPersonalId: in.GetClaimantPersonalId(),
			}, out)
			res.AllowanceRef = out.GetDecisionRef()
			return res.AllowanceRef, err
		},
	}, {
		name: StepPIDCancel, provider: pop, service: "pid-cancel",
		run: func(ctx context.Context, call node.Call) (string, error) {
			out := &populationv1.CancelPersonalIdResponse{}
			_, err := r.ex.Exchange(ctx, call, &populationv1.CancelPersonalIdRequest{PersonalId: in.GetPersonalId(), Reason: "death: " + res.GetRegistrationRef()}, out)
			return out.GetPersonalId(), err
		},
	}}
}
