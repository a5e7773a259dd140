package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func TestLoadtestCmd(t *testing.T) {
	env := hubtest.Start(t)
	// A node may register a moment before its subscription reaches NATS:
	// wait until it answers (counted today, not on the replayed day).
	hubtest.Eventually(t, 30*time.Second, func() error {
		_, err := env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-verify",
			Payload: &anypb.Any{TypeUrl: "type.googleapis.com/ndxp.population.v1.VerifyCitizenRequest"},
		})
		if status.Code(err) == codes.Unavailable {
			return err
		}
		return nil
	})
	html := filepath.Join(t.TempDir(), "report.html")
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"green", []string{"--mode", "stream", "--html", html}, nil},
		{"threshold", []string{"--max-p99", "1us"}, errNotGreen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, stderr bytes.Buffer
			root := newRoot()
			root.SetOut(&out)
			root.SetErr(&stderr)
			root.SetArgs(append([]string{"loadtest", "--insecure", "--hub", env.GRPCAddr(), "--profile", "2022-h1", "--scale", "0.0005", "--json"}, tt.args...))
			err := root.ExecuteContext(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var rep struct {
				Sent, Succeeded, Failed int64
				Days                    []struct{ Planned, Sent, Succeeded, Failed, Counted int64 }
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("--json output: %v\n%s", err, out.String())
			}
			// 2022-03-15, a weekday: above the half-year's 1.9 million a day.
			if len(rep.Days) != 1 || rep.Days[0].Planned <= 950 || rep.Sent != rep.Days[0].Planned || rep.Succeeded != rep.Sent || rep.Days[0].Counted != rep.Sent {
				t.Fatalf("sent %d succeeded %d days %+v; want every planned transaction sent, succeeded and counted", rep.Sent, rep.Succeeded, rep.Days)
			}
			if !bytes.Contains(stderr.Bytes(), fmt.Appendf(nil, "%d/%d", rep.Sent, rep.Sent)) {
				t.Errorf("stderr %q lacks the progress line", stderr.String())
			}
			// Not a terminal: plain lines, no '\r' rewriting, no escapes.
			if i := bytes.IndexFunc(append(stderr.Bytes(), out.Bytes()...), isControl); i >= 0 {
				t.Errorf("output redirected to a buffer has a control character at %d: %q", i, stderr.String())
			}
		})
	}
	if matches, _ := filepath.Glob(html); len(matches) != 1 {
		t.Error("no HTML report written")
	}
}
