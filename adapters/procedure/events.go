package procedure

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/hub/events"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// DefaultReactionWait is how long BirthByEvents waits for the agencies'
// reactions before it answers with the steps still pending.
const DefaultReactionWait = 30 * time.Second

// eventDossier is a birth run on events, waiting for its reactions.
type eventDossier struct {
	in       *lgspv1.BirthProcedureRequest
	res      *lgspv1.ProcedureResult
	answered chan struct{} // closed once completed or failed
	closed   bool
}

// BirthByEvents runs the birth procedure as the real flows do (Decree
// 63/2024/NĐ-CP): the province registers the birth with the civil
// registry, which publishes birth-registered; the population database
// reacts by issuing the number (pid-issued), social insurance reacts to
// that by issuing the card (child-card-issued), and the province reacts to
// pid-issued by registering the residence. Each reaction is a step of the
// result, PENDING until the province hears of it; the answer waits for all
// of them up to ReactionWait (procedure-status shows them later). Nothing
// is compensated: each agency acts on a fact (the registered birth), not on
// a request that can be withdrawn.
func (r *Runner) BirthByEvents(ctx context.Context, in *lgspv1.BirthProcedureRequest) (*lgspv1.ProcedureResult, error) {
	if err := checkBirth(in); err != nil {
		return nil, err
	}
	id, err := dossierID(in.GetDossierId())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if d, ok := r.byEvents[id]; ok {
		r.mu.Unlock()
		return r.await(ctx, id, d)
	}
	if _, ok := r.results[id]; ok {
		r.mu.Unlock()
		res, _ := r.Result(id)
		return res, nil
	}
	pop, civ, ins := r.cfg.Population, r.cfg.CivilRegistry, r.cfg.Insurance
	pending := lgspv1.StepStatus_STEP_STATUS_PENDING
	res := &lgspv1.ProcedureResult{DossierId: id, Procedure: "birth-events", Steps: []*lgspv1.Step{
		{Name: StepBirthRegister, Provider: civ, Service: "birth-register", MessageId: id + "/" + StepBirthRegister, Status: pending},
		{Name: StepPIDIssue, Provider: pop, Service: events.TypePIDIssued, Status: pending},
		{Name: StepResidenceRegister, Provider: pop, Service: "residence-register", Status: pending},
		{Name: StepChildCard, Provider: ins, Service: events.TypeChildCardIssued, Status: pending},
	}}
	d := &eventDossier{in: in, res: res, answered: make(chan struct{})}
	r.byEvents[id], r.results[id] = d, res
	r.mu.Unlock()

	register := step{name: StepBirthRegister, run: func(ctx context.Context, call node.Call) (string, error) {
		out := &civilv1.RegisterBirthResponse{}
		_, err := r.ex.Exchange(ctx, call, &civilv1.RegisterBirthRequest{
			ChildName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(), Sex: in.GetSex(), ProvinceCode: r.cfg.ProvinceCode,
			FatherPersonalId: in.GetFatherPersonalId(), MotherPersonalId: in.GetMotherPersonalId(),
			FatherName: in.GetFatherName(), MotherName: in.GetMotherName(), PublishEvent: true,
		}, out)
		return out.GetRecord().GetRef(), err
	}}
	ref, err := r.try(ctx, register, r.call(res, civ, "birth-register", res.Steps[0].GetMessageId()))
	r.mu.Lock()
	if err != nil {
		r.fail(d, 0, err)
	} else {
		res.Steps[0].Status, res.Steps[0].Ref, res.RegistrationRef = lgspv1.StepStatus_STEP_STATUS_DONE, ref, ref
	}
	r.mu.Unlock()
	return r.await(ctx, id, d)
}

// await waits for d's answer, ctx or ReactionWait, and returns the result
// as it stands. With a deadline on ctx it answers a little before it, so
// the caller gets the steps still pending (procedure-status shows them
// later) rather than DEADLINE_EXCEEDED.
func (r *Runner) await(ctx context.Context, id string, d *eventDossier) (*lgspv1.ProcedureResult, error) {
	wait := r.cfg.ReactionWait
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left -= min(time.Second, left/5); left < wait {
			wait = max(left, 0)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-d.answered:
	case <-t.C:
	case <-ctx.Done():
	}
	res, _ := r.Result(id)
	return res, nil
}

