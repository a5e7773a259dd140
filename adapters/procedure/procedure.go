// Package procedure runs the interlinked procedures ("liên thông", Decree
// 63/2024/NĐ-CP) a province's LGSP submits: each step is one exchange
// through the hub, and a step that fails is compensated: the steps already
// done are undone in reverse order (the issued ID number cancelled, the
// residence removed or restored, the registration withdrawn), so no
// half-done procedure is left behind. Every call, including the undoing
// ones, carries a message id derived from the dossier id and the step, so
// a retry is counted once by the hub.
package procedure

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
)

// Providers of the built-in topologies.
const (
	DefaultPopulation    = "000.00.01.G01"
	DefaultCivilRegistry = "000.00.01.G02"
	DefaultInsurance     = "000.00.01.G23"
)

// Defaults for Config.
const (
	// DefaultCompensateFor is how long an undoing call is retried while
	// it fails transiently: a half-done procedure must not be left behind
	// because the provider was busy for a moment.
	DefaultCompensateFor = 5 * time.Minute
	// DefaultStepAttempts is how often a step is tried when it fails
	// transiently (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED).
	DefaultStepAttempts = 2
	// retryWait is the pause before the first retry; it doubles up to
	// maxRetryWait.
	retryWait    = 100 * time.Millisecond
	maxRetryWait = 5 * time.Second
	// DefaultStepTimeout bounds one step.
	DefaultStepTimeout = 10 * time.Second
)

// ErrInvalid is wrapped by errors about a malformed procedure request.
var ErrInvalid = errors.New("procedure: invalid request")

// Exchanger makes one exchange through the hub as the submitting LGSP; a
// *node.Client is one. A failure should be a *node.Error with the code.
type Exchanger interface {
	Exchange(ctx context.Context, call node.Call, req, resp proto.Message) (string, error)
}

// Config configures a Runner. Zero values mean defaults.
type Config struct {
	// ProvinceCode is the 3-digit code of the submitting province (required).
	ProvinceCode string
	// Population, CivilRegistry and Insurance are the providers' agency
	// codes (defaults: the built-in ones).
	Population, CivilRegistry, Insurance string
	// UserID is the official on whose behalf the LGSP calls (default
	// "mot-cua-<province>").
	UserID string
	// CompensateFor is how long an undoing call is retried, with backoff,
	// while it fails transiently (UNAVAILABLE, DEADLINE_EXCEEDED,
	// RESOURCE_EXHAUSTED, ABORTED); the procedure's answer waits for it.
	CompensateFor time.Duration
	// StepAttempts is how often a step is tried when it fails transiently
	// (the answer may have been lost, the provider was busy);
	// retries reuse the message id, so the provider answers a step it
	// already did with its first answer and the hub counts it once.
	StepAttempts int
	// StepTimeout bounds one step.
	StepTimeout time.Duration
	// ReactionWait is how long BirthByEvents waits for the reactions
	// before answering with steps still pending.
	ReactionWait time.Duration
}

func (c *Config) setDefaults() {
	c.Population = cmp(c.Population, DefaultPopulation)
	c.CivilRegistry = cmp(c.CivilRegistry, DefaultCivilRegistry)
	c.Insurance = cmp(c.Insurance, DefaultInsurance)
	c.UserID = cmp(c.UserID, "mot-cua-"+c.ProvinceCode)
	if c.CompensateFor <= 0 {
		c.CompensateFor = DefaultCompensateFor
	}
	if c.StepAttempts <= 0 {
		c.StepAttempts = DefaultStepAttempts
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = DefaultStepTimeout
	}
	if c.ReactionWait <= 0 {
		c.ReactionWait = DefaultReactionWait
	}
}

// Validate reports a configuration that cannot run.
func (c *Config) Validate() error {
	if len(c.ProvinceCode) != 3 {
		return fmt.Errorf("procedure: ProvinceCode %q: want 3 digits", c.ProvinceCode)
	}
	return nil
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Runner runs procedures for one province and remembers their results by
// dossier id for the run. It is safe for concurrent use.
type Runner struct {
	cfg Config
	ex  Exchanger

	mu       sync.Mutex
	results  map[string]*lgspv1.ProcedureResult
	running  map[string]chan struct{}
	byEvents map[string]*eventDossier // dossiers run on events, by id
}

// New returns a Runner calling through ex.
func New(cfg Config, ex Exchanger) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, ex: ex, results: map[string]*lgspv1.ProcedureResult{}, running: map[string]chan struct{}{}, byEvents: map[string]*eventDossier{}}, nil
}

// Result returns the result of a dossier run before.
func (r *Runner) Result(dossier string) (*lgspv1.ProcedureResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.results[dossier]
	return proto.CloneOf(res), ok
}

