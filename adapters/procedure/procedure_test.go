package procedure_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// hcm is Ho Chi Minh City's LGSP, which submits the procedures.
const hcm = "000.00.00.H29"

// checker is the consumer the tests look things up as, so that their
// calls are not counted with the LGSP's.
const checker = "000.00.00.H01"

// mother is a citizen of the seed-1 population (Trần Thị Lệ).
const mother = "001194053383"

func start(t *testing.T) *hubtest.Env {
	t.Helper()
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, hcm)
	if err != nil {
		t.Fatal(err)
	}
	return hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
}

// exchange calls provider's service as the LGSP (with a message id) or
// as the checker (without) and decodes the answer.
func exchange(env *hubtest.Env, msgID, provider, service string, req, resp proto.Message) error {
	consumer := hcm
	if msgID == "" {
		consumer = checker
	}
	payload, err := anypb.New(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := env.Exchange.Exchange(ctx, &hubv1.ExchangeRequest{
		MessageId: msgID, Consumer: consumer, Provider: provider, Service: service, Payload: payload, Purpose: "test", UserId: "tester",
	})
	if err != nil {
		return err
	}
	return out.GetPayload().UnmarshalTo(resp)
}

// rows returns today's counters by "provider service CODE".
func rows(t *testing.T, env *hubtest.Env) map[string]int64 {
	t.Helper()
	resp, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	out := map[string]int64{}
	for _, r := range resp.GetStats().GetRows() {
		if r.GetConsumer() == hcm {
			out[r.GetProvider()+" "+r.GetService()+" "+r.GetCode()] += r.GetCount()
		}
	}
	return out
}

func wantRows(t *testing.T, env *hubtest.Env, want map[string]int64) {
	t.Helper()
	hubtest.Eventually(t, 20*time.Second, func() error {
		if got := rows(t, env); !maps.Equal(got, want) {
			return fmt.Errorf("counters:\n got %v\nwant %v", got, want)
		}
		return nil
	})
}

func birthRequest(dossier string) *lgspv1.BirthProcedureRequest {
	return &lgspv1.BirthProcedureRequest{
		DossierId: dossier, ChildName: "Nguyễn Minh An", DateOfBirth: vn.Day(time.Now().AddDate(0, 0, -2)), Sex: populationv1.Sex_SEX_FEMALE,
		MotherPersonalId: mother, Residence: &populationv1.Address{Province: "Hồ Chí Minh", ProvinceCode: "079", Ward: "Phường Bến Nghé", Street: "12 Lê Lợi"},
	}
}

func birth(t *testing.T, env *hubtest.Env, req *lgspv1.BirthProcedureRequest) *lgspv1.ProcedureResult {
	t.Helper()
	out := &lgspv1.BirthProcedureResponse{}
	err := exchange(env, req.GetDossierId(), hcm, "procedure-birth", req, out)
	return result(t, env, req.GetDossierId(), out.GetResult(), err)
}

// result is a procedure's result: the answer's, or for a dossier that
// failed (ABORTED) the one procedure-status keeps.
func result(t *testing.T, env *hubtest.Env, dossier string, res *lgspv1.ProcedureResult, err error) *lgspv1.ProcedureResult {
	t.Helper()
	if err == nil {
		return res
	}
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), dossier) {
		t.Fatalf("procedure %s: %v", dossier, err)
	}
	out := &lgspv1.ProcedureStatusResponse{}
	if err := exchange(env, "", hcm, "procedure-status", &lgspv1.ProcedureStatusRequest{DossierId: dossier}, out); err != nil || !out.GetFound() {
		t.Fatalf("procedure-status %s: %v, %v", dossier, out, err)
	}
	if out.GetResult().GetCompleted() {
		t.Fatalf("dossier %s answered ABORTED but its status is completed", dossier)
	}
	return out.GetResult()
}

func statuses(r *lgspv1.ProcedureResult) string {
	var s []string
	for _, st := range r.GetSteps() {
		s = append(s, st.GetName()+"="+strings.TrimPrefix(st.GetStatus().String(), "STEP_STATUS_"))
	}
	return strings.Join(s, " ")
}

