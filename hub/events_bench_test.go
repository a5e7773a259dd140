package hub_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/events"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// BenchmarkEventsDelivered measures publish/subscribe end to end: b.N
// birth events published by 16 concurrent callers (each stored in
// JetStream before its answer), received by one subscriber (window 1000)
// that acknowledges each; an acknowledgement records and counts the
// delivery. ns/op is per event delivered and recorded.
func BenchmarkEventsDelivered(b *testing.B) {
	env := hubtest.Start(b, hubtest.WithoutPopulation())
	c := hubv1.NewEventServiceClient(env.Conn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := birthEvent(b, "x")
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the subscriber
		defer wg.Done()
		stream, err := c.Subscribe(ctx)
		if err != nil {
			b.Error(err)
			return
		}
		_ = stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Open{Open: &hubv1.SubscribeOpen{Subscriber: events.Population, Type: events.TypeBirthRegistered, Window: 1000}}})
		for range b.N {
			resp, err := stream.Recv()
			if err != nil {
				b.Error(err)
				return
			}
			_ = stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Ack{Ack: &hubv1.EventAck{Sequence: resp.GetEvent().GetSequence()}}})
		}
		_ = stream.CloseSend()
		for {
			if _, err := stream.Recv(); err != nil {
				return
			}
		}
	}()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := &hubv1.PublishRequest{EventId: fmt.Sprint("bench-", next.Add(1)), Publisher: req.Publisher, Type: req.Type, Payload: req.Payload}
			if _, err := c.Publish(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	published := time.Since(start)
	wg.Wait()
	all := time.Since(start)
	b.ReportMetric(float64(b.N)/published.Seconds(), "published/s")
	b.ReportMetric(float64(b.N)/all.Seconds(), "delivered/s")
}

// BenchmarkDocumentsReceived measures the document axis end to end: b.N
// documents sent by 16 concurrent callers, each to 4 recipients (the 2024
// month's ratio is 624,634 received to 143,756 sent, 4.3), each recipient's
// document system fetching its inbox and acknowledging each document
// (recorded, receipt RECEIVED). ns/op is per document sent.
func BenchmarkDocumentsReceived(b *testing.B) {
	env := hubtest.Start(b, hubtest.WithoutPopulation())
	c := hubv1.NewDocumentServiceClient(env.Conn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recipients := []string{"000.00.00.H01", "000.00.00.H02", "000.00.00.H03", "000.00.00.H04"}
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range recipients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream, err := c.ReceiveDocuments(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			_ = stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Open{Open: &hubv1.ReceiveOpen{Recipient: r, Window: 1000}}})
			for range b.N {
				resp, err := stream.Recv()
				if err != nil {
					b.Error(err)
					return
				}
				_ = stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Ack{Ack: &hubv1.DocumentAck{Sequence: resp.GetDocument().GetSequence()}}})
			}
			_ = stream.CloseSend()
			for {
				if _, err := stream.Recv(); err != nil {
					return
				}
			}
		}()
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := envelope(fmt.Sprint("bench-", next.Add(1)), recipients...)
			if _, err := c.SendDocument(ctx, &hubv1.SendDocumentRequest{Envelope: e}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	sent := time.Since(start)
	wg.Wait()
	all := time.Since(start)
	b.ReportMetric(float64(b.N)/sent.Seconds(), "sent/s")
	b.ReportMetric(float64(len(recipients)*b.N)/all.Seconds(), "received/s")
}
