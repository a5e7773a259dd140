package hub

import (
	"context"
	"errors"
	"io"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// eventPath is the hub's publish/subscribe path: the events service and
// the context its subscriptions end with when the hub closes.
type eventPath struct {
	svc  *events.Service
	ctx  context.Context
	stop context.CancelFunc
}

func openEvents(ctx context.Context, js jetstream.JetStream, h *Hub) (*eventPath, error) {
	svc, err := events.Open(ctx, js, h.cfg.Events, events.Deps{
		Recorder: deliveryRecorder{h}, Authorize: h.stillGranted, HubID: h.cfg.ID,
		Agencies: func() []*hubv1.Agency { return h.reg.List(hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED) },
	}, h.log.Named("events"))
	if err != nil {
		return nil, err
	}
	ectx, stop := context.WithCancel(context.Background())
	return &eventPath{svc: svc, ctx: ectx, stop: stop}, nil
}

type eventServer struct {
	hubv1.UnimplementedEventServiceServer
	h *Hub
}

func (s *eventServer) ListEventTypes(context.Context, *hubv1.ListEventTypesRequest) (*hubv1.ListEventTypesResponse, error) {
	return &hubv1.ListEventTypesResponse{Types: s.h.events.svc.Types()}, nil
}

func (s *eventServer) Publish(ctx context.Context, req *hubv1.PublishRequest) (*hubv1.PublishResponse, error) {
	resp, err := s.h.Publish(ctx, req)
	return resp, toStatus(err)
}

// Publish is the core of every ingress (gRPC, REST): the publisher, its
// limits, then the stream.
func (h *Hub) Publish(ctx context.Context, req *hubv1.PublishRequest) (*hubv1.PublishResponse, error) {
	publisher, err := h.consumer(ctx, req.GetPublisher())
	if err != nil {
		return nil, err
	}
	if err := h.admitPublish(ctx, publisher, req); err != nil {
		return nil, err
	}
	return h.events.svc.Publish(ctx, publisher, req)
}

func (s *eventServer) Subscribe(stream hubv1.EventService_SubscribeServer) error {
	return toStatus(s.h.subscribe(stream))
}

// subscribe serves one subscription: the first request opens it, the
// others acknowledge events; it ends when the client closes its side, the
// hub closes, or the grant is revoked.
func (h *Hub) subscribe(stream hubv1.EventService_SubscribeServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	open := first.GetOpen()
	if open == nil {
		return field.Errorf("open", "must be the first request of a subscription")
	}
	subscriber, err := h.consumer(stream.Context(), open.GetSubscriber())
	if err != nil {
		return err
	}
	sub, err := h.events.svc.Subscribe(stream.Context(), subscriber, open.GetType(), int(open.GetWindow()))
	if err != nil {
		return err
	}
	defer sub.Close()
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	// The server's shutdown (watches) and the hub's Close end it: a
	// subscription never finishes by itself.
	stopOnHubClose := context.AfterFunc(h.events.ctx, func() { cancel(ErrShuttingDown) })
	defer stopOnHubClose()
	go func() {
		select {
		case <-h.watches.done():
			cancel(ErrShuttingDown)
		case <-ctx.Done():
		}
	}()
	go h.acks(stream, sub, cancel)
	// Next waits in the consumer, which only closing the subscription
	// interrupts.
	stopNext := context.AfterFunc(ctx, sub.Close)
	defer stopNext()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				if errors.Is(cause, io.EOF) {
					return nil // the subscriber closed its side: done
				}
				return cause
			}
			return err
		}
		if err := stream.Send(&hubv1.SubscribeResponse{Event: ev}); err != nil {
			return err
		}
	}
}

// acks applies the subscriber's acknowledgements until its side ends.
func (h *Hub) acks(stream hubv1.EventService_SubscribeServer, sub *events.Subscription, cancel context.CancelCauseFunc) {
	for {
		req, err := stream.Recv()
		if err != nil {
			cancel(err)
			return
		}
		ack := req.GetAck()
		if ack == nil {
			cancel(field.Errorf("ack", "is required after the first request"))
			return
		}
		if err := sub.Ack(ack.GetSequence()); err != nil {
			h.log.Debug("event not acknowledged", zap.Uint64("sequence", ack.GetSequence()), zap.Error(err))
			cancel(err)
			return
		}
	}
}