func TestBirthProcedure(t *testing.T) {
	env := start(t)
	res := birth(t, env, birthRequest("HS-BIRTH-1"))
	if !res.GetCompleted() || res.GetFailedStep() != "" {
		t.Fatalf("not completed: %v", res)
	}
	if want := "birth-register=DONE pid-issue=DONE residence-register=DONE child-card-issue=DONE"; statuses(res) != want {
		t.Fatalf("steps %s, want %s", statuses(res), want)
	}
	if !strings.HasPrefix(res.GetPersonalId(), "0793") || !strings.HasPrefix(res.GetCardNumber(), "TE1") || res.GetRegistrationRef() == "" || res.GetResidenceRef() == "" {
		t.Fatalf("references missing: %v", res)
	}

	t.Run("the child can be looked up with its residence and household", func(t *testing.T) {
		c := &populationv1.LookupCitizenResponse{}
		if err := exchange(env, "", topology.PopulationCode, "citizen-lookup", &populationv1.LookupCitizenRequest{PersonalId: res.GetPersonalId()}, c); err != nil {
			t.Fatal(err)
		}
		if c.GetCitizen().GetFullName() != "Nguyễn Minh An" || c.GetCitizen().GetPermanentResidence().GetWard() != "Phường Bến Nghé" {
			t.Fatalf("citizen %v", c.GetCitizen())
		}
		hh := &insurancev1.VerifyHouseholdResponse{}
		if err := exchange(env, "", topology.SocialInsuranceCode, "household-verify",
			&insurancev1.VerifyHouseholdRequest{PersonalId: mother, DeclaredMemberIds: []string{mother, res.GetPersonalId()}}, hh); err != nil {
			t.Fatal(err)
		}
		if !hh.GetMatch() {
			t.Fatalf("household of the mother does not include the child: %v", hh)
		}
	})
	t.Run("the card can be looked up", func(t *testing.T) {
		card := &insurancev1.LookupCardResponse{}
		if err := exchange(env, "", topology.SocialInsuranceCode, "card-lookup", &insurancev1.LookupCardRequest{PersonalId: res.GetPersonalId()}, card); err != nil {
			t.Fatal(err)
		}
		if card.GetCard().GetCardNumber() != res.GetCardNumber() {
			t.Fatalf("card %v, want %s", card.GetCard(), res.GetCardNumber())
		}
	})
	t.Run("a resubmission returns the first result without new hops", func(t *testing.T) {
		before := rows(t, env)
		again := birth(t, env, birthRequest("HS-BIRTH-1"))
		if !proto.Equal(again, res) {
			t.Fatalf("resubmission gave %v, want %v", again, res)
		}
		st := &lgspv1.ProcedureStatusResponse{}
		if err := exchange(env, "", hcm, "procedure-status", &lgspv1.ProcedureStatusRequest{DossierId: "HS-BIRTH-1"}, st); err != nil {
			t.Fatal(err)
		}
		if !st.GetFound() || !proto.Equal(st.GetResult(), res) {
			t.Fatalf("status %v", st)
		}
		// The resubmission reused the message id: counted once.
		wantRows(t, env, before)
	})
}

func TestBirthProcedureCounts(t *testing.T) {
	env := start(t)
	birth(t, env, birthRequest("HS-COUNT-1"))
	wantRows(t, env, map[string]int64{
		hcm + " procedure-birth OK":                           1,
		topology.CivilRegistryCode + " birth-register OK":     1,
		topology.PopulationCode + " pid-issue OK":             1,
		topology.PopulationCode + " residence-register OK":    1,
		topology.SocialInsuranceCode + " child-card-issue OK": 1,
	})
}

