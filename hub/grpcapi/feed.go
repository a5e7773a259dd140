package grpcapi

import (
	"context"
	"errors"
	"io"

	"github.com/ndxp/ndxp/hub"
)

// feed is an open subscription or inbox, as a stream serves it.
type feed[T any] interface {
	// Next waits for the next item; only ctx's end or Close interrupts it.
	Next(ctx context.Context) (T, error)
	Close()
}

// pump serves one stream from f, which it closes: it sends f's items with
// send while acks reads and applies the client's acknowledgements, until
// the client closes its side (nil), the server or the hub shuts down
// (hub.ErrShuttingDown), or acks (which returns only on an error), Next
// or send fails. ctx is the stream's. A feed never finishes by itself.
func pump[T any](ctx context.Context, e *edge, f feed[T], acks func(context.Context) error, send func(T) error) error {
	defer f.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-e.h.Done():
			cancel(hub.ErrShuttingDown)
		case <-e.watches.done():
			cancel(hub.ErrShuttingDown)
		case <-ctx.Done():
		}
	}()
	go func() { cancel(acks(ctx)) }()
	// Next waits in the consumer, which only closing the feed interrupts.
	stopNext := context.AfterFunc(ctx, f.Close)
	defer stopNext()
	for {
		item, err := f.Next(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				if errors.Is(cause, io.EOF) {
					return nil // the client closed its side: done
				}
				return cause
			}
			return err
		}
		if err := send(item); err != nil {
			return err
		}
	}
}
