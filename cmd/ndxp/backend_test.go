package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
)

// TestAgencyBackendProcesses is issue 12's proof with a non-Go stack, as a
// user runs it: `ndxp hub`, the population database served by a Python
// standard-library backend behind `ndxp agency --only 000.00.01.G01
// --backend URL`, called with curl through the REST ingress and with
// `ndxp call` over gRPC; both answered, counted once and recorded.
func TestAgencyBackendProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub, an agency and a Python backend as processes")
	}
	for _, tool := range []string{"python3", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	backend := startBackend(t, ctx)
	dataDir := t.TempDir()

	hubCmd := ndxpProcess(t, ctx, "hub", "--log-format", "json", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--rest-addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1", "--data-dir", dataDir)
	hubLog := startLogged(t, hubCmd)
	up := hubLog.await(t, func(l map[string]any) bool { return l["msg"] == "ndxp is up" })
	grpcAddr, _ := up["grpc"].(string)
	restURL, _ := up["rest"].(string)
	httpAddr, _ := up["http"].(string)
	natsURL, _ := up["nats"].(string)
	if !strings.HasPrefix(restURL, "https://") {
		t.Fatalf("banner %v: want an https REST URL", up)
	}

	agency := ndxpProcess(t, ctx, "agency", "--log-format", "json", "--only", "000.00.01.G01", "--backend", backend,
		"--nats-url", natsURL, "--hub", grpcAddr, "--data-dir", dataDir)
	agencyLog := startLogged(t, agency)
	agencyLog.await(t, func(l map[string]any) bool { return l["msg"] == "agency nodes serving" })

	certs := pki.DefaultDir(dataDir)
	cert, key := certs.Files("000.00.00.H29")
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail-with-body", "--cacert", certs.CAFile(), "--cert", cert, "--key", key,
		"-H", "Ndxp-Message-Id: py-rest", "-H", "Ndxp-Purpose: HS-1", "-H", "Ndxp-User-Id: can-bo-01",
		"-d", `{"personalId": "001194053383"}`, restURL+"/r1/000.00.01.G01/citizen-lookup").Output()
	if err != nil || !strings.Contains(string(out), "Trần Thị Lệ") {
		t.Fatalf("curl through the REST ingress to the Python backend: %v: %s", err, out)
	}
	out2, err := execute(t, ctx, "call", "--hub", grpcAddr, "--data-dir", dataDir, "--as", "000.00.00.H29",
		"000.00.01.G01/citizen-lookup", `{"personalId": "001194053383"}`)
	if err != nil || !strings.Contains(out2, "Trần Thị Lệ") {
		t.Fatalf("ndxp call over gRPC to the Python backend: %v: %s", err, out2)
	}

	hubtest.Eventually(t, 30*time.Second, func() error {
		var st struct {
			Count struct {
				Total     json.Number `json:"total"`
				Succeeded json.Number `json:"succeeded"`
			} `json:"count"`
		}
		if err := getJSON(ctx, "http://"+httpAddr+"/api/stats?sync=1", &st); err != nil {
			return err
		}
		if st.Count.Total != "2" || st.Count.Succeeded != "2" {
			return fmt.Errorf("counted %+v, want 2 succeeded", st.Count)
		}
		var recs struct {
			Records []struct {
				MessageID string `json:"messageId"`
				Consumer  string `json:"consumer"`
			} `json:"records"`
		}
		if err := getJSON(ctx, "http://"+httpAddr+"/api/records?agency=000.00.01.G01", &recs); err != nil {
			return err
		}
		if len(recs.Records) != 2 {
			return fmt.Errorf("records %+v, want 2", recs.Records)
		}
		return nil
	})
}

// startBackend runs the Python backend of adapters/httpbackend/testdata on
// a free port until ctx ends and returns its URL.
func startBackend(t *testing.T, ctx context.Context) string {
	t.Helper()
	py := exec.CommandContext(ctx, "python3", filepath.Join("..", "..", "adapters", "httpbackend", "testdata", "backend.py"), "0")
	py.Stderr = os.Stderr
	stdout, err := py.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := py.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = py.Process.Kill(); _ = py.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("backend.py: %v", err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
}

// startLogged starts cmd, collecting its JSON log lines; it is stopped
// (SIGTERM) and waited for when the test ends.
func startLogged(t *testing.T, cmd *exec.Cmd) *jsonLines {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := &jsonLines{}
	go lines.read(stderr)
	t.Cleanup(func() { _ = cmd.Cancel(); _ = cmd.Wait() })
	return lines
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func TestGrantsAllowed(t *testing.T) {
	env := hubtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := execute(t, ctx, "grants", "allowed", "--insecure", "--hub", env.GRPCAddr(), "--consumer", "000.00.00.H29")
	if err != nil || !strings.Contains(out, "000.00.01.G01  citizen-lookup") {
		t.Fatalf("grants allowed: %v\n%s", err, out)
	}
	if _, err := execute(t, ctx, "grants", "allowed", "--insecure", "--hub", env.GRPCAddr()); err == nil || !strings.Contains(err.Error(), "consumer") {
		t.Fatalf("without a consumer: %v, want an error naming consumer", err)
	}
}
