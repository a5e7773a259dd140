package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ndxp/ndxp/internal/hubtest"
)

func TestLoadtestCmd(t *testing.T) {
	env := hubtest.Start(t)
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
			root.SetArgs(append([]string{"loadtest", "--hub", env.GRPCAddr(), "--profile", "2022-h1", "--scale", "0.0005", "--json"}, tt.args...))
			err := root.ExecuteContext(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var rep struct {
				Sent, Succeeded, Failed int64
				Days                    []struct{ Sent, Succeeded, Failed, Counted int64 }
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("--json output: %v\n%s", err, out.String())
			}
			if rep.Sent != 950 || rep.Succeeded != 950 || len(rep.Days) != 1 || rep.Days[0].Counted != 950 {
				t.Errorf("sent %d succeeded %d days %+v; want 950 sent, succeeded and counted", rep.Sent, rep.Succeeded, rep.Days)
			}
			if !bytes.Contains(stderr.Bytes(), []byte("950/950")) {
				t.Errorf("stderr %q lacks the progress line", stderr.String())
			}
		})
	}
	if matches, _ := filepath.Glob(html); len(matches) != 1 {
		t.Error("no HTML report written")
	}
}