// fail marks step i of d failed and the pending ones skipped, and answers.
// r.mu must be held.
func (r *Runner) fail(d *eventDossier, i int, err error) {
	st := d.res.Steps[i]
	st.Status, st.Error = lgspv1.StepStatus_STEP_STATUS_FAILED, describe(err)
	d.res.FailedStep = st.GetName()
	for _, s := range d.res.Steps {
		if s.GetStatus() == lgspv1.StepStatus_STEP_STATUS_PENDING {
			s.Status = lgspv1.StepStatus_STEP_STATUS_SKIPPED
		}
	}
	r.answer(d)
}

// settle answers d once every step is done. r.mu must be held.
func (r *Runner) settle(d *eventDossier) {
	for _, s := range d.res.Steps {
		if s.GetStatus() != lgspv1.StepStatus_STEP_STATUS_DONE {
			return
		}
	}
	d.res.Completed = true
	r.answer(d)
}

func (r *Runner) answer(d *eventDossier) {
	if !d.closed {
		d.closed = true
		close(d.answered)
	}
}

// OnPIDIssued is the province's reaction to pid-issued (event eventID): for
// a dossier of its own, the number is recorded and the child's permanent
// residence registered. Events of other provinces' dossiers are ignored.
// A redelivered event finds its steps done.
func (r *Runner) OnPIDIssued(ctx context.Context, eventID string, ev *eventsv1.PersonalIdIssued) {
	r.mu.Lock()
	d, ok := r.byEvents[ev.GetDossierId()]
	if !ok || ev.GetProvinceCode() != r.cfg.ProvinceCode || d.res.Steps[1].GetStatus() == lgspv1.StepStatus_STEP_STATUS_DONE {
		r.mu.Unlock()
		return
	}
	st := d.res.Steps[1]
	st.Status, st.Ref, st.MessageId = lgspv1.StepStatus_STEP_STATUS_DONE, ev.GetPersonalId(), events.MessageID(events.TypePIDIssued, eventID)
	d.res.PersonalId = ev.GetPersonalId()
	res, in := d.res, d.in
	r.mu.Unlock()

	msgID := res.GetDossierId() + "/" + StepResidenceRegister
	reg := step{name: StepResidenceRegister, run: func(ctx context.Context, call node.Call) (string, error) {
		out := &populationv1.RegisterResidenceResponse{}
		_, err := r.ex.Exchange(ctx, call, &populationv1.RegisterResidenceRequest{PersonalId: ev.GetPersonalId(), Address: in.GetResidence(), HeadPersonalId: ev.GetHeadPersonalId()}, out)
		return out.GetRegistrationRef(), err
	}}
	ref, err := r.try(ctx, reg, r.call(res, r.cfg.Population, "residence-register", msgID))
	r.mu.Lock()
	defer r.mu.Unlock()
	st = d.res.Steps[2]
	st.MessageId = msgID
	if err != nil && code(err) != codes.AlreadyExists {
		r.fail(d, 2, err)
		return
	}
	st.Status, st.Ref, d.res.ResidenceRef = lgspv1.StepStatus_STEP_STATUS_DONE, ref, ref
	r.settle(d)
}

// OnChildCardIssued is the province's reaction to child-card-issued: the
// card is recorded on the dossier.
func (r *Runner) OnChildCardIssued(eventID string, ev *eventsv1.ChildCardIssued) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.byEvents[ev.GetDossierId()]
	if !ok || d.res.Steps[3].GetStatus() == lgspv1.StepStatus_STEP_STATUS_DONE {
		return
	}
	st := d.res.Steps[3]
	st.Status, st.Ref, st.MessageId = lgspv1.StepStatus_STEP_STATUS_DONE, ev.GetCardNumber(), events.MessageID(events.TypeChildCardIssued, eventID)
	d.res.CardNumber = ev.GetCardNumber()
	r.settle(d)
}