func TestBirthProcedureFailingStep(t *testing.T) {
	tests := []struct {
		name     string
		down     string // agency in outage
		services string // its services affected
		failed   string
		steps    string
		undone   []string // services called to undo
	}{
		{name: "card issue fails", down: topology.SocialInsuranceCode, services: "child-card-issue", failed: "child-card-issue",
			steps:  "birth-register=COMPENSATED pid-issue=COMPENSATED residence-register=COMPENSATED child-card-issue=FAILED",
			undone: []string{topology.CivilRegistryCode + " record-cancel", topology.PopulationCode + " pid-cancel", topology.PopulationCode + " residence-remove"}},
		{name: "ID issue fails", down: topology.PopulationCode, services: "pid-issue", failed: "pid-issue",
			steps:  "birth-register=COMPENSATED pid-issue=FAILED residence-register=SKIPPED child-card-issue=SKIPPED",
			undone: []string{topology.CivilRegistryCode + " record-cancel"}},
		{name: "registration fails", down: topology.CivilRegistryCode, services: "birth-register", failed: "birth-register",
			steps: "birth-register=FAILED pid-issue=SKIPPED residence-register=SKIPPED child-card-issue=SKIPPED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, _ := topology.Builtin("2023")
			sub, _ := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, hcm)
			env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1,
				Behaviours: []simulators.Override{{Selector: tt.down, Behaviour: "services=" + tt.services + ",outage=on"}}}))
			res := birth(t, env, birthRequest("HS-FAIL-1"))
			if res.GetCompleted() || res.GetFailedStep() != tt.failed || statuses(res) != tt.steps {
				t.Fatalf("got completed=%v failed=%q steps %s, want failed %q steps %s", res.GetCompleted(), res.GetFailedStep(), statuses(res), tt.failed, tt.steps)
			}
			failed := res.GetSteps()[slices.IndexFunc(res.GetSteps(), func(s *lgspv1.Step) bool { return s.GetName() == tt.failed })]
			if !strings.Contains(failed.GetError(), "Unavailable") {
				t.Errorf("failed step error %q does not say Unavailable", failed.GetError())
			}
			sims := env.Simulators
			if res.GetPersonalId() != "" {
				_, err := lookup(env, res.GetPersonalId())
				if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "cancelled") {
					t.Errorf("the issued ID after the undo: got %v, want FailedPrecondition (cancelled)", err)
				}
			}
			if ref := res.GetRegistrationRef(); ref != "" {
				if r, ok := sims.CivilRegistry.Record(ref); !ok || !r.GetCancelled() {
					t.Errorf("birth record %s is not cancelled: %v", ref, r)
				}
			}
			if _, ok := sims.Insurance.Card(res.GetPersonalId()); ok {
				t.Errorf("a card was issued")
			}
			want := map[string]int64{hcm + " procedure-birth ABORTED": 1, tt.down + " " + tt.failed + " UNAVAILABLE": 1}
			for _, s := range res.GetSteps() {
				if s.GetStatus() == lgspv1.StepStatus_STEP_STATUS_COMPENSATED {
					want[s.GetProvider()+" "+s.GetService()+" OK"]++
				}
			}
			for _, u := range tt.undone {
				want[u+" OK"]++
			}
			wantRows(t, env, want)
		})
	}
}

func lookup(env *hubtest.Env, id string) (*populationv1.Citizen, error) {
	out := &populationv1.LookupCitizenResponse{}
	err := exchange(env, "", topology.PopulationCode, "citizen-lookup", &populationv1.LookupCitizenRequest{PersonalId: id}, out)
	return out.GetCitizen(), err
}

func death(t *testing.T, env *hubtest.Env, dossier string) *lgspv1.ProcedureResult {
	t.Helper()
	out := &lgspv1.DeathProcedureResponse{}
	req := &lgspv1.DeathProcedureRequest{DossierId: dossier, PersonalId: mother, FullName: "Trần Thị Lệ", DateOfDeath: vn.Day(time.Now().AddDate(0, 0, -1)), ClaimantPersonalId: "001194053383"}
	err := exchange(env, dossier, hcm, "procedure-death", req, out)
	return result(t, env, dossier, out.GetResult(), err)
}

func TestDeathProcedure(t *testing.T) {
	env := start(t)
	res := death(t, env, "HS-DEATH-1")
	if want := "death-register=DONE residence-remove=DONE funeral-allowance=DONE pid-cancel=DONE"; !res.GetCompleted() || statuses(res) != want {
		t.Fatalf("got %s, want %s: %v", statuses(res), want, res)
	}
	// The number of the dead is cancelled, as the reports describe.
	if _, err := lookup(env, mother); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("lookup after death: %v, want FailedPrecondition (cancelled)", err)
	}
	if ref, ok := env.Simulators.Insurance.Allowance(mother); !ok || ref != res.GetAllowanceRef() {
		t.Fatalf("allowance %q, want %q", ref, res.GetAllowanceRef())
	}
	wantRows(t, env, map[string]int64{
		hcm + " procedure-death OK": 1, topology.CivilRegistryCode + " death-register OK": 1,
		topology.PopulationCode + " residence-remove OK": 1, topology.SocialInsuranceCode + " funeral-allowance OK": 1,
		topology.PopulationCode + " pid-cancel OK": 1,
	})
}

