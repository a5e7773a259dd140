package node

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// EventHandler handles one event of a subscription (see OnEvent).
// Returning nil acknowledges it, and the hub records the delivery; an error
// leaves it unacknowledged: the subscription is reopened and the event
// comes again, so a handler should treat Event.EventId as an idempotency
// key.
type EventHandler func(ctx context.Context, ev *hubv1.Event) error

// eventSub is one subscription of the node: an event type and its
// handler, or (typ inboxSub) the document inbox and doc.
type eventSub struct {
	typ string
	h   EventHandler
	doc DocumentHandler
}

// subscribeWait bounds the pause before a subscription is reopened.
const (
	subscribeWaitMin = 100 * time.Millisecond
	subscribeWaitMax = 5 * time.Second
)

// OnEvent subscribes the node's agency to events of eventType, which the
// publisher must have granted it. From Start until Stop, each event is
// handed to h, one at a time, in order; the subscription is reopened,
// with backoff, whenever it ends (the hub restarting, a grant not given
// yet). Like Handle, it must be called before Start; a node started
// without a hub opens no subscription (and logs it).
func (n *Node) OnEvent(eventType string, h EventHandler) {
	n.events = append(n.events, eventSub{typ: eventType, h: h})
}

// listen keeps one subscription open until the node stops.
func (n *Node) listen(s eventSub) {
	defer n.evWG.Done()
	wait := subscribeWaitMin
	for {
		got, err := n.subscribeOnce(s)
		if n.ctx.Err() != nil {
			return
		}
		if got {
			wait = subscribeWaitMin
		}
		n.log.Debug("event subscription ended; reopening", zap.String("type", s.typ), zap.Duration("in", wait), zap.Error(err))
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, subscribeWaitMax)
	}
}

// subscribeOnce runs one subscription stream until it ends; got reports
// whether it delivered anything.
func (n *Node) subscribeOnce(s eventSub) (got bool, err error) {
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	if s.doc != nil {
		return n.receiveOnce(ctx, s.doc)
	}
	stream, err := hubv1.NewEventServiceClient(n.hubConn).Subscribe(ctx)
	if err != nil {
		return false, err
	}
	open := &hubv1.SubscribeOpen{Subscriber: n.cfg.Agency.GetCode(), Type: s.typ}
	if err := stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Open{Open: open}}); err != nil {
		return false, err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return got, err
		}
		got = true
		ev := resp.GetEvent()
		if err := s.h(ctx, ev); err != nil {
			return got, fmt.Errorf("event %s %s not handled: %w", ev.GetType(), ev.GetEventId(), err)
		}
		ack := &hubv1.EventAck{Sequence: ev.GetSequence()}
		if err := stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Ack{Ack: ack}}); err != nil {
			return got, err
		}
	}
}

// Publish publishes an event of eventType as the client's agency (its
// declared publisher) and returns once the hub stored it; the same
// eventID published again is stored once. occurred zero means now.
func (c *Client) Publish(ctx context.Context, eventType, eventID string, payload proto.Message, occurred time.Time) error {
	p, err := anypb.New(payload)
	if err != nil {
		return fmt.Errorf("node: encode %s event: %w", eventType, err)
	}
	req := &hubv1.PublishRequest{EventId: eventID, Publisher: c.consumer, Type: eventType, Payload: p}
	if !occurred.IsZero() {
		req.OccurredAt = timestamppb.New(occurred)
	}
	if _, err := hubv1.NewEventServiceClient(c.conn).Publish(ctx, req); err != nil {
		return asError(err, c.consumer, eventType)
	}
	return nil
}

// asError is a gRPC failure of what agency did with what as an *Error
// with its code.
func asError(err error, agency, what string) error {
	s := status.Convert(err)
	return &Error{Code: s.Code(), Message: fmt.Sprintf("%s, %s: %s", agency, what, s.Message())}
}

// LocalRequest is a request to one of the agency's own services, made by
// the agency itself (e.g. a reaction to an event that does what the
// service does); msgID identifies it for the handler.
func LocalRequest(agency, service, msgID string, m proto.Message) (*Request, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &Request{
		MessageID: msgID, Consumer: agency, Provider: agency, Service: service, BusinessTime: time.Now(),
		PayloadType: wire.TypeURLPrefix + string(m.ProtoReflect().Descriptor().FullName()), Payload: b,
	}, nil
}
