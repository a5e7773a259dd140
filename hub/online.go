package hub

import (
	"context"
	"errors"

	"github.com/ndxp/ndxp/internal/connwatch"
)

// ErrNATSLost: the hub has lost its NATS connection, so what needs NATS
// (stored deliveries, documents and events, the records, grants and the
// registry) cannot be served until it is back.
var ErrNATSLost = errors.New("hub: this hub lost its NATS connection; retry once it is back (its /readyz answers 200 again)")

// onNATS runs f, whose work needs NATS, with a context that also ends
// when the hub loses its NATS connection, and fails at once with
// ErrNATSLost while the connection is down: a caller learns UNAVAILABLE
// then, as an exchange does (route), rather than waiting for its deadline
// on a connection that only buffers requests until it reconnects.
func onNATS[T any](h *Hub, ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	var zero T
	ctx, release, err := connwatch.Within(ctx, h.link.Context(), ErrNATSLost)
	if err != nil {
		return zero, err
	}
	defer release()
	v, err := f(ctx)
	if err != nil && errors.Is(context.Cause(ctx), ErrNATSLost) {
		return zero, ErrNATSLost
	}
	return v, err
}

// doOnNATS is onNATS for work that returns only an error.
func (h *Hub) doOnNATS(ctx context.Context, f func(context.Context) error) error {
	_, err := onNATS(h, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}