func TestDeathProcedureFailingStep(t *testing.T) {
	full, _ := topology.Builtin("2023")
	sub, _ := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, hcm)
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}))
	before, err := lookup(env, mother)
	if err != nil {
		t.Fatal(err)
	}
	// An outage toggled at run time: the funeral allowance fails.
	env.Simulators.Behaviours[topology.SocialInsuranceCode].SetOutage(true)
	res := death(t, env, "HS-DEATH-FAIL")
	if want := "death-register=COMPENSATED residence-remove=COMPENSATED funeral-allowance=FAILED pid-cancel=SKIPPED"; res.GetCompleted() || statuses(res) != want {
		t.Fatalf("got %s, want %s", statuses(res), want)
	}
	after, err := lookup(env, mother)
	if err != nil {
		t.Fatal(err)
	}
	if after.GetDeceased() || !proto.Equal(after.GetPermanentResidence(), before.GetPermanentResidence()) || after.GetHouseholdId() != before.GetHouseholdId() {
		t.Fatalf("citizen not restored: %v, was %v", after, before)
	}
	if r, ok := env.Simulators.CivilRegistry.Record(res.GetRegistrationRef()); !ok || !r.GetCancelled() {
		t.Fatalf("death record not cancelled: %v", r)
	}
	wantRows(t, env, map[string]int64{
		hcm + " procedure-death ABORTED": 1, topology.CivilRegistryCode + " death-register OK": 1,
		topology.PopulationCode + " residence-remove OK": 1, topology.SocialInsuranceCode + " funeral-allowance UNAVAILABLE": 1,
		topology.PopulationCode + " residence-register OK": 1, topology.CivilRegistryCode + " record-cancel OK": 1,
	})
	// Once the outage is over, the same person's death can be registered.
	env.Simulators.Behaviours[topology.SocialInsuranceCode].SetOutage(false)
	if res := death(t, env, "HS-DEATH-RETRY"); !res.GetCompleted() {
		t.Fatalf("after the outage: %s", statuses(res))
	}
}

func TestProcedureBadInput(t *testing.T) {
	env := start(t)
	tests := []struct {
		name    string
		service string
		req     proto.Message
		field   string
	}{
		{"birth without child", "procedure-birth", &lgspv1.BirthProcedureRequest{}, "child_name"},
		{"birth without parent", "procedure-birth", &lgspv1.BirthProcedureRequest{ChildName: "A", DateOfBirth: "2026-01-01"}, "father_personal_id"},
		{"birth without residence", "procedure-birth", &lgspv1.BirthProcedureRequest{ChildName: "A", DateOfBirth: "2026-01-01", MotherPersonalId: mother}, "residence"},
		{"birth with a bad dossier id", "procedure-birth", func() proto.Message { r := birthRequest("a/b"); return r }(), "dossier_id"},
		{"death without claimant", "procedure-death", &lgspv1.DeathProcedureRequest{PersonalId: mother, FullName: "x", DateOfDeath: "2026-01-01"}, "claimant_personal_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A message id names one request: each bad request has its own.
			err := exchange(env, "bad-"+strings.ReplaceAll(tt.name, " ", "-"), hcm, tt.service, tt.req, &lgspv1.BirthProcedureResponse{})
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("got %v, want InvalidArgument naming %s", err, tt.field)
			}
		})
	}
	// A step's own validation fails the step, not the call: a future date
	// of birth is refused by the civil registry and nothing is left.
	req := birthRequest("HS-FUTURE")
	req.DateOfBirth = vn.Day(time.Now().AddDate(0, 1, 0))
	res := birth(t, env, req)
	if res.GetCompleted() || res.GetFailedStep() != "birth-register" || !strings.Contains(res.GetSteps()[0].GetError(), "date_of_birth") {
		t.Fatalf("got %v", res)
	}
}
