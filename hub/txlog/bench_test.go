package txlog_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// BenchmarkStore compares, on an embedded NATS with a file stream and a
// unique Nats-Msg-Id per record, 64 callers each storing records and
// waiting for their acknowledgement: by request-reply (jetstream
// PublishMsg, what Append did before) and by Log.Append (asynchronous
// publishes, each caller waiting for its own ack). It reports records/s
// and the process's CPU time per record (NATS included):
//
//	go test ./hub/txlog -run '^$' -bench Store -benchtime 100000x
func BenchmarkStore(b *testing.B) {
	for _, mode := range []string{"request-reply", "async"} {
		b.Run(mode, func(b *testing.B) {
			js := hubtest.JetStream(b, hubtest.StartNATS(b).ClientURL())
			ctx := context.Background()
			l, err := txlog.Open(ctx, js, txlog.Config{})
			if err != nil {
				b.Fatal(err)
			}
			store := func(rec *hubv1.TransactionRecord) error {
				if mode == "async" {
					_, err := l.Append(ctx, rec)
					return err
				}
				data, err := proto.Marshal(rec)
				if err != nil {
					return err
				}
				_, err = js.Publish(ctx, wire.RecordSubject(rec.Consumer, rec.Provider, rec.Service), data, jetstream.WithMsgID(txlog.RecordID(rec)))
				return err
			}
			const callers = 64
			var next atomic.Int64
			var wg sync.WaitGroup
			began, cpu := time.Now(), cpuTime(b)
			b.ResetTimer()
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						rec := &hubv1.TransactionRecord{
							MessageId: fmt.Sprint(i), Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
							ReceivedAt: timestamppb.Now(), AnsweredAt: timestamppb.Now(), BusinessTime: timestamppb.Now(),
							RequestHash: make([]byte, 32), ResponseHash: make([]byte, 32), Purpose: "HS-2024-000123", UserId: "officer-17",
						}
						if err := store(rec); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "records/s")
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/record")
		})
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
