package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/internal/wire"
)

// Request is one exchange as the provider sees it.
type Request struct {
	MessageID    string
	Consumer     string
	Provider     string
	Service      string
	Purpose      string
	UserID       string
	BusinessTime time.Time
	// ContextToken is the hub's context token for this exchange (see
	// hub/callctx). The handler's ctx carries it, with BusinessTime, so
	// that the exchanges a handler makes through a Client with that ctx
	// are counted at this business time and name this exchange as their
	// parent.
	ContextToken string
	// PayloadType is the payload's type URL, empty if the consumer sent none.
	PayloadType string
	// Payload is the request body as the consumer sent it.
	Payload []byte
}

// Decode unmarshals the payload into m. It fails with INVALID_ARGUMENT if
// the payload is of another type or is not valid protobuf.
func (r *Request) Decode(m proto.Message) error {
	want := string(m.ProtoReflect().Descriptor().FullName())
	if got := strings.TrimPrefix(r.PayloadType, wire.TypeURLPrefix); r.PayloadType != "" && got != want {
		return Errorf(codes.InvalidArgument, "invalid payload: service %s takes %s, got %s", r.Service, want, got)
	}
	if err := proto.Unmarshal(r.Payload, m); err != nil {
		return Errorf(codes.InvalidArgument, "invalid payload: not a valid %s: %v", want, err)
	}
	return nil
}

// Error is an error a provider returns to the consumer with a gRPC code.
type Error struct {
	Code    codes.Code
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code codes.Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (n *Node) dispatch(e endpoint) micro.HandlerFunc {
	return func(mr micro.Request) {
		n.mu.RLock()
		if n.closing {
			n.mu.RUnlock()
			_ = mr.Error(strconv.Itoa(int(codes.Unavailable)), "node is stopping", nil)
			return
		}
		n.wg.Add(1)
		n.mu.RUnlock()
		select {
		case n.slots <- struct{}{}:
		case <-n.ctx.Done():
			n.wg.Done()
			_ = mr.Error(strconv.Itoa(int(codes.Unavailable)), "node is stopping", nil)
			return
		}
		go func() {
			defer func() { <-n.slots; n.wg.Done() }()
			n.handle(e, mr)
		}()
	}
}

func (n *Node) handle(e endpoint, mr micro.Request) {
	h := mr.Headers()
	req := &Request{
		MessageID: h.Get(wire.HeaderMsgID), Consumer: h.Get(wire.HeaderConsumer), Provider: h.Get(wire.HeaderProvider),
		Service: e.svc.GetCode(), Purpose: h.Get(wire.HeaderPurpose), UserID: h.Get(wire.HeaderUserID),
		PayloadType: h.Get(wire.HeaderPayloadType), Payload: mr.Data(),
	}
	req.BusinessTime, _ = time.Parse(time.RFC3339Nano, h.Get(wire.HeaderBusinessTime))
	req.ContextToken = h.Get(wire.HeaderContext)
	ctx := withParent(n.ctx, req)
	if d, err := time.Parse(time.RFC3339Nano, h.Get(wire.HeaderDeadline)); err == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	resp, err := n.call(ctx, e.h, req)
	if err == nil {
		err = n.respond(mr, resp)
	}
	if err != nil {
		n.stats.errors.Add(1)
		n.fail(mr, req, err)
	}
}

// call runs a handler, turning a panic into an INTERNAL error so that one
// bad request cannot take the node down.
func (n *Node) call(ctx context.Context, h Handler, req *Request) (resp proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error("handler panicked", zap.String("service", req.Service), zap.Any("panic", p))
			err = Errorf(codes.Internal, "%s: internal error", req.Service)
		}
	}()
	return h(ctx, req)
}

func (n *Node) respond(mr micro.Request, resp proto.Message) error {
	b, err := proto.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	typ := wire.TypeURLPrefix + string(resp.ProtoReflect().Descriptor().FullName())
	return n.reply(mr, &nats.Msg{Data: b, Header: nats.Header{wire.HeaderPayloadType: []string{typ}}})
}

func (n *Node) fail(mr micro.Request, req *Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded):
		e = &Error{Code: codes.DeadlineExceeded, Message: req.Service + ": the deadline passed before the answer was ready"}
	case errors.Is(err, context.Canceled):
		e = &Error{Code: codes.Unavailable, Message: req.Service + ": the node is stopping"}
	default:
		n.log.Warn("handler failed", zap.String("service", req.Service), zap.String("msg_id", req.MessageID), zap.Error(err))
		e = &Error{Code: codes.Internal, Message: err.Error()}
	}
	if rerr := n.reply(mr, &nats.Msg{Header: nats.Header{
		micro.ErrorHeader: []string{e.Message}, micro.ErrorCodeHeader: []string{strconv.Itoa(int(e.Code))},
	}}); rerr != nil {
		n.log.Debug("reply failed", zap.Error(rerr))
	}
}

// reply publishes the answer to mr. Handlers run on their own goroutines,
// after micro's handler has returned, so they must not answer through
// mr.Respond or mr.Error: those record the outcome in the request, which
// micro reads concurrently for its stats (a data race). The node counts
// its errors itself (stats below).
func (n *Node) reply(mr micro.Request, m *nats.Msg) error {
	m.Subject = mr.Reply()
	if m.Subject == "" {
		return errors.New("node: request has no reply subject")
	}
	return n.nc.PublishMsg(m)
}

// stats adds the node's own figures to the micro STATS response.
type stats struct {
	errors atomic.Int64
}

func (s *stats) handler(*micro.Endpoint) any {
	return map[string]int64{"errors": s.errors.Load()}
}

// TypeName is the full protobuf name of m's type, as Service.RequestType
// and ResponseType want it.
func TypeName(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }
