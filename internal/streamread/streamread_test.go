package streamread_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/internal/streamread"
)

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	return hubtest.JetStream(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
}

// fill creates stream S (subjects s.>) with n messages whose payload is
// their number, 1 to n.
func fill(t *testing.T, js jetstream.JetStream, replicas, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, AllowDirect: true, Replicas: replicas}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := js.PublishAsync(fmt.Sprintf("s.%d", i%7), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("publishing timed out")
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publishing timed out")
	}
}

// readAll reads the whole stream, checking order and payloads, and
// returns how many messages it read and the gaps it met.
func readAll(ctx context.Context, js jetstream.JetStream, rng streamread.Range) (int, []streamread.Gap, error) {
	r := streamread.New(js, rng)
	n := 0
	var gaps []streamread.Gap
	var last uint64
	for {
		m, err := r.Next(ctx)
		var g *streamread.Gap
		switch {
		case errors.Is(err, io.EOF):
			return n, gaps, nil
		case errors.As(err, &g):
			gaps = append(gaps, *g)
			continue
		case err != nil:
			return n, gaps, err
		}
		if m.Sequence <= last || string(m.Data) != strconv.FormatUint(m.Sequence, 10) {
			return n, gaps, fmt.Errorf("message %d (%q) after %d", m.Sequence, m.Data, last)
		}
		last = m.Sequence
		n++
	}
}

// TestReadThroughStalls pauses the nats-server process (SIGSTOP) again and
// again while a stream is read: the read waits each stall out and returns
// every message, in order.
func TestReadThroughStalls(t *testing.T) {
	srv := natsproc.Start(t)
	js := connect(t, srv.URL())
	const n = 30000
	fill(t, js, 1, n)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			srv.Pause(t)
			time.Sleep(1500 * time.Millisecond) // the stall of the issue
			srv.Resume(t)
		}
	})
	got, gaps, err := readAll(ctx, js, streamread.Range{Stream: "S", Batch: 250, Attempt: time.Second})
	close(stop)
	wg.Wait()
	if err != nil || got != n || len(gaps) != 0 {
		t.Fatalf("read %d of %d messages, gaps %v, error %v", got, n, gaps, err)
	}
}

// TestGapsAndEnds: deleted messages are reported as gaps, inside the
// range and at its end; a read is bounded by To or by the last sequence
// when it starts; Since starts at a time.
func TestGapsAndEnds(t *testing.T) {
	ns := hubtest.StartNATS(t)
	js := connect(t, ns.ClientURL())
	fill(t, js, 1, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{3, 4, 10} {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		rng  streamread.Range
		n    int
		gaps []streamread.Gap
	}{
		{"all", streamread.Range{}, 7, []streamread.Gap{{3, 4}, {10, 10}}},
		{"to", streamread.Range{From: 2, To: 5}, 2, []streamread.Gap{{3, 4}}},
		{"from a gap", streamread.Range{From: 4}, 5, []streamread.Gap{{4, 4}, {10, 10}}},
		{"small batches", streamread.Range{Batch: 2}, 7, []streamread.Gap{{3, 4}, {10, 10}}},
		{"since the start", streamread.Range{Since: time.Now().Add(-time.Hour)}, 7, []streamread.Gap{{3, 4}, {10, 10}}},
		{"since the end", streamread.Range{Since: time.Now().Add(time.Hour)}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rng.Stream = "S"
			n, gaps, err := readAll(ctx, js, tt.rng)
			if err != nil || n != tt.n || fmt.Sprint(gaps) != fmt.Sprint(tt.gaps) {
				t.Fatalf("read %d, gaps %v, error %v; want %d, gaps %v", n, gaps, err, tt.n, tt.gaps)
			}
		})
	}
	// A message stored after the read started is not part of it.
	r := streamread.New(js, streamread.Range{Stream: "S"})
	if _, err := r.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.x", []byte("11")); err != nil {
		t.Fatal(err)
	}
	if r.End() != 10 {
		t.Fatalf("End = %d, want 10", r.End())
	}
}

// TestNoDirect: a stream without AllowDirect is refused with a clear error
// rather than read by some other, incomplete way.
func TestNoDirect(t *testing.T) {
	ns := hubtest.StartNATS(t)
	js := connect(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if err := streamread.Read(ctx, js, streamread.Range{Stream: "S"}, func(*jetstream.RawStreamMsg) error { return nil }); !errors.Is(err, streamread.ErrNoDirect) {
		t.Fatalf("err = %v, want ErrNoDirect", err)
	}
}

// TestIncomplete: when the server never comes back, the read fails with
// ErrIncomplete at its context's deadline instead of ending early.
func TestIncomplete(t *testing.T) {
	srv := natsproc.Start(t)
	js := connect(t, srv.URL())
	fill(t, js, 1, 3000)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := streamread.New(js, streamread.Range{Stream: "S", Batch: 100, Attempt: 500 * time.Millisecond})
	if _, err := r.Next(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	defer srv.Resume(t)
	n := 1
	for {
		_, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			t.Fatalf("the read ended after %d of 3000 messages without an error", n)
		}
		if err != nil {
			if !errors.Is(err, streamread.ErrIncomplete) {
				t.Fatalf("err = %v, want ErrIncomplete", err)
			}
			return
		}
		n++
	}
}

// TestReadOnACluster reads an R3 stream through each server of a
// three-server cluster of nats-server processes, then again after one of
// them is killed: every message, in order, with no "no responders".
func TestReadOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster")
	}
	servers := natsproc.StartCluster(t, 3)
	const n = 5000
	fill(t, connect(t, servers[0].URL()), 3, n)
	read := func(s *natsproc.Server) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		got, gaps, err := readAll(ctx, connect(t, s.URL()), streamread.Range{Stream: "S", Batch: 300})
		if err != nil || got != n || len(gaps) != 0 {
			t.Fatalf("through %s: read %d of %d, gaps %v, error %v", s.Name(), got, n, gaps, err)
		}
	}
	for _, s := range servers {
		read(s)
	}
	servers[2].Kill(t)
	read(servers[0])
	read(servers[1])
}
