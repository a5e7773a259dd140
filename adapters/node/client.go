package node

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ErrNoHub is returned by Client calls of a node started without a hub.
var ErrNoHub = errors.New("node: no hub connection (Config.Hub or HubConn is empty)")

// Call names one exchange a node makes as consumer.
type Call struct {
	// Provider and Service are the target (required).
	Provider string
	Service  string
	// MessageID identifies the transaction; a retry must reuse it so the
	// hub counts it once. Empty: the hub assigns one.
	MessageID string
	// Purpose and UserID are required by services returning personal data.
	Purpose string
	UserID  string
}

// Client makes exchanges through the hub's ExchangeService with a fixed
// consumer agency. It is safe for concurrent use.
type Client struct {
	consumer string
	conn     grpc.ClientConnInterface
}

// NewClient returns a client calling through conn as consumer.
func NewClient(conn grpc.ClientConnInterface, consumer string) *Client {
	return &Client{consumer: consumer, conn: conn}
}

// Client returns a client calling as this node's agency; it works once the
// node has started with a hub.
func (n *Node) Client() *Client {
	return &Client{consumer: n.cfg.Agency.GetCode(), conn: hubConn{n}}
}

// Exchange sends req to c.Provider's c.Service through the hub and
// decodes the answer into resp. Made with the ctx of a handler, it is a
// nested exchange: it carries the served exchange's context token, and
// the hub counts it at that exchange's business time (see Request). It returns the message id the hub
// counted. A failure is an *Error with the gRPC code the hub or the
// provider returned, so a handler may return it as is to pass it on.
func (c *Client) Exchange(ctx context.Context, call Call, req, resp proto.Message) (string, error) {
	payload, err := anypb.New(req)
	if err != nil {
		return "", fmt.Errorf("node: encode %s request: %w", call.Service, err)
	}
	xreq := &hubv1.ExchangeRequest{
		MessageId: call.MessageID, Consumer: c.consumer, Provider: call.Provider, Service: call.Service,
		Payload: payload, Purpose: call.Purpose, UserId: call.UserID,
	}
	inherit(ctx, xreq)
	out, err := hubv1.NewExchangeServiceClient(c.conn).Exchange(ctx, xreq)
	if err != nil {
		s := status.Convert(err)
		return call.MessageID, &Error{Code: s.Code(), Message: fmt.Sprintf("%s %s: %s", call.Provider, call.Service, s.Message())}
	}
	if err := out.GetPayload().UnmarshalTo(resp); err != nil {
		return out.GetMessageId(), Errorf(codes.Internal, "%s %s: unexpected answer: %v", call.Provider, call.Service, err)
	}
	return out.GetMessageId(), nil
}

// hubConn resolves the node's hub connection at call time, so that Client
// may be taken before Start.
type hubConn struct{ n *Node }

// Invoke implements grpc.ClientConnInterface.
func (h hubConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if h.n.hubConn == nil {
		return ErrNoHub
	}
	return h.n.hubConn.Invoke(ctx, method, args, reply, opts...)
}

// NewStream implements grpc.ClientConnInterface.
func (h hubConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if h.n.hubConn == nil {
		return nil, ErrNoHub
	}
	return h.n.hubConn.NewStream(ctx, desc, method, opts...)
}
