// Package natsproc runs nats-server as a separate process for fault tests:
// a process can be paused (SIGSTOP), resumed, killed (SIGKILL) and
// restarted on the same port and store, which an in-process server cannot
// do. The binary is built from the nats-server module in go.mod, once per
// version, and cached in the system's temp directory.
//
//	s := natsproc.Start(t)       // stopped by t.Cleanup
//	s.Pause(t); s.Resume(t)      // a stall: connections stay open
//	s.Kill(t); s.Restart(t)      // a crash: connections drop
package natsproc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const module = "github.com/nats-io/nats-server/v2"

// LogDirEnv names an environment variable: when set to a directory, each
// server's output is appended to <dir>/<name>.log there (for debugging a
// failed test).
const LogDirEnv = "NDXP_NATSPROC_LOGS"

// Server is a nats-server process with JetStream. Its methods are meant for
// the test goroutine; they fail the test on error.
type Server struct {
	name string
	port int
	conf string
	tls  *tls.Config
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Options configure Start.
type Options struct {
	// Name is the server's name (default "n1").
	Name string
	// Cluster, when set, names the JetStream cluster the server joins
	// (see StartCluster).
	Cluster string
	// ClusterPort and Routes are the server's route port and every
	// member's route URL.
	ClusterPort int
	Routes      []string
	// Conf, when set, writes the server's configuration instead of the
	// default one, given the client port and a private folder for the
	// JetStream store (e.g. natsembed.File.Render: a secure server).
	Conf func(port int, dir string) ([]byte, error)
	// TLS is what the readiness checks connect with to a secure server: a
	// certificate whose user may ask JetStream (the hub's).
	TLS *tls.Config
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds nats-server from the module version the ndxp module
// requires (once per test binary; the result is cached by version).
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binary, buildErr = build() })
	if buildErr != nil {
		t.Fatalf("natsproc: %v", buildErr)
	}
	return binary
}

func build() (string, error) {
	version := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == module {
				version = d.Version
			}
		}
	}
	dir := filepath.Join(os.TempDir(), "ndxp-nats-server-"+version)
	bin := filepath.Join(dir, "nats-server")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build under a private name and rename, so that test binaries
	// building at once never run a half-written file.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, "nats-server"), module).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", module, err, out)
	}
	return bin, os.Rename(filepath.Join(tmp, "nats-server"), bin)
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natsproc: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts a single nats-server with JetStream on a free port of
// 127.0.0.1, its store in t.TempDir(), and waits until it serves
// JetStream. t.Cleanup kills it.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartClusterWith(t, 1, nil, nil)[0]
}

// Launch starts the process without waiting for JetStream (a cluster
// member cannot serve until its peers are up).
func Launch(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Name == "" {
		o.Name = "n1"
	}
	dir := t.TempDir()
	s := &Server{name: o.Name, port: FreePort(t), conf: filepath.Join(dir, "nats.conf"), tls: o.TLS}
	if o.Conf != nil {
		b, err := o.Conf(s.port, dir)
		if err != nil {
			t.Fatalf("natsproc: configuration of %s: %v", o.Name, err)
		}
		if err := os.WriteFile(s.conf, b, 0o600); err != nil {
			t.Fatalf("natsproc: %v", err)
		}
		s.start(t)
		t.Cleanup(func() { s.stop() })
		return s
	}
	conf := fmt.Sprintf("server_name: %q\nlisten: \"127.0.0.1:%d\"\njetstream { store_dir: %q, max_memory_store: 256MB, max_file_store: 8GB }\n",
		o.Name, s.port, filepath.Join(dir, "js"))
	if o.Cluster != "" {
		conf += fmt.Sprintf("cluster { name: %q, listen: \"127.0.0.1:%d\", routes: [%s] }\n", o.Cluster, o.ClusterPort, quoteAll(o.Routes))
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatalf("natsproc: %v", err)
	}
	s.start(t)
	t.Cleanup(func() { s.stop() })
	return s
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(Binary(t), "-c", s.conf)
	if dir := os.Getenv(LogDirEnv); dir != "" {
		f, err := os.OpenFile(filepath.Join(dir, s.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatalf("natsproc: %v", err)
		}
		defer f.Close() // the child has its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("natsproc: start %s: %v", s.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
}

// URL is the client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// Name is the server's name.
func (s *Server) Name() string { return s.name }

// WaitReady waits until the server answers JetStream requests.
func (s *Server) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var err error
	for time.Now().Before(deadline) && !s.exited() {
		if err = s.jetStreamReady(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s.exited() {
		err = errExited
	}
	t.Fatalf("natsproc: %s not ready: %v", s.name, err)
}

// ConfFile is the configuration file the server runs with.
func (s *Server) ConfFile() string { return s.conf }

func (s *Server) connect() (*nats.Conn, error) {
	opts := []nats.Option{nats.Timeout(time.Second), nats.NoReconnect()}
	if s.tls != nil {
		opts = append(opts, nats.Secure(s.tls))
	}
	return nats.Connect(s.URL(), opts...)
}

func (s *Server) jetStreamReady() error {
	nc, err := s.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	// $JS.API.INFO needs the JetStream meta leader in a cluster.
	msg, err := nc.Request("$JS.API.INFO", nil, 2*time.Second)
	if err != nil {
		return err
	}
	if strings.Contains(string(msg.Data), `"error"`) {
		return errors.New(string(msg.Data))
	}
	return nil
}

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("natsproc: signal %s to %s: %v", sig, s.name, err)
	}
}

// Pause stops the process (SIGSTOP): connections stay open and nothing is
// answered until Resume.
func (s *Server) Pause(t testing.TB) { s.signal(t, syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume(t testing.TB) { s.signal(t, syscall.SIGCONT) }

// Kill kills the process (SIGKILL) and waits for it to exit.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGKILL)
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	<-done
}

// Restart starts the process again on the same port and store, after
// Kill, and waits until it serves JetStream (set wait false for a cluster
// member whose peers are down).
func (s *Server) Restart(t testing.TB, wait bool) {
	t.Helper()
	s.start(t)
	if wait {
		s.WaitReady(t)
	}
}

// stop kills the process, resuming it first in case it is paused.
func (s *Server) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Kill()
	<-done
}

// StartCluster starts n servers forming one JetStream cluster and waits
// until it has a meta leader that knows every peer.
func StartCluster(t testing.TB, n int) []*Server {
	t.Helper()
	return StartClusterWith(t, n, nil, nil)
}

// ClusterConf writes the configuration of member name of a cluster: its
// client port, route port, every member's route URL and a private folder.
type ClusterConf func(name string, port, clusterPort int, routes []string, dir string) ([]byte, error)

// StartClusterWith is StartCluster with each member's configuration
// written by conf (nil: the default one) and the readiness checks made
// with tlsCfg (nil: plaintext).
//
// The ports are picked free before the servers start, so another process
// may take one meanwhile (the tests of other packages run at the same
// time): a member that cannot bind exits, and the others wait forever for
// a quorum. So a cluster whose member exits while it forms is stopped and
// started again on other ports, up to clusterAttempts times.
func StartClusterWith(t testing.TB, n int, conf ClusterConf, tlsCfg *tls.Config) []*Server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		servers := launchCluster(t, n, conf, tlsCfg)
		err := waitCluster(servers)
		if err == nil {
			return servers
		}
		for _, s := range servers {
			s.stop()
		}
		if attempt == clusterAttempts {
			t.Fatalf("natsproc: cluster of %d not formed: %v", n, err)
		}
		t.Logf("natsproc: %v; starting the cluster again on other ports", err)
	}
}

