package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/internal/natsproc"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// proc is an ndxp process of the cluster test that can be SIGKILLed and
// started again with the same arguments; its output goes to a file.
type proc struct {
	name string
	args []string
	log  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	// dumps: the end of the log is printed when the test fails (registered
	// on the first start).
	dumps bool
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	if !p.dumps {
		p.dumps = true
		t.Cleanup(func() {
			if b, err := os.ReadFile(p.log); err == nil && t.Failed() {
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				t.Logf("the last lines of %s's log:\n%s", p.name, strings.Join(lines[max(0, len(lines)-30):], "\n"))
			}
		})
	}
	p.mu.Unlock()
	cmd := exec.Command(os.Args[0], p.args...)
	cmd.Env = append(os.Environ(), "NDXP_TEST_RUN_MAIN=1")
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

// kill SIGKILLs the process and waits for it to exit.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the process gracefully (SIGTERM), killing it after a while.
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// waitReady waits until a hub's /readyz answers 200.
func waitReady(t *testing.T, p *proc, httpAddr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited:\n%s", p.name, p.tail())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready after %s:\n%s", p.name, within, p.tail())
}

// TestSecureClusterSurvivesKills runs the platform as operators run it at
// scale, every part a separate process and every connection secure: three
// nats-server processes with the configuration "ndxp nats-config" writes,
// two "ndxp hub" processes with replicas 3, the population database as an
// "ndxp agency" process. Clients send lookups through both hubs and retry
// a failed call with the same message id (on the other hub). Mid-run one
// NATS server, then one hub, then the agency process are SIGKILLed and
// started again. At the end every message id a client saw succeed is
// counted exactly once, nothing is counted that no client sent, both hubs
// report the same totals, the audit chain verifies, and the registry and
// the grants survived.
func TestSecureClusterSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server NATS cluster, two hubs and an agency process, and kills them")
	}
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if code, _, errOut := runProcess(t, "certs", "--dir", certs); code != 0 {
		t.Fatalf("ndxp certs: %s", errOut)
	}
	d := pki.Dir(certs)
	hubTLS, err := d.ClientTLS(pki.Hub)
	if err != nil {
		t.Fatal(err)
	}
	servers := natsproc.StartClusterWith(t, 3, func(name string, port, clusterPort int, routes []string, sdir string) ([]byte, error) {
		code, out, errOut := runProcess(t, "nats-config", "--certs", certs, "--name", name, "--cluster", "ndxp-test",
			"--store-dir", filepath.Join(sdir, "js"), "--listen", fmt.Sprintf("127.0.0.1:%d", port),
			"--cluster-listen", fmt.Sprintf("127.0.0.1:%d", clusterPort), "--routes", strings.Join(routes, ","), "--monitor=")
		if code != 0 {
			return nil, fmt.Errorf("ndxp nats-config: %s", errOut)
		}
		return []byte(out), nil
	}, hubTLS)
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = strings.Replace(s.URL(), "nats://", "tls://", 1)
	}

	type hubProc struct {
		*proc
		grpc, http string
	}
	startHub := func(i int, natsURLs []string) *hubProc {
		h := &hubProc{grpc: fmt.Sprintf("127.0.0.1:%d", natsproc.FreePort(t)), http: fmt.Sprintf("127.0.0.1:%d", natsproc.FreePort(t))}
		h.proc = &proc{name: fmt.Sprintf("hub-%d", i), log: filepath.Join(dir, fmt.Sprintf("hub-%d.log", i)), args: []string{
			"hub", "--nats-url", strings.Join(natsURLs, ","), "--cert-dir", certs, "--replicas", "3",
			"--hub-id", fmt.Sprintf("hub-%d", i), "--grpc-addr", h.grpc, "--http-addr", h.http, "--rest-addr", "", "--data-dir", filepath.Join(dir, fmt.Sprintf("hub-%d", i)),
		}}
		h.start(t)
		t.Cleanup(h.stop)
		return h
	}
	// The first hub creates the replicated streams and buckets alone:
	// two hubs creating them at once on a new cluster can both stall.
	hubs := []*hubProc{startHub(0, urls)}
	waitReady(t, hubs[0].proc, hubs[0].http, 3*time.Minute)
	hubs = append(hubs, startHub(1, []string{urls[1], urls[2], urls[0]}))
	waitReady(t, hubs[1].proc, hubs[1].http, 3*time.Minute)
	agencyHTTP := fmt.Sprintf("127.0.0.1:%d", natsproc.FreePort(t))
	agency := &proc{name: "agency", log: filepath.Join(dir, "agency.log"), args: []string{
		"agency", "--nats-url", strings.Join([]string{urls[2], urls[0], urls[1]}, ","), "--hub", hubs[0].grpc, "--certs", certs,
		"--only", population.Code, "--http-addr", agencyHTTP,
	}}
	agency.start(t)
	t.Cleanup(agency.stop)
	waitReady(t, agency, agencyHTTP, 2*time.Minute)
	for _, url := range []string{"http://" + hubs[0].http + "/readyz", "http://" + agencyHTTP + "/readyz"} {
		if code, _, errOut := runProcess(t, "healthcheck", url); code != 0 {
			t.Fatalf("ndxp healthcheck %s: %s", url, errOut)
		}
	}

	const consumer = "000.00.00.H29"
	creds, err := d.Credentials(consumer)
	if err != nil {
		t.Fatal(err)
	}
	clients := make([]hubv1.ExchangeServiceClient, len(hubs))
	for i, h := range hubs {
		conn, err := grpc.NewClient(h.grpc, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		clients[i] = hubv1.NewExchangeServiceClient(conn)
	}
	payload, _ := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: "001194053383"})

	const workers = 4
	// The load: workers send one id after another, retrying a failed call
	// with the same id on the other hub until it succeeds.
	var (
		mu        sync.Mutex
		sent      = map[string]bool{}
		succeeded = map[string]bool{}
		okCount   atomic.Int64
		attempts  atomic.Int64
		lastOK    [workers]atomic.Int64 // unix nanoseconds of each worker's last success
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hardStop := time.Now().Add(8 * time.Minute)
	for w := range workers {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("k-%d-%d", w, n)
				mu.Lock()
				sent[id] = true
				mu.Unlock()
				for attempt := 0; time.Now().Before(hardStop); attempt++ {
					attempts.Add(1)
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					_, err := clients[(w+attempt)%len(clients)].Exchange(ctx, &hubv1.ExchangeRequest{MessageId: id,
						Provider: population.Code, Service: population.ServiceLookup, Payload: payload, Purpose: "cluster test", UserId: "officer-1"})
					cancel()
					if err == nil {
						mu.Lock()
						succeeded[id] = true
						mu.Unlock()
						okCount.Add(1)
						lastOK[w].Store(time.Now().UnixNano())
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	// progress waits until n more calls succeeded and says how long that
	// took since from.
	progress := func(what string, from time.Time, n int64) time.Duration {
		t.Helper()
		target := okCount.Load() + n
		for time.Now().Before(from.Add(3 * time.Minute)) {
			if okCount.Load() >= target {
				return time.Since(from)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no progress after %s (%d succeeded, %d attempts)\nhub-0:\n%s\nhub-1:\n%s\nagency:\n%s", what, okCount.Load(), attempts.Load(),
			hubs[0].tail(), hubs[1].tail(), agency.tail())
		return 0
	}
	// recovered waits until every worker succeeded again since from (a
	// worker whose call failed has retried it), then until n more calls
	// succeeded, and says how long the first took.
	recovered := func(what string, from time.Time, n int64) time.Duration {
		t.Helper()
		for time.Now().Before(from.Add(3 * time.Minute)) {
			all := true
			for w := range workers {
				all = all && lastOK[w].Load() > from.UnixNano()
			}
			if all {
				took := time.Since(from)
				progress(what, time.Now(), n)
				return took
			}
			time.Sleep(20 * time.Millisecond)
		}
		return progress(what, from, 1<<40)
	}
	progress("start", time.Now(), 30)
	recovery := map[string]time.Duration{}

	// A NATS server dies: clients of the other two carry on; it comes back.
	killed := time.Now()
	servers[1].Kill(t)
	recovery["nats server n2"] = recovered("killing NATS server n2", killed, 10)
	servers[1].Restart(t, true)
	servers[0].WaitStreamsCurrent(t, 2*time.Minute)
	progress("restarting n2", time.Now(), 10)

	// A hub dies: the clients retry on the other one; it comes back.
	killed = time.Now()
	hubs[1].kill()
	recovery["hub-1"] = recovered("killing hub-1", killed, 10)
	hubs[1].start(t)
	waitReady(t, hubs[1].proc, hubs[1].http, 3*time.Minute)
	progress("restarting hub-1", time.Now(), 10)

	// The agency process dies and is started again at once.
	killed = time.Now()
	agency.kill()
	agency.start(t)
	recovery["agency process"] = recovered("killing the agency process", killed, 10)
	progress("after the kills", time.Now(), 20)
	close(stop)
	wg.Wait()

	// Every record of the test, from hub-0 as the operator.
	opCreds, err := d.Credentials(pki.Operator)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stats []hubv1.StatsServiceClient
	var registry []hubv1.RegistryServiceClient
	var access []hubv1.AccessServiceClient
	for _, h := range hubs {
		conn, err := grpc.NewClient(h.grpc, grpc.WithTransportCredentials(opCreds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		stats = append(stats, hubv1.NewStatsServiceClient(conn))
		registry = append(registry, hubv1.NewRegistryServiceClient(conn))
		access = append(access, hubv1.NewAccessServiceClient(conn))
	}
	okRecords := map[string]int{}
	days := map[string]bool{}
	req := &hubv1.QueryRecordsRequest{PageSize: 1000, Agency: consumer}
	for {
		resp, err := stats[0].QueryRecords(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRecords() {
			if r.GetConsumer() == consumer && r.GetCode() == 0 {
				okRecords[r.GetMessageId()]++
				days[vn.Day(r.GetBusinessTime().AsTime())] = true
			}
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	var lost, double, unsent int
	for id := range succeeded {
		switch okRecords[id] {
		case 0:
			lost++
			t.Errorf("%s succeeded but is not counted", id)
		case 1:
		default:
			double++
			t.Errorf("%s is counted %d times", id, okRecords[id])
		}
	}
	for id := range okRecords {
		if !sent[id] {
			unsent++
			t.Errorf("%s is counted but no client sent it", id)
		}
	}
	var totals []int64
	for i, s := range stats {
		var sum int64
		for day := range days {
			resp, err := s.GetStats(ctx, &hubv1.GetStatsRequest{Day: day, Sync: true})
			if err != nil {
				t.Fatalf("stats of hub-%d: %v", i, err)
			}
			sum += resp.GetStats().GetCount().GetSucceeded()
		}
		totals = append(totals, sum)
	}
	if totals[0] != totals[1] || totals[0] != int64(len(okRecords)) {
		t.Errorf("hubs count %v succeeded, records hold %d", totals, len(okRecords))
	}

	if code, out, errOut := runProcess(t, "audit", "verify", "--nats-url", strings.Join(urls, ","), "--certs", certs); code != 0 {
		t.Errorf("ndxp audit verify: exit %d\n%s%s", code, out, errOut)
	}
	for i := range hubs {
		if _, err := registry[i].GetAgency(ctx, &hubv1.GetAgencyRequest{Code: population.Code}); err != nil {
			t.Errorf("hub-%d lost the registration: %v", i, err)
		}
		g, err := access[i].ListGrants(ctx, &hubv1.ListGrantsRequest{})
		if err != nil || len(g.GetGrants()) == 0 {
			t.Errorf("hub-%d lost the grants: %v (%d)", i, err, len(g.GetGrants()))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("cluster test: sent %d ids in %d attempts, succeeded %d, counted %d (hubs %v), lost %d, double-counted %d, counted unsent %d; every client served again after killing: a NATS server %.2fs, a hub %.2fs, the agency process (restarted at once) %.2fs\n",
		len(sent), attempts.Load(), len(succeeded), len(okRecords), totals, lost, double, unsent,
		recovery["nats server n2"].Seconds(), recovery["hub-1"].Seconds(), recovery["agency process"].Seconds())
}