// once runs f for a dossier at most once: a resubmission returns the first
// result (after waiting for it if it is still running).
func (r *Runner) once(ctx context.Context, dossier string, f func() *lgspv1.ProcedureResult) (*lgspv1.ProcedureResult, error) {
	for {
		r.mu.Lock()
		if res, ok := r.results[dossier]; ok {
			r.mu.Unlock()
			return proto.CloneOf(res), nil
		}
		wait, busy := r.running[dossier]
		if !busy {
			done := make(chan struct{})
			r.running[dossier] = done
			r.mu.Unlock()
			res := f()
			r.mu.Lock()
			r.results[dossier] = res
			delete(r.running, dossier)
			r.mu.Unlock()
			close(done)
			return proto.CloneOf(res), nil
		}
		r.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// dossierID returns the given id or a new one.
func dossierID(id string) (string, error) {
	if id == "" {
		return "HS-" + nuid.Next(), nil
	}
	if len(id) > 64 {
		return "", fmt.Errorf("%w: dossier_id is longer than 64 characters", ErrInvalid)
	}
	for _, c := range id {
		if c <= ' ' || c > '~' || c == '/' {
			return "", fmt.Errorf("%w: dossier_id %q: want printable ASCII without spaces or '/'", ErrInvalid, id)
		}
	}
	return id, nil
}

// step is one hop: its call, and how to undo it once done.
type step struct {
	name     string
	provider string
	service  string
	run      func(ctx context.Context, call node.Call) (ref string, err error)
	// undo undoes the step; nil if the step needs no undoing (the last).
	undo func(ctx context.Context, call node.Call) error
	// undoService is the service undo calls.
	undoService string
}

// saga runs steps in order; on a failure it undoes the done steps in
// reverse order and marks the rest skipped.
func (r *Runner) saga(ctx context.Context, res *lgspv1.ProcedureResult, steps []step) {
	done := 0
	for i, s := range steps {
		st := &lgspv1.Step{Name: s.name, Provider: s.provider, Service: s.service, MessageId: res.GetDossierId() + "/" + s.name}
		res.Steps = append(res.Steps, st)
		ref, err := r.try(ctx, s, r.call(res, s.provider, s.service, st.MessageId))
		if err != nil {
			st.Status, st.Error = lgspv1.StepStatus_STEP_STATUS_FAILED, describe(err)
			res.FailedStep = s.name
			for _, rest := range steps[i+1:] {
				res.Steps = append(res.Steps, &lgspv1.Step{Name: rest.name, Provider: rest.provider, Service: rest.service, Status: lgspv1.StepStatus_STEP_STATUS_SKIPPED})
			}
			break
		}
		st.Status, st.Ref = lgspv1.StepStatus_STEP_STATUS_DONE, ref
		done++
	}
	if res.FailedStep == "" {
		res.Completed = true
		return
	}
	for i := done - 1; i >= 0; i-- {
		r.compensate(ctx, res, steps[i], res.Steps[i])
	}
}

// try runs a step, retrying with the same message id while it fails in a
// way that may have lost the answer and ctx allows.
func (r *Runner) try(ctx context.Context, s step, call node.Call) (string, error) {
	var (
		ref string
		err error
	)
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
		ref, err = s.run(sctx, call)
		cancel()
		if !transient(code(err)) || attempt >= r.cfg.StepAttempts {
			return ref, err
		}
		if !pause(ctx, attempt) {
			return ref, err
		}
	}
}

// transient reports whether a call that failed with c may succeed if made
// again: the provider was unreachable, overloaded or rate limited, or the
// answer was lost.
func transient(c codes.Code) bool {
	return c == codes.Unavailable || c == codes.DeadlineExceeded || c == codes.ResourceExhausted || c == codes.Aborted
}

// pause waits before the retry after attempt (from 1), doubling from
// retryWait up to maxRetryWait; false if ctx ended first.
func pause(ctx context.Context, attempt int) bool {
	d := min(retryWait<<min(attempt-1, 10), maxRetryWait)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// compensate undoes a done step, retrying with the same message id, with
// backoff, for as long as it fails transiently and CompensateFor allows
// (the caller's cancellation does not stop it: a half-done procedure is
// worse than a late answer). FAILED_PRECONDITION and NOT_FOUND mean there
// is nothing left to undo (an earlier attempt did it).
func (r *Runner) compensate(ctx context.Context, res *lgspv1.ProcedureResult, s step, st *lgspv1.Step) {
	if s.undo == nil {
		return
	}
	st.CompensationMessageId = res.GetDossierId() + "/undo-" + s.name
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.CompensateFor)
	defer cancel()
	var err error
	for attempt := 1; ; attempt++ {
		sctx, scancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
		err = s.undo(sctx, r.call(res, s.provider, s.undoService, st.CompensationMessageId))
		scancel()
		c := code(err)
		if c == codes.OK || c == codes.FailedPrecondition || c == codes.NotFound {
			st.Status = lgspv1.StepStatus_STEP_STATUS_COMPENSATED
			return
		}
		if !transient(c) || !pause(ctx, attempt) {
			break
		}
	}
	st.Error = "compensation failed: " + describe(err)
}

func (r *Runner) call(res *lgspv1.ProcedureResult, provider, service, msgID string) node.Call {
	return node.Call{Provider: provider, Service: service, MessageID: msgID, Purpose: res.GetDossierId(), UserID: r.cfg.UserID}
}

func code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var e *node.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return codes.Unknown
}

func describe(err error) string { return code(err).String() + ": " + err.Error() }
