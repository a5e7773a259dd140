package restapi_test

import (
	"bufio"
	"bytes"
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

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

const (
	consumer = "000.00.00.H29" // Hồ Chí Minh City's LGSP
	knownID  = "001194053383"  // exists in the seed-1 population
)

// reply is one curl answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
}

// need skips a test whose tool is missing, except in CI (.ci/run
// installs it), where it fails.
func need(t *testing.T, tool string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; CI must install it (.ci/run does)", tool)
	}
	t.Skipf("%s is not installed", tool)
}

// curl runs the real curl with args and parses its answer (HTTP/1.1, so
// that the status line parses).
func curl(t *testing.T, args ...string) reply {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		need(t, "curl")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bodyFile := filepath.Join(t.TempDir(), "body")
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "-D", "-", "-o", bodyFile, "--http1.1"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %v: %v", args, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("curl %v: answer %q: %v", args, out, err)
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

// as is the curl arguments of agency code's certificate.
func as(env *hubtest.Env, code string) []string {
	cert, key := env.Certs().Files(code)
	return []string{"--cacert", env.Certs().CAFile(), "--cert", cert, "--key", key}
}

func post(env *hubtest.Env, who []string, path, body string, headers ...string) []string {
	args := append([]string{}, who...)
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	return append(args, "-H", "Content-Type: application/json", "-d", body, env.RESTURL()+path)
}

func TestRESTExchangeWithCurl(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	h29 := as(env, consumer)
	lookup := "/r1/" + population.Code + "/" + population.ServiceLookup
	who := []string{"Ndxp-Purpose: HS-2024-001", "Ndxp-User-Id: can-bo-01"}
	start := time.Now()
	calls := 0 // exchanges the hub must have recorded and counted

	t.Run("a lookup answers the citizen as JSON", func(t *testing.T) {
		calls++
		r := curl(t, post(env, h29, lookup, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Message-Id: rest-ok-1")...)...)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var got struct {
			Citizen struct {
				FullName string `json:"fullName"`
			} `json:"citizen"`
		}
		r.decode(t, &got)
		if got.Citizen.FullName == "" {
			t.Fatalf("no citizen in %s", r.body)
		}
		if r.header.Get("Ndxp-Message-Id") != "rest-ok-1" || r.header.Get("Ndxp-Business-Day") != vn.Day(time.Now()) {
			t.Fatalf("headers %v", r.header)
		}
		if r.header.Get("Ndxp-Response-Type") != "ndxp.population.v1.LookupCitizenResponse" {
			t.Fatalf("response type %q", r.header.Get("Ndxp-Response-Type"))
		}
	})

	tests := []struct {
		name    string
		args    []string
		status  int
		code    string
		field   string // in details, when set
		counted bool
	}{
		{"a malformed number is the provider's INVALID_ARGUMENT", post(env, h29, lookup, `{"personalId": "0011940"}`, who...), 400, "INVALID_ARGUMENT", "personal_id", true},
		{"a body of the wrong shape names the body", post(env, h29, lookup, `{"personalId": 12, "nope": true}`, who...), 400, "INVALID_ARGUMENT", "body", true},
		{"a body that is not JSON names the body", post(env, h29, lookup, `{"personalId"`, who...), 400, "INVALID_ARGUMENT", "body", true},
		{"personal data needs a purpose", post(env, h29, lookup, `{"personalId": "`+knownID+`"}`), 400, "INVALID_ARGUMENT", "purpose", true},
		{"acting for another agency is refused", post(env, h29, lookup, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Consumer: 000.00.00.H01")...), 403, "PERMISSION_DENIED", "", true},
		{"an unknown service is not found", post(env, h29, "/r1/"+population.Code+"/no-such-service", `{}`, who...), 404, "NOT_FOUND", "", true},
		{"a bad timeout names the header", post(env, h29, lookup, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Timeout: soon")...), 400, "INVALID_ARGUMENT", "Ndxp-Timeout", true},
		{"a message id reused for another request conflicts", post(env, h29, lookup, `{"personalId": "001094000011"}`, append(who, "Ndxp-Message-Id: rest-ok-1")...), 409, "ALREADY_EXISTS", "", true},
		{"a purpose of invalid UTF-8 names it", post(env, h29, lookup, `{"personalId": "`+knownID+`"}`, "Ndxp-Purpose: \xff\xfe", "Ndxp-User-Id: u"), 400, "INVALID_ARGUMENT", "purpose", true},
		{"a message id of invalid UTF-8 names it", post(env, h29, lookup, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Message-Id: \xffid")...), 400, "INVALID_ARGUMENT", "message_id", true},
		{"a provider of invalid UTF-8 names it", post(env, h29, "/r1/%FF%FE/citizen-lookup", `{}`, who...), 400, "INVALID_ARGUMENT", "provider", true},
		{"a body of invalid UTF-8 names the body", post(env, h29, lookup, "{\"personalId\": \"\xff\"}", who...), 400, "INVALID_ARGUMENT", "body", true},
		{"no client certificate is unauthenticated", post(env, []string{"--cacert", env.Certs().CAFile()}, lookup, `{}`, who...), 401, "UNAUTHENTICATED", "", false},
		{"an unknown route is a JSON 404", append(h29, env.RESTURL()+"/r1/nowhere"), 404, "NOT_FOUND", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.counted {
				calls++
			}
			r := curl(t, tt.args...)
			var e struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details []struct {
					Field string `json:"field"`
				} `json:"details"`
			}
			r.decode(t, &e)
			if r.status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("status %d %s, want %d %s: %s", r.status, e.Code, tt.status, tt.code, r.body)
			}
			if tt.field != "" && (len(e.Details) != 1 || e.Details[0].Field != tt.field) {
				t.Fatalf("details %+v, want field %s", e.Details, tt.field)
			}
		})
	}

	t.Run("every exchange is recorded and counted once, as over gRPC", func(t *testing.T) {
		ctx := context.Background()
		hubtest.Eventually(t, 20*time.Second, func() error {
			st, err := env.Hub().Stats(ctx, vn.Day(time.Now()), true)
			if err != nil {
				return err
			}
			if st.GetCount().GetTotal() != int64(calls) {
				return fmt.Errorf("counted %d, want %d: %v", st.GetCount().GetTotal(), calls, st.GetByCode())
			}
			return nil
		})
		stats := hubv1.NewStatsServiceClient(env.DialAs(t, pki.Operator))
		resp, err := stats.QueryRecords(ctx, &hubv1.QueryRecordsRequest{From: timestamppb.New(start), PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetRecords()) != calls {
			t.Fatalf("%d records, want %d", len(resp.GetRecords()), calls)
		}
		ok := 0
		for _, rec := range resp.GetRecords() {
			if rec.GetCode() == 0 {
				ok++
				if rec.GetMessageId() != "rest-ok-1" || rec.GetConsumer() != consumer || rec.GetPurpose() != "HS-2024-001" || len(rec.GetRequestHash()) == 0 {
					t.Fatalf("record %v", rec)
				}
			}
		}
		if ok != 1 {
			t.Fatalf("%d successful records, want 1", ok)
		}
	})
}

func TestRESTAsyncSend(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	h29 := as(env, consumer)
	who := []string{"Ndxp-Purpose: HS-2024-001", "Ndxp-User-Id: can-bo-01"}
	path := "/r1/send/" + population.Code + "/" + population.ServiceLookup
	body := `{"personalId": "` + knownID + `"}`

	r := curl(t, post(env, h29, path, body, who...)...)
	if r.status != 400 || !strings.Contains(string(r.body), "message_id") {
		t.Fatalf("a send without a message id: %d %s", r.status, r.body)
	}
	r = curl(t, post(env, h29, path, body, append(who, "Ndxp-Message-Id: rest-send-1")...)...)
	if r.status != http.StatusAccepted || r.header.Get("Location") != "/r1/deliveries/rest-send-1" {
		t.Fatalf("send: %d %v %s", r.status, r.header, r.body)
	}
	var d struct {
		State   string `json:"state"`
		Payload struct {
			Type    string `json:"@type"`
			Citizen struct {
				FullName string `json:"fullName"`
			} `json:"citizen"`
		} `json:"payload"`
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		r = curl(t, append(h29, env.RESTURL()+"/r1/deliveries/rest-send-1")...)
		r.decode(t, &d)
		if d.State != "DELIVERY_STATE_DELIVERED" {
			return fmt.Errorf("delivery %d %s", r.status, r.body)
		}
		return nil
	})
	if d.Payload.Citizen.FullName == "" {
		t.Fatalf("delivered without the citizen: %s", r.body)
	}
	r = curl(t, append(as(env, "000.00.00.H01"), env.RESTURL()+"/r1/deliveries/rest-send-1")...)
	if r.status != http.StatusNotFound {
		t.Fatalf("another agency's delivery: %d %s", r.status, r.body)
	}
}
