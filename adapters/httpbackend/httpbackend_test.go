package httpbackend_test

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

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/httpbackend"
	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

const consumer = "000.00.00.H29"

// startPython runs testdata/backend.py on a free port and returns its URL;
// the process is stopped when the test ends.
func startPython(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		need(t, "python3")
	}
	cmd := exec.Command("python3", "testdata/backend.py", "0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("backend.py: %v", err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
}

// need skips a test whose tool is missing, except in CI, where it fails.
func need(t *testing.T, tool string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; CI must install it (.ci/run does)", tool)
	}
	t.Skipf("%s is not installed", tool)
}

// curl posts body to url with the real curl and returns the status and body.
func curl(t *testing.T, args ...string) (int, []byte) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		need(t, "curl")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	file := filepath.Join(t.TempDir(), "body")
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "-o", file, "-w", "%{http_code}"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	body, _ := os.ReadFile(file)
	var status int
	_, _ = fmt.Sscan(string(out), &status)
	return status, body
}

// TestPythonBackend serves the population database from a Python backend
// (the code path of `ndxp agency --only 000.00.01.G01 --backend URL`) and
// calls it with curl over the REST ingress and with gRPC.
func TestPythonBackend(t *testing.T) {
	url := startPython(t)
	topo, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	topo, err = topo.Filter(population.Code)
	if err != nil {
		t.Fatal(err)
	}
	topo.Agencies[0].Backend = url
	set, err := simulators.Build(topo, simulators.Config{})
	if err != nil {
		t.Fatal(err)
	}
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithoutPopulation(),
		hubtest.WithAgencies(&node.Group{Services: set.Services}),
		hubtest.WithGrants(&hubv1.AccessGrant{Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer}}))
	start := time.Now()
	cert, key := env.Certs().Files(consumer)
	rest := func(id, pid string, extra ...string) (int, []byte) {
		args := []string{"--cacert", env.Certs().CAFile(), "--cert", cert, "--key", key,
			"-H", "Ndxp-Message-Id: " + id, "-H", "Ndxp-Purpose: HS-1", "-H", "Ndxp-User-Id: can-bo-01"}
		for _, h := range extra {
			args = append(args, "-H", h)
		}
		return curl(t, append(args, "-d", `{"personalId": "`+pid+`"}`, env.RESTURL()+"/r1/"+population.Code+"/"+population.ServiceLookup)...)
	}

	status, body := rest("py-rest-1", "001194053383")
	if status != http.StatusOK || !strings.Contains(string(body), "Trần Thị Lệ") || !strings.Contains(string(body), consumer) {
		t.Fatalf("REST through the Python backend: %d %s", status, body)
	}

	payload, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: "001194053383"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hubv1.NewExchangeServiceClient(env.DialAs(t, consumer)).Exchange(context.Background(), &hubv1.ExchangeRequest{
		MessageId: "py-grpc-1", Provider: population.Code, Service: population.ServiceLookup, Payload: payload, Purpose: "HS-1", UserId: "can-bo-01",
	})
	if err != nil {
		t.Fatalf("gRPC through the Python backend: %v", err)
	}
	var got populationv1.LookupCitizenResponse
	if err := resp.GetPayload().UnmarshalTo(&got); err != nil || got.GetCitizen().GetFullName() != "Trần Thị Lệ" {
		t.Fatalf("gRPC answer %v (%v)", &got, err)
	}

	for _, tt := range []struct {
		name, pid string
		header    string
		status    int
		code      string
		says      string
	}{
		{"the backend's 400 is INVALID_ARGUMENT naming the field", "12", "", 400, "INVALID_ARGUMENT", "personal_id"},
		{"the backend's 404 is NOT_FOUND", "000000000001", "", 404, "NOT_FOUND", "no citizen"},
		{"a wrong shape is an error naming the field", "999999999999", "", 500, "INTERNAL", "shoeSize"},
		{"a plain 500 is INTERNAL", "777777777777", "", 500, "INTERNAL", "Internal Server Error"},
		{"a slow backend is DEADLINE_EXCEEDED", "888888888888", "Ndxp-Timeout: 1s", 504, "DEADLINE_EXCEEDED", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var extra []string
			if tt.header != "" {
				extra = append(extra, tt.header)
			}
			status, body := rest("py-"+tt.pid, tt.pid, extra...)
			var e struct{ Code, Message string }
			_ = json.Unmarshal(body, &e)
			if status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.says) {
				t.Fatalf("%d %s, want %d %s saying %q", status, body, tt.status, tt.code, tt.says)
			}
		})
	}

	t.Run("both protocols counted once and recorded", func(t *testing.T) {
		const want = 7 // 2 answered, 5 failed
		hubtest.Eventually(t, 20*time.Second, func() error {
			st, err := env.Hub().Stats(context.Background(), vn.Day(time.Now()), true)
			if err != nil {
				return err
			}
			if st.GetCount().GetTotal() != want || st.GetCount().GetSucceeded() != 2 {
				return fmt.Errorf("counted %v, want %d with 2 succeeded", st.GetCount(), want)
			}
			return nil
		})
		recs, err := hubv1.NewStatsServiceClient(env.DialAs(t, pki.Operator)).QueryRecords(context.Background(),
			&hubv1.QueryRecordsRequest{From: timestamppb.New(start.Add(-time.Second)), PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int32{}
		for _, r := range recs.GetRecords() {
			ids[r.GetMessageId()] = r.GetCode()
		}
		if len(ids) != want || ids["py-rest-1"] != 0 || ids["py-grpc-1"] != 0 {
			t.Fatalf("records %v", ids)
		}
	})
}

func TestBackendURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8000", "ftp://x", "http://", "::"} {
		if _, err := httpbackend.New(&hubv1.Agency{Code: population.Code}, u, httpbackend.Config{}); err == nil || !strings.Contains(err.Error(), "http://") {
			t.Errorf("backend %q: %v, want an error asking for an http:// URL", u, err)
		}
	}
	_, err := httpbackend.New(&hubv1.Agency{Code: population.Code, Services: []*hubv1.Service{{Code: "x", RequestType: "no.such.Type"}}}, "http://127.0.0.1:1", httpbackend.Config{})
	if err == nil || !strings.Contains(err.Error(), "no.such.Type") {
		t.Errorf("an unknown type: %v", err)
	}
}
