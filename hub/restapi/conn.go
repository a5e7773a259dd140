package restapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// exchangeMethod is the gRPC method Conn carries over REST.
const exchangeMethod = "/ndxp.hub.v1.ExchangeService/Exchange"

// Conn is a grpc.ClientConnInterface that makes ExchangeService.Exchange
// calls through the REST ingress at a base URL (JSON bodies, Ndxp-*
// headers) and every other call through a gRPC connection. It lets gRPC
// tools, such as the load-test runner, drive the REST path unchanged, to
// measure it side by side with gRPC. It is safe for concurrent use.
type Conn struct {
	base   string
	client *http.Client
	grpc   grpc.ClientConnInterface
	types  *protoregistry.Types
}

// NewConn returns a Conn for the ingress at base (e.g.
// "https://127.0.0.1:8443"), with tlsCfg for HTTPS (nil: plain HTTP or the
// system's roots) and other for every other call.
func NewConn(base string, tlsCfg *tls.Config, other grpc.ClientConnInterface) *Conn {
	tr := &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute, ForceAttemptHTTP2: true}
	return &Conn{base: strings.TrimSuffix(base, "/"), client: &http.Client{Transport: tr}, grpc: other, types: protoregistry.GlobalTypes}
}

// Invoke implements grpc.ClientConnInterface.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	req, ok1 := args.(*hubv1.ExchangeRequest)
	resp, ok2 := reply.(*hubv1.ExchangeResponse)
	if method != exchangeMethod || !ok1 || !ok2 {
		return c.grpc.Invoke(ctx, method, args, reply, opts...)
	}
	return c.exchange(ctx, req, resp)
}

// NewStream implements grpc.ClientConnInterface: streams go over gRPC.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.grpc.NewStream(ctx, desc, method, opts...)
}

func (c *Conn) exchange(ctx context.Context, req *hubv1.ExchangeRequest, out *hubv1.ExchangeResponse) error {
	body, err := c.body(req.GetPayload())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/r1/"+req.GetProvider()+"/"+req.GetService(), bytes.NewReader(body))
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	setHeaders(ctx, hr.Header, req)
	resp, err := c.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return status.Error(codes.Unavailable, err.Error())
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return status.Error(codes.Unavailable, err.Error())
	}
	if resp.StatusCode != http.StatusOK {
		return statusOf(resp.StatusCode, answer)
	}
	return c.answer(resp.Header, answer, out)
}

func setHeaders(ctx context.Context, h http.Header, req *hubv1.ExchangeRequest) {
	h.Set("Content-Type", "application/json")
	for k, v := range map[string]string{
		wire.HTTPHeaderMessageID: req.GetMessageId(), wire.HeaderConsumer: req.GetConsumer(),
		wire.HeaderPurpose: req.GetPurpose(), wire.HeaderUserID: req.GetUserId(),
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	if req.GetBusinessTime() != nil {
		h.Set(wire.HeaderBusinessTime, req.GetBusinessTime().AsTime().Format(time.RFC3339Nano))
	}
	if d, ok := ctx.Deadline(); ok {
		h.Set(wire.HTTPHeaderTimeout, time.Until(d).Round(time.Millisecond).String())
	}
}

// body is the payload as the JSON of its message.
func (c *Conn) body(p *anypb.Any) ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	m, err := p.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("restapi: payload: %w", err)
	}
	return protojson.Marshal(m)
}

// answer reads a 200 answer into out.
func (c *Conn) answer(h http.Header, body []byte, out *hubv1.ExchangeResponse) error {
	mt, err := c.types.FindMessageByName(protoreflect.FullName(h.Get(wire.HTTPHeaderResponseType)))
	if err != nil {
		return status.Errorf(codes.Internal, "restapi: answer of unknown type %q", h.Get(wire.HTTPHeaderResponseType))
	}
	m := mt.New().Interface()
	if err := (protojson.UnmarshalOptions{Resolver: c.types}).Unmarshal(body, m); err != nil {
		return status.Errorf(codes.Internal, "restapi: answer: %v", err)
	}
	v, err := proto.Marshal(m)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	out.MessageId = h.Get(wire.HTTPHeaderMessageID)
	out.BusinessDay = h.Get(wire.HTTPHeaderBusinessDay)
	out.Payload = &anypb.Any{TypeUrl: wire.TypeURLPrefix + string(m.ProtoReflect().Descriptor().FullName()), Value: v}
	return nil
}

// statusOf is the gRPC status of an error answer: its code name, else the
// HTTP status's.
func statusOf(httpStatus int, body []byte) error {
	var e Error
	if json.Unmarshal(body, &e) == nil {
		if c, ok := wire.CodeOf(e.Code); ok {
			return status.Error(codes.Code(c), e.Message)
		}
	}
	return status.Errorf(codes.Unknown, "restapi: HTTP %d: %s", httpStatus, bytes.TrimSpace(body))
}
