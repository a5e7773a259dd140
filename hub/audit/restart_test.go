package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/natsembed"
)

// restartableNATS is a NATS server that can be restarted on the same port
// and store, as after a crash of the NATS process.
type restartableNATS struct {
	t     *testing.T
	port  int
	store string
	s     *server.Server
}

func startRestartable(t *testing.T) *restartableNATS {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	n := &restartableNATS{t: t, port: port, store: t.TempDir()}
	n.start()
	t.Cleanup(func() { n.s.Shutdown(); n.s.WaitForShutdown() })
	return n
}

func (n *restartableNATS) start() {
	s, err := natsembed.Start(natsembed.Config{Port: n.port, StoreDir: n.store}, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	n.s = s
}

func (n *restartableNATS) restart() {
	n.s.Shutdown()
	n.s.WaitForShutdown()
	n.start()
}

// The chain covers every record kept, with no record skipped, through
// restarts of NATS under load (a record used to be skipped when the
// ordered consumer reset while an append was being retried).
func TestChainCoversEveryRecordThroughNATSRestarts(t *testing.T) {
	ns := startRestartable(t)
	url := ns.s.ClientURL()
	cfg := hub.Config{Audit: audit.Config{BlockEntries: 16, Linger: 20 * time.Millisecond}}
	env := hubtest.Start(t, hubtest.WithNATSURL(url), hubtest.WithHubConfig(cfg))
	ctx := ctxT(t)
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; lctx.Err() == nil; i++ {
				exchange(t, lctx, env.Exchange, fmt.Sprintf("w%d-%d", w, i), 1)
			}
		}()
	}
	s := &system{env: env, js: hubtest.JetStream(t, url), ex: env.Exchange}
	tx, err := s.js.Stream(ctx, txlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// Restart twice, each time once the load has stored 100 more records.
	var seen uint64
	for range 3 {
		hubtest.Eventually(t, 60*time.Second, func() error {
			info, err := tx.Info(ctx)
			if err != nil || info.State.LastSeq < seen+100 {
				return fmt.Errorf("load stored too little yet (%v)", err)
			}
			seen = info.State.LastSeq
			return nil
		})
		if seen < 300 {
			ns.restart()
		}
	}
	stop()
	wg.Wait()
	var kept int
	hubtest.Eventually(t, 60*time.Second, func() error {
		info, err := tx.Info(ctx)
		if err != nil {
			return err
		}
		kept = int(info.State.Msgs)
		if got := env.Hub().AuditChained(); got != info.State.LastSeq {
			return fmt.Errorf("chain covers %d of %d records", got, info.State.LastSeq)
		}
		return nil
	})
	r, err := s.verify(ctx)
	if err != nil || r.Compared != kept || len(r.Absent) != 0 || r.Pending != 0 {
		t.Fatalf("verify = %+v, %v; want all %d records compared", r, err, kept)
	}
	t.Logf("%d records through 2 NATS restarts, %d blocks", kept, r.Blocks)
}

// A transaction record corrupted on disk (bytes flipped in the stream's
// block file while NATS is down) is named by verify --records, never
// taken for retention.
func TestRecordCorruptedOnDiskIsNamed(t *testing.T) {
	ns := startRestartable(t)
	url := ns.s.ClientURL()
	cfg := hub.Config{Audit: audit.Config{BlockEntries: 4}}
	env := hubtest.Start(t, hubtest.WithNATSURL(url), hubtest.WithHubConfig(cfg))
	ctx := ctxT(t)
	s := &system{env: env, js: hubtest.JetStream(t, url), ex: env.Exchange}
	exchange(t, ctx, s.ex, "m", 9)
	s.waitChained(t, ctx, 9)
	env.Stop(t)

	ns.s.Shutdown()
	ns.s.WaitForShutdown()
	files, err := filepath.Glob(filepath.Join(ns.store, "jetstream", "*", "streams", txlog.DefaultStream, "msgs", "*.blk"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no block file of %s under %s: %v", txlog.DefaultStream, ns.store, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// The fifth record's purpose, as stored.
	i := bytes.Index(data, []byte("HS-1"))
	for n := 0; n < 4 && i >= 0; n++ {
		j := bytes.Index(data[i+1:], []byte("HS-1"))
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	if i < 0 {
		t.Fatal("the records' purpose is not in the block file")
	}
	copy(data[i:], "XX-9")
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	ns.start()
	s.js = hubtest.JetStream(t, ns.s.ClientURL())
	r, err := s.verify(ctx)
	be := breakOf(t, err)
	if be.TxSeq == 0 || be.TxSeq > 9 {
		t.Fatalf("verify = %+v, %v; want a record of 1-9 named", r, err)
	}
	t.Logf("verify: %v", err)
}
