package procedure

import (
	"context"
	"testing"
	"time"

	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
)

// TestAwaitAnswersBeforeTheDeadline: a procedure on events whose reactions
// have not come answers with the steps still pending before the caller's
// deadline, not after it (the caller would see DEADLINE_EXCEEDED and no
// result: TestConformance timed out so on a busy machine).
func TestAwaitAnswersBeforeTheDeadline(t *testing.T) {
	r := &Runner{cfg: Config{ReactionWait: time.Hour}, results: map[string]*lgspv1.ProcedureResult{
		"HS-1": {DossierId: "HS-1", Steps: []*lgspv1.Step{{Name: "pid-issue", Status: lgspv1.StepStatus_STEP_STATUS_PENDING}}},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.await(ctx, "HS-1", &eventDossier{answered: make(chan struct{})})
	if err != nil || res.GetDossierId() != "HS-1" {
		t.Fatalf("await = %v, %v; want the pending result", res, err)
	}
	if ctx.Err() != nil {
		t.Fatal("await returned only after the caller's deadline")
	}
}
