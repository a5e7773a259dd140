package procedure_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/procedure"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// flaky is an Exchanger standing in for the hub in the retry logic's
// tests: it fails the first call of one service with a code, then answers
// every call with a canned response, recording the message ids.
type flaky struct {
	mu       sync.Mutex
	service  string
	code     codes.Code
	failures int
	calls    []string // service@message id
}

func (f *flaky) Exchange(_ context.Context, call node.Call, _, resp proto.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call.Service+"@"+call.MessageID)
	if call.Service == f.service && f.failures > 0 {
		f.failures--
		return call.MessageID, &node.Error{Code: f.code, Message: "lost"}
	}
	switch r := resp.(type) {
	case *civilv1.RegisterBirthResponse:
		r.Record = &civilv1.Record{Ref: "KS-1"}
	case *populationv1.IssuePersonalIdResponse:
		r.PersonalId = "079326000001"
	case *populationv1.RegisterResidenceResponse:
		r.RegistrationRef = "DKTT-1"
	case *insurancev1.IssueChildCardResponse:
		r.Card = &insurancev1.Card{CardNumber: "TE1790000000001"}
	}
	return call.MessageID, nil
}

func TestStepRetry(t *testing.T) {
	tests := []struct {
		name      string
		code      codes.Code
		failures  int
		completed bool
		calls     int
	}{
		{"a lost answer is retried with the same message id", codes.DeadlineExceeded, 1, true, 5},
		{"an unavailable provider is retried", codes.Unavailable, 1, true, 5},
		{"a persistent failure is compensated", codes.Unavailable, 5, false, 4},
		{"a refusal is not retried", codes.FailedPrecondition, 1, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &flaky{service: "pid-issue", code: tt.code, failures: tt.failures}
			r, err := procedure.New(procedure.Config{ProvinceCode: "079"}, ex)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Birth(context.Background(), birthRequest("HS-RETRY"))
			if err != nil {
				t.Fatal(err)
			}
			if res.GetCompleted() != tt.completed || len(ex.calls) != tt.calls {
				t.Fatalf("completed=%v after calls %v; want completed=%v after %d calls", res.GetCompleted(), ex.calls, tt.completed, tt.calls)
			}
			if ex.calls[1] != "pid-issue@HS-RETRY/pid-issue" || (tt.calls > 2 && ex.calls[2] != ex.calls[1] && tt.completed) {
				t.Fatalf("the retry did not reuse the message id: %v", ex.calls)
			}
		})
	}
}

// TestCompensationRetriedUntilDone: with the hub's rate limit, the undoing
// record-cancel was refused with RESOURCE_EXHAUSTED and never tried again,
// leaving an orphan birth record; it is now retried, with the same
// message id, until it is done.
func TestCompensationRetriedUntilDone(t *testing.T) {
	ex := &flakyMany{failures: map[string]flakyCall{
		"pid-issue":     {codes.FailedPrecondition, 1},
		"record-cancel": {codes.ResourceExhausted, 5},
	}}
	r, err := procedure.New(procedure.Config{ProvinceCode: "079"}, ex)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Birth(context.Background(), birthRequest("HS-UNDO"))
	if err != nil {
		t.Fatal(err)
	}
	if res.GetCompleted() || res.GetSteps()[0].GetStatus() != lgspv1.StepStatus_STEP_STATUS_COMPENSATED {
		t.Fatalf("steps %s (%v), want birth-register COMPENSATED", statuses(res), res.GetSteps()[0].GetError())
	}
	n := 0
	for _, c := range ex.calls {
		if strings.HasPrefix(c, "record-cancel@") {
			if c != "record-cancel@HS-UNDO/undo-birth-register" {
				t.Fatalf("an undo retry changed its message id: %v", ex.calls)
			}
			n++
		}
	}
	if n != 6 {
		t.Fatalf("record-cancel tried %d times, want 6 (5 refusals, then done): %v", n, ex.calls)
	}
}

type flakyCall struct {
	code     codes.Code
	failures int
}

// flakyMany fails the first calls of several services, each with its code.
type flakyMany struct {
	mu       sync.Mutex
	failures map[string]flakyCall
	calls    []string
	ok       flaky
}

func (f *flakyMany) Exchange(ctx context.Context, call node.Call, req, resp proto.Message) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call.Service+"@"+call.MessageID)
	if fc := f.failures[call.Service]; fc.failures > 0 {
		fc.failures--
		f.failures[call.Service] = fc
		f.mu.Unlock()
		return call.MessageID, &node.Error{Code: fc.code, Message: "refused"}
	}
	f.mu.Unlock()
	return f.ok.Exchange(ctx, call, req, resp)
}