// clusterAttempts bounds StartClusterWith's tries.
const clusterAttempts = 3

func launchCluster(t testing.TB, n int, conf ClusterConf, tlsCfg *tls.Config) []*Server {
	t.Helper()
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range n {
		ports[i] = FreePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	servers := make([]*Server, n)
	for i := range n {
		o := Options{Name: fmt.Sprintf("n%d", i+1), Cluster: "ndxp-test", ClusterPort: ports[i], Routes: routes, TLS: tlsCfg}
		if n == 1 {
			o = Options{Name: o.Name, TLS: tlsCfg} // a single server, no cluster
		}
		if conf != nil {
			name, cport := o.Name, ports[i]
			o.Conf = func(port int, dir string) ([]byte, error) { return conf(name, port, cport, routes, dir) }
		}
		servers[i] = Launch(t, o)
	}
	return servers
}

// waitCluster waits until every member serves JetStream and a stream
// replicated on all of them can be created (the meta leader knows every
// peer online); it gives up at once when a member exits.
func waitCluster(servers []*Server) error {
	deadline := time.Now().Add(90 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = clusterReady(servers); err == nil {
			return nil
		}
		if errors.Is(err, errExited) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

func clusterReady(servers []*Server) error {
	for _, s := range servers {
		if s.exited() {
			return fmt.Errorf("%s: %w (a port it was given may have been taken meanwhile)", s.name, errExited)
		}
	}
	for _, s := range servers {
		if err := s.jetStreamReady(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return servers[0].probeStream(len(servers))
}

// errExited: the server's process ended.
var errExited = errors.New("the process exited")

// exited reports whether the process has ended.
func (s *Server) exited() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func (s *Server) probeStream(replicas int) error {
	nc, err := s.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "NATSPROC_PROBE", Subjects: []string{"natsproc.probe"}, Replicas: replicas, Storage: jetstream.MemoryStorage}); err != nil {
		return err
	}
	return js.DeleteStream(ctx, "NATSPROC_PROBE")
}

// WaitStreamsCurrent waits until every stream of the account s's
// connection sees has a leader and every replica is current: after a
// member restarts, until then a stream may refuse changes (a hub that
// starts then cannot open its buckets).
func (s *Server) WaitStreamsCurrent(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = s.streamsCurrent(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("natsproc: streams not current after %s: %v", within, err)
}

func (s *Server) streamsCurrent() error {
	nc, err := s.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	names := js.ListStreams(ctx)
	for info := range names.Info() {
		c := info.Cluster
		if c == nil {
			continue
		}
		if c.Leader == "" {
			return fmt.Errorf("stream %s has no leader", info.Config.Name)
		}
		for _, r := range c.Replicas {
			if !r.Current || r.Offline {
				return fmt.Errorf("stream %s: replica %s is not current", info.Config.Name, r.Name)
			}
		}
	}
	return names.Err()
}
