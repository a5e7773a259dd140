package procedure_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/vn"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
)

// TestBirthByEventsMatchesOrchestrated runs the birth procedure both ways,
// call by call and on events (the civil registry publishes the birth, the
// population database, social insurance and the province react), and
// compares the outcomes: the same steps done, a valid number with the
// residence registered, a card issued; the event deliveries are counted.
func TestBirthByEventsMatchesOrchestrated(t *testing.T) {
	env := start(t)
	orch := birth(t, env, birthRequest("HS-ORCH-1"))
	out := &lgspv1.BirthProcedureResponse{}
	err := exchange(env, "HS-EVT-1", hcm, "procedure-birth-events", birthRequest("HS-EVT-1"), out)
	evt := settled(t, env, result(t, env, "HS-EVT-1", out.GetResult(), err))
	const want = "birth-register=DONE pid-issue=DONE residence-register=DONE child-card-issue=DONE"
	if statuses(orch) != want || statuses(evt) != want || !orch.GetCompleted() || !evt.GetCompleted() {
		t.Fatalf("orchestrated %s, on events %s; want both %s", statuses(orch), statuses(evt), want)
	}
	for _, res := range []*lgspv1.ProcedureResult{orch, evt} {
		c, err := lookup(env, res.GetPersonalId())
		if err != nil {
			t.Fatalf("%s: the child's number %s: %v", res.GetDossierId(), res.GetPersonalId(), err)
		}
		if c.GetPermanentResidence().GetWard() != "Phường Bến Nghé" || c.GetFullName() != "Nguyễn Minh An" {
			t.Fatalf("%s: citizen %v", res.GetDossierId(), c)
		}
		card, ok := env.Simulators.Insurance.Card(res.GetPersonalId())
		if !ok || card.GetCardNumber() != res.GetCardNumber() {
			t.Fatalf("%s: card %v, result says %s", res.GetDossierId(), card, res.GetCardNumber())
		}
	}
	if orch.GetPersonalId() == evt.GetPersonalId() {
		t.Fatalf("two children got the same number %s", orch.GetPersonalId())
	}
	// Resubmitted: the same result, nothing done twice.
	again := &lgspv1.BirthProcedureResponse{}
	if err := exchange(env, "HS-EVT-1", hcm, "procedure-birth-events", birthRequest("HS-EVT-1"), again); err != nil || !proto.Equal(again.GetResult(), evt) {
		t.Fatalf("resubmitted: %v, %v; want %v", again.GetResult(), err, evt)
	}
	wantRows(t, env, map[string]int64{
		// orchestrated
		hcm + " procedure-birth OK":                           1,
		topology.CivilRegistryCode + " birth-register OK":     2, // once per procedure
		topology.PopulationCode + " pid-issue OK":             1,
		topology.PopulationCode + " residence-register OK":    2,
		topology.SocialInsuranceCode + " child-card-issue OK": 1,
		// on events: the exchange, then the deliveries to the province
		hcm + " procedure-birth-events OK":                          1,
		events.Population + " " + events.TypePIDIssued + " OK":      1,
		events.Insurance + " " + events.TypeChildCardIssued + " OK": 1,
	})
	// and to the other subscribers, each counted once (their deliveries
	// are recorded after the procedure answered: wait for them)
	hubtest.Eventually(t, 20*time.Second, func() error {
		resp, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Sync: true})
		if err != nil {
			return err
		}
		got := map[string]int64{}
		for _, r := range resp.GetStats().GetRows() {
			got[r.GetConsumer()+" <- "+r.GetProvider()+" "+r.GetService()] += r.GetCount()
		}
		for k, n := range map[string]int64{
			events.Population + " <- " + events.CivilRegistry + " " + events.TypeBirthRegistered: 1,
			events.Insurance + " <- " + events.Population + " " + events.TypePIDIssued:           1,
		} {
			if got[k] != n {
				return fmt.Errorf("%s counted %d, want %d", k, got[k], n)
			}
		}
		return nil
	})
}

// TestBirthByEventsSecure: in the secure mode, the default grants
// (platform.DefaultGrants) let each agency hear what the procedure needs;
// without the event grants the reactions never come.
func TestBirthByEventsSecure(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode, hcm)
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}),
		hubtest.WithSecurity(), hubtest.WithGrants(platform.DefaultGrants(sub)...))
	out := &lgspv1.BirthProcedureResponse{}
	err = exchange(env, "HS-EVT-SEC", hcm, "procedure-birth-events", birthRequest("HS-EVT-SEC"), out)
	res := settled(t, env, result(t, env, "HS-EVT-SEC", out.GetResult(), err))
	if want := "birth-register=DONE pid-issue=DONE residence-register=DONE child-card-issue=DONE"; statuses(res) != want {
		t.Fatalf("steps %s, want %s", statuses(res), want)
	}
}

// TestDeathEventCancelsNumber: a death registered with publish_event is
// published; the population database reacts by cancelling the number and
// publishing pid-cancelled.
func TestDeathEventCancelsNumber(t *testing.T) {
	env := start(t)
	out := &civilv1.RegisterDeathResponse{}
	req := &civilv1.RegisterDeathRequest{PersonalId: mother, FullName: "Trần Thị Lệ", DateOfDeath: vn.Day(time.Now().AddDate(0, 0, -1)), ProvinceCode: "079", PublishEvent: true}
	if err := exchange(env, "HS-DEATH-EVT/death-register", topology.CivilRegistryCode, "death-register", req, out); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 30*time.Second, func() error {
		if _, err := lookup(env, mother); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "cancelled") {
			return fmt.Errorf("lookup after the death event: %v, want FailedPrecondition (cancelled)", err)
		}
		return nil
	})
	hubtest.Eventually(t, 30*time.Second, func() error {
		resp, err := env.Stats.GetStats(context.Background(), &hubv1.GetStatsRequest{Sync: true})
		if err != nil {
			return err
		}
		for _, r := range resp.GetStats().GetRows() {
			if r.GetConsumer() == events.Population && r.GetService() == events.TypeDeathRegistered && r.GetCount() == 1 {
				return nil
			}
		}
		return fmt.Errorf("the death-registered delivery to the population database is not counted")
	})
}

// settled is res once no step is pending: the answer waits ReactionWait
// for the reactions, which a busy machine may exceed; procedure-status
// has them later.
func settled(t *testing.T, env *hubtest.Env, res *lgspv1.ProcedureResult) *lgspv1.ProcedureResult {
	t.Helper()
	hubtest.Eventually(t, 2*time.Minute, func() error {
		for _, st := range res.GetSteps() {
			if st.GetStatus() == lgspv1.StepStatus_STEP_STATUS_PENDING {
				out := &lgspv1.ProcedureStatusResponse{}
				if err := exchange(env, "", hcm, "procedure-status", &lgspv1.ProcedureStatusRequest{DossierId: res.GetDossierId()}, out); err != nil {
					return err
				}
				res = out.GetResult()
				return fmt.Errorf("step %s still pending", st.GetName())
			}
		}
		return nil
	})
	return res
}
