package grpcapi

import (
	"context"
	"errors"
	"io"
	"sync"

	"google.golang.org/grpc"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type exchangeServer struct {
	hubv1.UnimplementedExchangeServiceServer
	e *edge
}

func (s *exchangeServer) Exchange(ctx context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error) {
	resp, err := s.e.h.Exchange(ctx, req)
	return resp, toStatus(err)
}

// ExchangeStream handles requests concurrently, up to Config.StreamLimit
// in flight, and sends each result as soon as it is ready. When the client
// closes its side, the stream ends after the last result is sent.
func (s *exchangeServer) ExchangeStream(stream grpc.BidiStreamingServer[hubv1.ExchangeStreamRequest, hubv1.ExchangeStreamResponse]) error {
	slots := make(chan struct{}, s.e.h.Config().StreamLimit)
	var (
		wg      sync.WaitGroup
		sendMu  sync.Mutex
		sendErr error
	)
	send := func(r *hubv1.ExchangeStreamResponse) {
		sendMu.Lock()
		defer sendMu.Unlock()
		if sendErr == nil {
			sendErr = stream.Send(r)
		}
	}
	var recvErr error
	for {
		in, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				recvErr = err
			}
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			send(s.streamResult(stream.Context(), in.GetRequest()))
		}()
	}
	wg.Wait()
	if recvErr != nil {
		return recvErr
	}
	return sendErr
}

// streamResult is the result of one exchange of a stream: the answer, or
// the error the unary call would return (streamError).
func (s *exchangeServer) streamResult(ctx context.Context, req *hubv1.ExchangeRequest) *hubv1.ExchangeStreamResponse {
	resp, err := s.e.h.Exchange(ctx, req)
	if err != nil {
		return &hubv1.ExchangeStreamResponse{
			MessageId: req.GetMessageId(),
			Error:     streamError(err),
		}
	}
	return &hubv1.ExchangeStreamResponse{MessageId: resp.GetMessageId(), Response: resp}
}
