package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// dispatch hands each request of e to a goroutine of its own, at most
// MaxConcurrent at once, so a slow provider answers many requests in
// parallel; the answer is counted in the service's STATS when it is sent.
func (n *Node) dispatch(e endpoint) func(*serviceEndpoint, *nats.Msg) {
	return func(se *serviceEndpoint, m *nats.Msg) {
		start := time.Now()
		n.mu.RLock()
		if n.closing {
			n.mu.RUnlock()
			n.fail(se, m, start, e.svc.GetCode(), Errorf(codes.Unavailable, "node is stopping"))
			return
		}
		n.wg.Add(1)
		n.mu.RUnlock()
		select {
		case n.slots <- struct{}{}:
		case <-n.ctx.Done():
			n.wg.Done()
			n.fail(se, m, start, e.svc.GetCode(), Errorf(codes.Unavailable, "node is stopping"))
			return
		}
		go func() {
			defer func() { <-n.slots; n.wg.Done() }()
			n.handle(e, se, m, start)
		}()
	}
}

func (n *Node) handle(e endpoint, se *serviceEndpoint, m *nats.Msg, start time.Time) {
	meta := wire.MetaOf(m.Header)
	req := &Request{
		MessageID: meta.MessageID, Consumer: meta.Consumer, Provider: meta.Provider,
		Service: e.svc.GetCode(), Purpose: meta.Purpose, UserID: meta.UserID, BusinessTime: meta.BusinessTime,
		ContextToken: meta.Context, PayloadType: meta.PayloadType, Payload: m.Data,
	}
	ctx := withParent(n.ctx, req)
	if !meta.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, meta.Deadline)
		defer cancel()
	}
	resp, err := n.call(ctx, e.h, req)
	if err == nil {
		var out *nats.Msg
		if out, err = encode(resp); err == nil {
			if rerr := n.svc.answer(se, m, start, out); rerr != nil {
				n.log.Debug("reply failed", zap.Error(rerr))
			}
			return
		}
	}
	n.fail(se, m, start, req.Service, err)
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

// encode is the answer carrying resp.
func encode(resp proto.Message) (*nats.Msg, error) {
	b, err := proto.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	typ := wire.TypeURLPrefix + string(resp.ProtoReflect().Descriptor().FullName())
	return &nats.Msg{Data: b, Header: nats.Header{wire.HeaderPayloadType: []string{typ}}}, nil
}

// fail answers with err as a micro service error: the gRPC code in
// Nats-Service-Error-Code, the message in Nats-Service-Error.
func (n *Node) fail(se *serviceEndpoint, m *nats.Msg, start time.Time, service string, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded):
		e = &Error{Code: codes.DeadlineExceeded, Message: service + ": the deadline passed before the answer was ready"}
	case errors.Is(err, context.Canceled):
		e = &Error{Code: codes.Unavailable, Message: service + ": the node is stopping"}
	default:
		n.log.Warn("handler failed", zap.String("service", service), zap.String("msg_id", m.Header.Get(wire.HeaderMsgID)), zap.Error(err))
		e = &Error{Code: codes.Internal, Message: err.Error()}
	}
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	}
	if rerr := n.svc.answer(se, m, start, &nats.Msg{Header: nats.Header{
		micro.ErrorHeader: []string{msg}, micro.ErrorCodeHeader: []string{strconv.Itoa(int(e.Code))},
	}}); rerr != nil {
		n.log.Debug("reply failed", zap.Error(rerr))
	}
}

// TypeName is the full protobuf name of m's type, as Service.RequestType
// and ResponseType want it.
func TypeName(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }
