package audit_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/pki"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

const consumer = "000.00.00.H29"

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// exchange makes n exchanges through c (some fail: those are audited
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
			Consumer: consumer, Provider: population.Code, Service: population.ServiceLookup,
			Payload: p, Purpose: "HS-1", UserId: "officer-1", MessageId: fmt.Sprintf("%s-%d", prefix, i),
		})
	}
}

// system is a running hub and what a test of its chain needs.
type system struct {
	env   *hubtest.Env
	js    jetstream.JetStream // the operator's: full JetStream rights
	trust *audit.Trust        // nil on an insecure system
	ex    hubv1.ExchangeServiceClient
	// key and cert are the operator's: a valid identity of the CA, but
	// not a hub's.
	key  crypto.Signer
	cert []byte
}

// start starts a system whose blocks hold at most two entries, so that a
// few exchanges make several blocks.
func start(t *testing.T, secure bool, opts ...hubtest.Option) *system {
	t.Helper()
	cfg := hub.Config{Audit: audit.Config{BlockEntries: 2}, TxLog: txlog.Config{MaxAge: 2 * time.Hour}}
	opts = append([]hubtest.Option{hubtest.WithHubConfig(cfg)}, opts...)
	if secure {
		opts = append(opts, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
			Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
		}))
	}
	s := &system{env: hubtest.Start(t, opts...)}
	var natsOpts []nats.Option
	s.ex = s.env.Exchange
	if secure {
		// JetStream write access to the evidence takes a hub's NATS
		// credentials (the operator's are denied it); the forger signs
		// with the operator's key, a valid identity of the CA but not a
		// hub's.
		hubTLS, err := s.env.Certs().ClientTLS(pki.Hub)
		if err != nil {
			t.Fatal(err)
		}
		natsOpts = append(natsOpts, nats.Secure(hubTLS))
		opTLS, err := s.env.Certs().ClientTLS(pki.Operator)
		if err != nil {
			t.Fatal(err)
		}
		s.trust = &audit.Trust{Roots: opTLS.RootCAs}
		s.key, s.cert = opTLS.Certificates[0].PrivateKey.(crypto.Signer), opTLS.Certificates[0].Certificate[0]
		s.ex = hubv1.NewExchangeServiceClient(s.env.DialAs(t, consumer))
	}
	s.js = hubtest.JetStream(t, s.env.NATSURL(), natsOpts...)
	return s
}

func (s *system) verify(ctx context.Context) (audit.Report, error) {
	return audit.Verify(ctx, s.js, audit.DefaultStream, audit.Options{Trust: s.trust, TxStream: txlog.DefaultStream})
}

// waitChained waits until every stored record is chained and the chain,
// with its records, verifies with n entries.
func (s *system) waitChained(t *testing.T, ctx context.Context, n int) audit.Report {
	t.Helper()
	var r audit.Report
	hubtest.Eventually(t, 30*time.Second, func() (err error) {
		if r, err = s.verify(ctx); err != nil {
			return err
		}
		if r.Entries != n || r.Pending != 0 || r.Compared != n {
			return fmt.Errorf("%d entries, %d compared, %d pending; want %d", r.Entries, r.Compared, r.Pending, n)
		}
		return nil
	})
	return r
}

// blocks reads the chain as stored.
func (s *system) blocks(t *testing.T, ctx context.Context) []*audit.Block {
	t.Helper()
	var out []*audit.Block
	if err := audit.Each(ctx, s.js, audit.DefaultStream, func(_ uint64, b *audit.Block, _ []byte, derr error) error {
		out = append(out, b)
		return derr
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *system) publish(t *testing.T, ctx context.Context, b *audit.Block) uint64 {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.js.Publish(ctx, audit.DefaultSubject, raw)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// forge seals b as someone with NATS credentials and the operator's
// certificate could: re-hashed, signed with the operator's key (or not
// at all on an insecure system).
func (s *system) forge(t *testing.T, b *audit.Block) {
	t.Helper()
	if err := audit.ForgeForTest(b, s.key, s.cert); err != nil {
		t.Fatal(err)
	}
}

func breakOf(t *testing.T, err error) *audit.BreakError {
	t.Helper()
	var be *audit.BreakError
	if !errors.As(err, &be) || !errors.Is(err, audit.ErrBroken) {
		t.Fatalf("verify = %v, want a BreakError", err)
	}
	return be
}

func TestUntouchedChainVerifies(t *testing.T) {
	for _, secure := range []bool{true, false} {
		t.Run(fmt.Sprint("secure=", secure), func(t *testing.T) {
			s := start(t, secure)
			ctx := ctxT(t)
			exchange(t, ctx, s.ex, "m", 7)
			r := s.waitChained(t, ctx, 7)
			if r.Blocks < 4 || r.TxFirst != 1 || r.TxLast != 7 || r.Removed != 0 || len(r.Absent) != 0 {
				t.Fatalf("report = %+v", r)
			}
			if secure && r.Signed != r.Blocks {
				t.Fatalf("%d of %d blocks signed", r.Signed, r.Blocks)
			}
			// Every audited field of an entry comes from its record; no
			// payload is stored.
			b := s.blocks(t, ctx)[0]
			if e := b.Entries[0]; e.Consumer != consumer || e.Purpose != "HS-1" || e.RecordHash == "" || e.Outcome == "" {
				t.Fatalf("entry = %+v", e)
			}
		})
	}
}

// A block appended with NATS credentials (a well-formed one claiming the
// records up to 1,000,000, signed with the operator's certificate or not
// at all) neither stops the writer nor passes verify.
func TestForgedBlockIsNamedAndDoesNotStopTheChain(t *testing.T) {
	for _, signed := range []bool{true, false} {
		t.Run(fmt.Sprint("signed=", signed), func(t *testing.T) {
			s := start(t, true)
			ctx := ctxT(t)
			exchange(t, ctx, s.ex, "a", 4)
			s.waitChained(t, ctx, 4)
			bs := s.blocks(t, ctx)
			last := bs[len(bs)-1]
			forged := &audit.Block{Seq: last.Seq + 1, TxFirst: last.TxLast + 1, TxLast: 1_000_000, Writer: "forger",
				Created: time.Now().UTC().Format(time.RFC3339Nano), Prev: last.Hash, Absent: []audit.Range{{First: last.TxLast + 1, Last: 1_000_000}}}
			if signed {
				s.forge(t, forged)
			} else {
				forged.Hash = forged.ComputeHash()
			}
			at := s.publish(t, ctx, forged)

			exchange(t, ctx, s.ex, "b", 4)
			hubtest.Eventually(t, 30*time.Second, func() error {
				if got := s.env.Hub().AuditChained(); got != 8 {
					return fmt.Errorf("chain covers %d of 8 records", got)
				}
				return nil
			})
			_, err := s.verify(ctx)
			be := breakOf(t, err)
			want := "not a hub"
			if !signed {
				want = "not signed"
			}
			if be.StoredAt != at || !strings.Contains(err.Error(), want) {
				t.Fatalf("verify named %v, want the block stored at %d, %q", err, at, want)
			}
		})
	}
}

// Deleting the audit stream and re-creating it from a later first
// sequence, with re-hashed entries whose purpose was edited, is named:
// by the signatures on a secure system, by comparing every field with
// the records on an insecure one.
func TestRewrittenStreamIsNamed(t *testing.T) {
	for _, secure := range []bool{true, false} {
		t.Run(fmt.Sprint("secure=", secure), func(t *testing.T) {
			s := start(t, secure)
			ctx := ctxT(t)
			exchange(t, ctx, s.ex, "m", 6)
			s.waitChained(t, ctx, 6)
			bs := s.blocks(t, ctx)
			st, err := s.js.Stream(ctx, audit.DefaultStream)
			if err != nil {
				t.Fatal(err)
			}
			cfg := st.CachedInfo().Config
			// Blocks 1.. are "retention"; from block 2 on, the purpose of
			// every entry is edited and each block re-hashed and linked.
			if err := s.js.DeleteStream(ctx, audit.DefaultStream); err != nil {
				t.Fatal(err)
			}
			cfg.FirstSeq, cfg.MaxAge = 2, 48*time.Hour
			if _, err := s.js.CreateStream(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			prev := bs[0].Hash
			for _, b := range bs[1:] {
				for i := range b.Entries {
					b.Entries[i].Purpose = "edited"
				}
				b.Prev = prev
				s.forge(t, b)
				prev = b.Hash
				s.publish(t, ctx, b)
			}
			_, err = s.verify(ctx)
			be := breakOf(t, err)
			want := "not a hub"
			if !secure {
				want = "differ in purpose"
			}
			if be.Block != 2 || !strings.Contains(err.Error(), want) {
				t.Fatalf("verify = %v, want block 2 named: %q", err, want)
			}
		})
	}
}

// A record deleted from the middle of NDXP_TX is a hole, named; records
// removed from its start by its retention are only counted.
func TestDeletedRecordIsAHoleRetentionIsNot(t *testing.T) {
	s := start(t, true)
	ctx := ctxT(t)
	exchange(t, ctx, s.ex, "m", 6)
	s.waitChained(t, ctx, 6)
	tx, err := s.js.Stream(ctx, txlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// Retention (the stream has a max age) removes the oldest two.
	if err := tx.Purge(ctx, jetstream.WithPurgeSequence(3)); err != nil {
		t.Fatal(err)
	}
	r, err := s.verify(ctx)
	if err != nil || r.Expired != 2 || r.Compared != 4 {
		t.Fatalf("verify after retention = %+v, %v; want 2 expired, 4 compared", r, err)
	}
	if err := tx.DeleteMsg(ctx, 4); err != nil {
		t.Fatal(err)
	}
	_, err = s.verify(ctx)
	if be := breakOf(t, err); be.TxSeq != 4 || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("verify after deleting record 4 = %v", err)
	}
}

// Blocks removed from the start of the audit stream are retention only
// when the stream has a max age; then they are reported, not an error.
func TestAuditRetentionIsReported(t *testing.T) {
	s := start(t, true)
	ctx := ctxT(t)
	exchange(t, ctx, s.ex, "m", 6)
	s.waitChained(t, ctx, 6)
	st, err := s.js.Stream(ctx, audit.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSequence(2)); err != nil {
		t.Fatal(err)
	}
	_, err = s.verify(ctx)
	if be := breakOf(t, err); be.StoredAt != 1 || !strings.Contains(err.Error(), "no retention") {
		t.Fatalf("verify after purging block 1 without retention = %v", err)
	}
	cfg := st.CachedInfo().Config
	cfg.MaxAge = 48 * time.Hour
	if _, err := s.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// The records of the removed block are gone by the records' own
	// retention too.
	tx, err := s.js.Stream(ctx, txlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Purge(ctx, jetstream.WithPurgeSequence(3)); err != nil {
		t.Fatal(err)
	}
	r, err := s.verify(ctx)
	if err != nil || r.Removed != 1 || r.FirstBlock != 2 {
		t.Fatalf("verify with retention = %+v, %v; want 1 block removed", r, err)
	}
}

// Deleting the last block neither stops a hub from starting nor from
// chaining on after the last good block; verify names the deleted block.
func TestDeletedLastBlockHubStartsAndChainsOn(t *testing.T) {
	ns := hubtest.StartNATS(t)
	cfg := hub.Config{Audit: audit.Config{BlockEntries: 2}}
	s := start(t, false, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithHubConfig(cfg))
	ctx := ctxT(t)
	exchange(t, ctx, s.ex, "a", 4)
	s.waitChained(t, ctx, 4)
	st, err := s.js.Stream(ctx, audit.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Stop(t)
	if err := st.DeleteMsg(ctx, info.State.LastSeq); err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithHubConfig(cfg))
	exchange(t, ctx, env.Exchange, "b", 3)
	hubtest.Eventually(t, 30*time.Second, func() error {
		if got := env.Hub().AuditChained(); got != 7 {
			return fmt.Errorf("chain covers %d of 7 records", got)
		}
		return nil
	})
	_, err = s.verify(ctx)
	if be := breakOf(t, err); be.StoredAt != info.State.LastSeq || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("verify = %v, want the block stored at %d named as deleted", err, info.State.LastSeq)
	}
}

func TestTwoHubsOneChain(t *testing.T) {
	ns := hubtest.StartNATS(t)
	a := start(t, false, hubtest.WithNATSURL(ns.ClientURL()))
	b := hubtest.Start(t, hubtest.WithNATSURL(ns.ClientURL()), hubtest.WithoutPopulation())
	ctx := ctxT(t)
	done := make(chan struct{})
	go func() { defer close(done); exchange(t, ctx, a.ex, "a", 12) }()
	exchange(t, ctx, b.Exchange, "b", 12)
	<-done
	// One hub writes; exactly one entry per record.
	a.waitChained(t, ctx, 24)
	// The other takes over when the writer stops.
	a.env.Stop(t)
	exchange(t, ctx, b.Exchange, "c", 3)
	a.waitChained(t, ctx, 27)
}

// The operator's NATS credentials cannot touch the evidence: publish a
// record, a block or the writer's lease, nor delete, purge or update the
// streams.
func TestOperatorCannotTouchTheEvidence(t *testing.T) {
	s := start(t, true)
	ctx := ctxT(t)
	exchange(t, ctx, s.ex, "m", 2)
	s.waitChained(t, ctx, 2)
	opTLS, err := s.env.Certs().ClientTLS(pki.Operator)
	if err != nil {
		t.Fatal(err)
	}
	violations := make(chan string, 16)
	nc, err := nats.Connect(s.env.NATSURL(), nats.Secure(opTLS), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		violations <- err.Error()
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, subj := range []string{
		"ndxp.tx.000.00.00.H29.000.00.01.G01.citizen-lookup", audit.DefaultSubject, "$KV." + audit.DefaultLeaseBucket + ".writer",
		"$JS.API.STREAM.PURGE." + audit.DefaultStream, "$JS.API.STREAM.DELETE." + txlog.DefaultStream,
		"$JS.API.STREAM.MSG.DELETE." + audit.DefaultStream, "$JS.API.STREAM.UPDATE." + txlog.DefaultStream,
	} {
		if err := nc.Publish(subj, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-violations:
			if !strings.Contains(v, "Permissions Violation for Publish to \""+subj+"\"") {
				t.Fatalf("publish to %s: %s", subj, v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the operator published to %s", subj)
		}
	}
	// The operator still reads the chain.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, js, audit.DefaultStream, audit.Options{Trust: s.trust, TxStream: txlog.DefaultStream}); err != nil {
		t.Fatal(err)
	}
}
