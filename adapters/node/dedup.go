package node

import (
	"context"
	"sync"

	"google.golang.org/protobuf/proto"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultDedupSize is how many answers Dedup remembers by default.
const DefaultDedupSize = 10_000

// Dedup returns a middleware that makes a service idempotent by message
// id: a request whose consumer and message id were answered successfully
// before gets the same answer again, without running the handler, so a
// consumer that lost an answer (a timeout) can retry with the same message
// id without doing the work twice. It remembers the last size answers
// (DefaultDedupSize if size <= 0) of all the services it wraps; failures
// are not remembered, so a retry after a failure runs again.
func Dedup(size int) Middleware {
	if size <= 0 {
		size = DefaultDedupSize
	}
	d := &dedup{size: size, answers: map[string]proto.Message{}}
	return func(svc *hubv1.Service, h Handler) Handler {
		return func(ctx context.Context, req *Request) (proto.Message, error) {
			if req.MessageID == "" {
				return h(ctx, req)
			}
			key := req.Consumer + "\x00" + svc.GetCode() + "\x00" + req.MessageID
			if resp, ok := d.get(key); ok {
				return resp, nil
			}
			resp, err := h(ctx, req)
			if err == nil {
				d.put(key, resp)
			}
			return resp, err
		}
	}
}

// dedup is a bounded map of answers, oldest evicted first.
type dedup struct {
	mu      sync.Mutex
	size    int
	answers map[string]proto.Message
	order   []string
}

func (d *dedup) get(key string) (proto.Message, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.answers[key]
	return m, ok
}

func (d *dedup) put(key string, m proto.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.answers[key]; ok {
		return
	}
	if len(d.order) >= d.size {
		delete(d.answers, d.order[0])
		d.order = d.order[1:]
	}
	d.answers[key] = m
	d.order = append(d.order, key)
}
