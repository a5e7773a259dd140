package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// exchange makes n exchanges through env (some fail: those are audited
// too).
func exchange(t *testing.T, ctx context.Context, c hubv1.ExchangeServiceClient, prefix string, n int) {
	t.Helper()
	for i := range n {
		pid := "001194053383"
		if i%3 == 2 {
			pid = "0011940" // refused by the provider: audited as INVALID_ARGUMENT
		}
		p, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: pid})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Exchange(ctx, &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H29", Provider: population.Code, Service: population.ServiceLookup,
			Payload: p, Purpose: "HS-1", UserId: "officer-1", MessageId: fmt.Sprintf("%s-%d", prefix, i),
		})
	}
}

func jsOf(t *testing.T, url string) jetstream.JetStream {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// waitChain waits until the chain verifies with n entries.
func waitChain(t *testing.T, ctx context.Context, js jetstream.JetStream, n int) {
	t.Helper()
	hubtest.Eventually(t, 30*time.Second, func() error {
		got, err := audit.Verify(ctx, js, audit.DefaultStream)
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d entries, want %d", got, n)
		}
		return nil
	})
}

// rewrite purges the audit stream and publishes its entries again, passed
// through edit (which may drop one by returning nil).
func rewrite(t *testing.T, ctx context.Context, js jetstream.JetStream, edit func(audit.Entry) []byte) {
	t.Helper()
	var raws [][]byte
	if err := audit.Each(ctx, js, audit.DefaultStream, func(_ uint64, e audit.Entry, _ []byte, _ error) error {
		if b := edit(e); b != nil {
			raws = append(raws, b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, audit.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range raws {
		if _, err := js.Publish(ctx, audit.DefaultSubject, b); err != nil {
			t.Fatal(err)
		}
	}
}

func mustJSON(t *testing.T, e audit.Entry) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTamperIsDetected(t *testing.T) {
	const n = 9
	tests := []struct {
		name    string
		edit    func(t *testing.T, e audit.Entry) []byte
		wantSeq uint64
	}{
		{"edit a field", func(t *testing.T, e audit.Entry) []byte {
			if e.Seq == 4 {
				e.Consumer = "000.00.00.H01"
			}
			return mustJSON(t, e)
		}, 4},
		{"edit and rehash one record", func(t *testing.T, e audit.Entry) []byte {
			if e.Seq == 4 {
				e.Outcome = "PERMISSION_DENIED"
				e.Hash = e.ComputeHash()
			}
			return mustJSON(t, e)
		}, 5},
		{"remove one record", func(t *testing.T, e audit.Entry) []byte {
			if e.Seq == 6 {
				return nil
			}
			return mustJSON(t, e)
		}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := hubtest.Start(t)
			ctx := ctxT(t)
			js := jsOf(t, env.NATSURL())
			exchange(t, ctx, env.Exchange, "m", n)
			waitChain(t, ctx, js, n)
			rewrite(t, ctx, js, func(e audit.Entry) []byte { return tt.edit(t, e) })
			_, err := audit.Verify(ctx, js, audit.DefaultStream)
			var be *audit.BreakError
			if !errors.As(err, &be) || !errors.Is(err, audit.ErrBroken) {
				t.Fatalf("Verify after tampering = %v, want a BreakError", err)
			}
			if be.Seq != tt.wantSeq {
				t.Fatalf("Verify named record %d (%v), want %d", be.Seq, err, tt.wantSeq)
			}
		})
	}
}

func TestUntouchedChainVerifies(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	js := jsOf(t, env.NATSURL())
	exchange(t, ctx, env.Exchange, "m", 6)
	waitChain(t, ctx, js, 6)
	// Every audited field of the first entry comes from its record; no
	// payload is stored.
	err := audit.Each(ctx, js, audit.DefaultStream, func(seq uint64, e audit.Entry, raw []byte, derr error) error {
		if derr != nil || e.RecordHash == "" || e.Consumer != "000.00.00.H29" || e.Outcome == "" {
			return fmt.Errorf("entry %d = %+v, %v", seq, e, derr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every entry matches its transaction record; a record dropped from
	// NDXP_TX is reported as missing, not as a break.
	n, missing, err := audit.VerifyRecords(ctx, js, audit.DefaultStream, txlog.DefaultStream)
	if err != nil || n != 6 || missing != 0 {
		t.Fatalf("VerifyRecords = %d, %d, %v; want 6, 0, nil", n, missing, err)
	}
	tx, err := js.Stream(ctx, txlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.DeleteMsg(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n, missing, err = audit.VerifyRecords(ctx, js, audit.DefaultStream, txlog.DefaultStream); err != nil || n != 6 || missing != 1 {
		t.Fatalf("VerifyRecords after dropping a record = %d, %d, %v; want 6, 1, nil", n, missing, err)
	}
}

func TestTwoHubsOneChain(t *testing.T) {
	ns := hubtest.StartNATS(t)
	a := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation())
	ctx := ctxT(t)
	js := jsOf(t, ns.ClientURL())
	done := make(chan struct{})
	go func() { defer close(done); exchange(t, ctx, a.Exchange, "a", 12) }()
	exchange(t, ctx, b.Exchange, "b", 12)
	<-done
	// Both hubs chain every record; exactly one entry per record.
	waitChain(t, ctx, js, 24)
}
