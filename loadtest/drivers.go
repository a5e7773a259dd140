package loadtest

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// unary runs Concurrency workers, spread over the connections, each
// making one Exchange call at a time, until jobs is closed. Calls do not
// take the run's context: an interrupt lets them finish.
func (r *runner) unary(jobs <-chan job) {
	var wg sync.WaitGroup
	for i := range r.cfg.Concurrency {
		client := hubv1.NewExchangeServiceClient(r.conns[i%len(r.conns)])
		rng := r.workerRand(i)
		wg.Go(func() {
			for j := range jobs {
				r.unaryOne(client, j, rng)
			}
		})
	}
	wg.Wait()
}

func (r *runner) unaryOne(client hubv1.ExchangeServiceClient, j job, rng *rand.Rand) {
	req, err := r.request(j, rng)
	if err != nil {
		r.log.Error("build a request", zap.Error(err))
		return
	}
	from := origin(j)
	r.col.sent(j)
	code, pending, retries := r.exchangeUntilRecorded(client, req)
	now := time.Now()
	r.results <- result{svc: j.svc, day: j.day, nested: j.nested, code: code, pending: pending, retries: retries, latency: now.Sub(from), done: now}
}

// inFlight is a transaction in flight on a stream.
type inFlight struct {
	j    job
	req  *hubv1.ExchangeRequest
	from time.Time
}

// stream pipelines jobs on one ExchangeStream per connection, each with
// Concurrency/connections transactions in flight at most, until jobs is
// closed and every answer is in.
func (r *runner) stream(jobs <-chan job) {
	window := max(r.cfg.Concurrency/len(r.conns), 1)
	var wg sync.WaitGroup
	for i, conn := range r.conns {
		client := hubv1.NewExchangeServiceClient(conn)
		rng := r.workerRand(i)
		wg.Go(func() { r.streamOne(client, jobs, window, rng) })
	}
	wg.Wait()
}

func (r *runner) streamOne(client hubv1.ExchangeServiceClient, jobs <-chan job, window int, rng *rand.Rand) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := client.ExchangeStream(ctx)
	if err != nil {
		r.log.Error("open an exchange stream", zap.Error(err))
		return
	}
	var (
		mu     sync.Mutex
		flight = make(map[string]inFlight, window)
		slots  = make(chan struct{}, window)
		recvd  = make(chan struct{})
	)
	go func() {
		defer close(recvd)
		r.receive(client, st, &mu, flight, slots)
	}()
	for j := range jobs {
		req, err := r.request(j, rng)
		if err != nil {
			r.log.Error("build a request", zap.Error(err))
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-recvd: // the stream broke: leave the rest to other streams
			return
		}
		mu.Lock()
		flight[req.GetMessageId()] = inFlight{j: j, req: req, from: origin(j)}
		mu.Unlock()
		r.col.sent(j)
		if err := st.Send(&hubv1.ExchangeStreamRequest{Request: req}); err != nil {
			break // Recv reports the stream's error and fails what is in flight
		}
	}
	_ = st.CloseSend()
	select {
	case <-recvd:
	case <-time.After(r.cfg.Timeout):
		cancel()
		<-recvd
	}
}

// receive matches results to the transactions in flight until the stream
// ends; whatever is still in flight then has failed with the stream's
// error. A transaction whose record is pending is retried by unary calls
// (see exchangeUntilRecorded) outside the stream's window.
func (r *runner) receive(client hubv1.ExchangeServiceClient, st interface {
	Recv() (*hubv1.ExchangeStreamResponse, error)
}, mu *sync.Mutex, flight map[string]inFlight, slots <-chan struct{}) {
	for {
		resp, err := st.Recv()
		now := time.Now()
		if err != nil {
			code := status.Code(err)
			if errors.Is(err, io.EOF) {
				code = codes.Unknown
			}
			mu.Lock()
			for id, p := range flight {
				r.results <- result{svc: p.j.svc, day: p.j.day, nested: p.j.nested, code: code, latency: now.Sub(p.from), done: now}
				delete(flight, id)
			}
			mu.Unlock()
			if !errors.Is(err, io.EOF) {
				r.log.Warn("exchange stream ended", zap.Error(err))
			}
			return
		}
		mu.Lock()
		p, ok := flight[resp.GetMessageId()]
		delete(flight, resp.GetMessageId())
		mu.Unlock()
		if !ok {
			r.log.Warn("answer to an unknown message id", zap.String("msg_id", resp.GetMessageId()))
			continue
		}
		<-slots
		code := codes.Code(resp.GetError().GetCode())
		if recordPending(code, resp.GetError().GetMessage()) {
			r.retries.Go(func() {
				code, pending, retries := r.exchangeUntilRecorded(client, p.req)
				now := time.Now()
				r.results <- result{svc: p.j.svc, day: p.j.day, nested: p.j.nested, code: code, pending: pending, retries: retries + 1, latency: now.Sub(p.from), done: now}
			})
			continue
		}
		r.results <- result{svc: p.j.svc, day: p.j.day, nested: p.j.nested, code: code, latency: now.Sub(p.from), done: now}
	}
}
