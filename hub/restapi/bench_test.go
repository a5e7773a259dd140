package restapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// BenchmarkLookup measures the README's citizen lookup side by side over
// the two ingresses of one hub (insecure, loopback): gRPC with a protobuf
// payload, and REST with a JSON body (parsed and typed from the registry,
// the answer written back as JSON). Both take the same exchange path (the
// record stored in JetStream, counted, audited), so the difference is the
// edge. "parallel" runs GOMAXPROCS*8 callers at once; compare ns/op (the
// inverse of throughput).
func BenchmarkLookup(b *testing.B) {
	env := hubtest.Start(b)
	payload, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: knownID})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	grpcCall := func() error {
		_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			MessageId: fmt.Sprint("bench-grpc-", seq.Add(1)), Consumer: consumer, Provider: population.Code,
			Service: population.ServiceLookup, Payload: payload, Purpose: "bench", UserId: "bench",
		})
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}
	url := env.RESTURL() + "/r1/" + population.Code + "/" + population.ServiceLookup
	body := []byte(`{"personalId": "` + knownID + `"}`)
	restCall := func() error {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Ndxp-Consumer", consumer)
		req.Header.Set("Ndxp-Message-Id", fmt.Sprint("bench-rest-", seq.Add(1)))
		req.Header.Set("Ndxp-Purpose", "bench")
		req.Header.Set("Ndxp-User-Id", "bench")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		call func() error
	}{{"grpc", grpcCall}, {"rest", restCall}} {
		b.Run(c.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
