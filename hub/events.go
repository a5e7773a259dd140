package hub

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ndxp/ndxp/hub/events"
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

// EventTypes lists the event types the hub carries.
func (h *Hub) EventTypes() []*hubv1.EventType { return h.events.svc.Types() }

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
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.PublishResponse, error) {
		return h.events.svc.Publish(ctx, publisher, req)
	})
}

// Subscribe opens a subscription to open's event type for open's
// subscriber (the caller's own agency when it has a certificate), with at
// most open's window of events unacknowledged. The caller closes it; a
// subscription never finishes by itself: Done tells when the hub closes.
func (h *Hub) Subscribe(ctx context.Context, open *hubv1.SubscribeOpen) (*events.Subscription, error) {
	subscriber, err := h.consumer(ctx, open.GetSubscriber())
	if err != nil {
		return nil, err
	}
	return h.events.svc.Subscribe(ctx, subscriber, open.GetType(), int(open.GetWindow()))
}

// Done is closed when Close begins: the streams an edge serves from
// subscriptions and inboxes end then (ErrShuttingDown).
func (h *Hub) Done() <-chan struct{} { return h.events.ctx.Done() }

// FetchEvents hands out up to max of the named subscriber's (the caller's
// own agency when it has a certificate) events of eventType, waiting up to
// wait for the first, each with the token that acknowledges it: a
// subscription without a stream, for the REST ingress (events.Fetch).
func (h *Hub) FetchEvents(ctx context.Context, named, eventType string, max int, wait time.Duration) ([]events.Fetched, error) {
	subscriber, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) ([]events.Fetched, error) {
		return h.events.svc.Fetch(ctx, subscriber, eventType, max, wait)
	})
}

// AckEvent records and acknowledges the delivery of the event a token of
// FetchEvents names, to the named subscriber (events.AckFetched).
func (h *Hub) AckEvent(ctx context.Context, named, eventType, token string) (*hubv1.Event, error) {
	subscriber, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.Event, error) {
		return h.events.svc.AckFetched(ctx, subscriber, eventType, token)
	})
}
