// Package httpbackend serves an agency's services from its own HTTP
// backend, so that a system written in any language joins the hub without
// Go: each request the hub routes to the agency is POSTed as JSON (the
// service's request message in protobuf JSON form) to {backend}/{service},
// and the backend's answer is mapped back:
//
//	2xx, a JSON body          the response message (checked against the
//	                          service's response type: a wrong shape is an
//	                          error naming the field)
//	4xx/5xx, {"code","message"} that gRPC code (a name such as "NOT_FOUND"
//	                          or a number), else the code of the HTTP status
//	no answer in time         DEADLINE_EXCEEDED; unreachable: UNAVAILABLE
//
// The request carries the exchange's metadata in headers: Ndxp-Message-Id,
// Ndxp-Consumer, Ndxp-Purpose, Ndxp-User-Id, Ndxp-Business-Time and
// Ndxp-Deadline (RFC 3339).
package httpbackend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultMaxAnswer is the largest answer read from a backend, in bytes.
const DefaultMaxAnswer = 8 << 20

// Config configures a Backend. The zero value of each field means its
// default.
type Config struct {
	// Client makes the requests (default: a client with no timeout of its
	// own: each request ends at the exchange's deadline).
	Client *http.Client
	// Types resolves the services' message names (default
	// protoregistry.GlobalTypes).
	Types *protoregistry.Types
	// MaxAnswer is the largest answer read (default DefaultMaxAnswer).
	MaxAnswer int64
}

// Backend is a node.Service: the agency's registration, its services
// served by the HTTP backend. It is safe for concurrent use.
type Backend struct {
	agency *hubv1.Agency
	base   string
	cfg    Config
}

// New returns the agency whose services base serves. Every service must
// name request and response types the process knows (cfg.Types).
func New(agency *hubv1.Agency, base string, cfg Config) (*Backend, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpbackend: backend %q of %s: want an http:// or https:// URL such as http://127.0.0.1:8000", base, agency.GetCode())
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Types == nil {
		cfg.Types = protoregistry.GlobalTypes
	}
	if cfg.MaxAnswer == 0 {
		cfg.MaxAnswer = DefaultMaxAnswer
	}
	for _, s := range agency.GetServices() {
		for _, name := range []string{s.GetRequestType(), s.GetResponseType()} {
			if _, err := cfg.Types.FindMessageByName(protoreflect.FullName(name)); err != nil {
				return nil, fmt.Errorf("httpbackend: service %s of %s: type %q is not known to this binary", s.GetCode(), agency.GetCode(), name)
			}
		}
	}
	return &Backend{agency: agency, base: strings.TrimSuffix(base, "/"), cfg: cfg}, nil
}

// Agency implements node.Service: the registration without services (they
// come from Install).
func (b *Backend) Agency() *hubv1.Agency {
	a := proto.CloneOf(b.agency)
	a.Services = nil
	return a
}

// Install implements node.Service: one handler per service, each calling
// the backend.
func (b *Backend) Install(n *node.Node) {
	for _, s := range b.agency.GetServices() {
		n.Handle(s, b.handler(s))
	}
}

func (b *Backend) handler(svc *hubv1.Service) node.Handler {
	reqType, _ := b.cfg.Types.FindMessageByName(protoreflect.FullName(svc.GetRequestType()))
	respType, _ := b.cfg.Types.FindMessageByName(protoreflect.FullName(svc.GetResponseType()))
	return func(ctx context.Context, req *node.Request) (proto.Message, error) {
		in := reqType.New().Interface()
		if err := req.Decode(in); err != nil {
			return nil, err
		}
		body, err := protojson.Marshal(in)
		if err != nil {
			return nil, node.Errorf(codes.Internal, "httpbackend: %v", err)
		}
		status, answer, err := b.post(ctx, svc.GetCode(), req, body)
		if err != nil {
			return nil, err
		}
		if status/100 != 2 {
			return nil, backendError(status, answer)
		}
		out := respType.New().Interface()
		if err := (protojson.UnmarshalOptions{Resolver: b.cfg.Types}).Unmarshal(answer, out); err != nil {
			return nil, node.Errorf(codes.Internal, "httpbackend: the backend of %s answered %s/%s with a body that is not a %s: %v",
				req.Provider, req.Provider, svc.GetCode(), svc.GetResponseType(), err)
		}
		return out, nil
	}
}

// post sends body to the service's URL and returns the answer's status
// and body.
func (b *Backend) post(ctx context.Context, service string, req *node.Request, body []byte) (int, []byte, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/"+service, bytes.NewReader(body))
	if err != nil {
		return 0, nil, node.Errorf(codes.Internal, "httpbackend: %v", err)
	}
	h := hr.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set(wire.HTTPHeaderMessageID, req.MessageID)
	h.Set(wire.HeaderConsumer, req.Consumer)
	h.Set(wire.HeaderPurpose, req.Purpose)
	h.Set(wire.HeaderUserID, req.UserID)
	if !req.BusinessTime.IsZero() {
		h.Set(wire.HeaderBusinessTime, req.BusinessTime.Format(time.RFC3339Nano))
	}
	if d, ok := ctx.Deadline(); ok {
		h.Set(wire.HeaderDeadline, d.UTC().Format(time.RFC3339Nano))
	}
	resp, err := b.cfg.Client.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return 0, nil, node.Errorf(codes.DeadlineExceeded, "httpbackend: the backend did not answer %s in time", service)
		}
		return 0, nil, node.Errorf(codes.Unavailable, "httpbackend: the backend is unreachable: %v", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, b.cfg.MaxAnswer+1))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, node.Errorf(codes.DeadlineExceeded, "httpbackend: the backend did not answer %s in time", service)
		}
		return 0, nil, node.Errorf(codes.Unavailable, "httpbackend: reading the backend's answer: %v", err)
	}
	if int64(len(answer)) > b.cfg.MaxAnswer {
		return 0, nil, node.Errorf(codes.ResourceExhausted, "httpbackend: the backend's answer exceeds %d bytes", b.cfg.MaxAnswer)
	}
	return resp.StatusCode, answer, nil
}

// backendError is the error a backend's non-2xx answer stands for.
func backendError(status int, answer []byte) error {
	var e struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	code := wire.CodeOfHTTPStatus(status)
	msg := strings.TrimSpace(string(answer))
	if json.Unmarshal(answer, &e) == nil && e.Message != "" {
		msg = e.Message
		if c, ok := parseCode(e.Code); ok {
			code = c
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	return node.Errorf(code, "%s", msg)
}

// parseCode reads a gRPC code as a name ("NOT_FOUND") or a number (5).
func parseCode(raw json.RawMessage) (codes.Code, bool) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		var c codes.Code
		if err := c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(name)))); err == nil {
			return c, true
		}
		return 0, false
	}
	var n uint32
	if json.Unmarshal(raw, &n) == nil && n <= uint32(codes.Unauthenticated) && n > 0 {
		return codes.Code(n), true
	}
	return 0, false
}
