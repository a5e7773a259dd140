package behave_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ndxp/ndxp/adapters/behave"
	"github.com/ndxp/ndxp/adapters/node"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestParse(t *testing.T) {
	from := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		spec    string
		want    behave.Config
		wantErr bool
	}{
		{spec: "", want: behave.Config{}},
		{spec: "latency=20ms/250ms", want: behave.Config{LatencyMedian: 20 * time.Millisecond, LatencyP99: 250 * time.Millisecond}},
		{spec: "latency=5ms", want: behave.Config{LatencyMedian: 5 * time.Millisecond}},
		{spec: "errors=0.02", want: behave.Config{ErrorRate: 0.02}},
		{spec: "errors=0.5:internal, outage=on", want: behave.Config{ErrorRate: 0.5, ErrorCode: codes.Internal, Outage: true}},
		{spec: "outage=2026-05-01T10:00:00+07:00/30m", want: behave.Config{OutageFrom: from, OutageUntil: from.Add(30 * time.Minute)}},
		{spec: "services=pid-issue+card-lookup,outage=on", want: behave.Config{Outage: true, Services: []string{"pid-issue", "card-lookup"}}},
		{spec: "latency=250ms/20ms", wantErr: true},
		{spec: "errors=1.5", wantErr: true},
		{spec: "errors=0.1:NOPE", wantErr: true},
		{spec: "outage=sometimes", wantErr: true},
		{spec: "jitter=1ms", wantErr: true},
		{spec: "latency", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := behave.Parse(tt.spec)
			if tt.wantErr {
				if !errors.Is(err, behave.ErrSpec) {
					t.Fatalf("got %v, want an ErrSpec", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.LatencyMedian != tt.want.LatencyMedian || got.LatencyP99 != tt.want.LatencyP99 || got.ErrorRate != tt.want.ErrorRate ||
				got.ErrorCode != tt.want.ErrorCode || got.Outage != tt.want.Outage || !got.OutageFrom.Equal(tt.want.OutageFrom) ||
				!got.OutageUntil.Equal(tt.want.OutageUntil) || !slices.Equal(got.Services, tt.want.Services) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestLatencyDistribution checks the drawn latencies' median and 99th
// percentile against the configuration (values drawn, nothing slept).
func TestLatencyDistribution(t *testing.T) {
	b, err := behave.New(behave.Config{LatencyMedian: 20 * time.Millisecond, LatencyP99: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := make([]time.Duration, 50000)
	for i := range d {
		d[i] = b.Latency()
	}
	slices.Sort(d)
	within := func(name string, got, want time.Duration) {
		if got < want*85/100 || got > want*115/100 {
			t.Errorf("%s %s, want about %s", name, got, want)
		}
	}
	within("median", d[len(d)/2], 20*time.Millisecond)
	within("p99", d[len(d)*99/100], 250*time.Millisecond)
}

func ok(context.Context, *node.Request) (proto.Message, error) { return &emptypb.Empty{}, nil }

func TestWrap(t *testing.T) {
	svc := &hubv1.Service{Code: "pid-issue"}
	tests := []struct {
		name string
		cfg  behave.Config
		want codes.Code
	}{
		{"nothing injected", behave.Config{}, codes.OK},
		{"outage", behave.Config{Outage: true}, codes.Unavailable},
		{"outage window now", behave.Config{OutageFrom: time.Now().Add(-time.Minute), OutageUntil: time.Now().Add(time.Hour)}, codes.Unavailable},
		{"outage window over", behave.Config{OutageFrom: time.Now().Add(-time.Hour), OutageUntil: time.Now().Add(-time.Minute)}, codes.OK},
		{"every call fails", behave.Config{ErrorRate: 1, ErrorCode: codes.ResourceExhausted}, codes.ResourceExhausted},
		{"other services only", behave.Config{Outage: true, Services: []string{"card-lookup"}}, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := behave.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Wrap(svc, ok)(context.Background(), &node.Request{Service: "pid-issue", Provider: "000.00.01.G01"})
			var e *node.Error
			got := codes.OK
			if errors.As(err, &e) {
				got = e.Code
			} else if err != nil {
				t.Fatalf("not a node.Error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("got %v (%v), want %v", got, err, tt.want)
			}
		})
	}
	t.Run("toggled outage", func(t *testing.T) {
		b, _ := behave.New(behave.Config{})
		h := b.Wrap(svc, ok)
		b.SetOutage(true)
		if _, err := h(context.Background(), &node.Request{}); err == nil {
			t.Fatal("no error during the outage")
		}
		b.SetOutage(false)
		if _, err := h(context.Background(), &node.Request{}); err != nil {
			t.Fatalf("after the outage: %v", err)
		}
	})
	t.Run("latency cut by the deadline", func(t *testing.T) {
		b, _ := behave.New(behave.Config{LatencyMedian: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := b.Wrap(svc, ok)(ctx, &node.Request{})
		var e *node.Error
		if !errors.As(err, &e) || e.Code != codes.DeadlineExceeded {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
	})
}
