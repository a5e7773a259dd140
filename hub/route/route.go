// Package route carries one exchange from the hub to a node of the provider
// over NATS request-reply and brings back its answer. Every node of an
// agency serves the same subject in one queue group, so NATS spreads the
// requests over the instances that are online.
package route

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/ndxp/ndxp/internal/connwatch"
	"github.com/ndxp/ndxp/internal/wire"
)

// Errors returned by Route.
var (
	// ErrNoNode means no node of the provider serves the service right now.
	ErrNoNode = errors.New("route: no node of the provider is online")
	// ErrTimeout means the provider did not answer before the deadline.
	ErrTimeout = errors.New("route: provider did not answer in time")
	// ErrCanceled means the caller went away before the answer.
	ErrCanceled = errors.New("route: canceled by the caller")
	// ErrConnectionLost means the hub lost its NATS connection before the
	// answer came (or had none): the provider may or may not have acted.
	ErrConnectionLost = errors.New("route: the hub lost its NATS connection; retry with the same message_id")
)

// deadlineSlack is how close to its deadline a cancelled call counts as
// timed out: when a caller's deadline passes, gRPC cancels the server's
// context (the client's RST_STREAM) a moment before the server's own copy
// of the deadline fires, and the caller sees DEADLINE_EXCEEDED, so that is
// the outcome to report and record.
const deadlineSlack = 250 * time.Millisecond

// ProviderError is an error the provider itself returned. Code is a gRPC
// status code number; providers that send a non-numeric or out-of-range
// code get Code 2 (UNKNOWN).
type ProviderError struct {
	Provider string
	Code     uint32
	Message  string
}

// Error implements error.
func (e *ProviderError) Error() string {
	return fmt.Sprintf("provider %s: %s", e.Provider, e.Message)
}

// Requester sends a NATS request and waits for the reply; *nats.Conn is one.
type Requester interface {
	RequestMsgWithContext(ctx context.Context, msg *nats.Msg) (*nats.Msg, error)
}

// Request is one exchange to route.
type Request struct {
	// Meta travels in the NATS request's headers; its Deadline is set
	// from the context Route is given.
	wire.Meta
	Payload []byte
}

// Response is the provider's answer.
type Response struct {
	PayloadType string
	Payload     []byte
}

// Link tells whether the connection under a Requester is up;
// *connwatch.Watcher is one.
type Link interface {
	// Context is cancelled when the connection is lost (and is cancelled
	// already while it is down).
	Context() context.Context
}

// Router is safe for concurrent use.
type Router struct {
	nc   Requester
	link Link
}

// New returns a Router sending over nc. With a link, requests fail at once
// with ErrConnectionLost while the connection is down, and requests in
// flight fail when it is lost, rather than waiting for their deadline;
// link may be nil.
func New(nc Requester, link Link) *Router { return &Router{nc: nc, link: link} }

// Route sends req to the provider and waits for the answer until ctx ends;
// ctx must carry the deadline. It returns ErrNoNode, ErrTimeout,
// ErrCanceled, ErrConnectionLost, a *ProviderError, or another error
// wrapping a NATS failure.
func (r *Router) Route(ctx context.Context, req *Request) (*Response, error) {
	subject, err := wire.ServiceSubject(req.Provider, req.Service)
	if err != nil {
		return nil, err
	}
	ctx, done, err := r.watch(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	msg := nats.NewMsg(subject)
	msg.Data = req.Payload
	setHeaders(ctx, msg.Header, req)
	reply, err := r.nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrConnectionLost) {
			return nil, ErrConnectionLost
		}
		return nil, requestError(ctx, err)
	}
	if code := reply.Header.Get(micro.ErrorCodeHeader); code != "" {
		return nil, &ProviderError{Provider: req.Provider, Code: parseCode(code), Message: reply.Header.Get(micro.ErrorHeader)}
	}
	return &Response{PayloadType: reply.Header.Get(wire.HeaderPayloadType), Payload: reply.Data}, nil
}

func setHeaders(ctx context.Context, h nats.Header, req *Request) {
	m := req.Meta
	m.Deadline, _ = ctx.Deadline()
	m.SetHeader(h)
}

// watch derives a context of ctx that is cancelled with ErrConnectionLost
// when the link's connection is lost; done releases it.
func (r *Router) watch(ctx context.Context) (context.Context, func(), error) {
	if r.link == nil {
		return ctx, func() {}, nil
	}
	return connwatch.Within(ctx, r.link.Context(), ErrConnectionLost)
}

// requestError maps a failed request's error; ctx is the request's.
func requestError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrNoNode
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return ErrTimeout
	case errors.Is(err, context.Canceled):
		if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineSlack {
			return ErrTimeout // the caller's deadline passed: see deadlineSlack
		}
		return ErrCanceled
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return fmt.Errorf("route: %w", err)
}

// parseCode reads a gRPC code number; anything else is UNKNOWN (2).
func parseCode(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || n > 16 {
		return 2
	}
	return uint32(n)
}
