package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFormatVersion(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ndxp/ndxp", Version: "v0.3.1"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-02T20:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ndxp/ndxp", Version: "(devel)"}}
	tests := []struct {
		name         string
		info         *debug.BuildInfo
		ldVer, ldRev string
		want         string
	}{
		{"vcs stamped", stamped, "", "", "v0.3.1 (revision 0123abcd, 2026-12-02T20:00:00Z, modified, go1.26.8)"},
		{"no vcs", devel, "", "", "(devel) (no VCS revision recorded, go1.26.8)"},
		{"no build info", nil, "", "", "(devel) (no VCS revision recorded)"},
		{"link-time values win", stamped, "v1.0.0", "feedbeef", "v1.0.0 (revision feedbeef, go1.26.8)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion(tt.info, tt.ldVer, tt.ldRev); got != tt.want {
				t.Fatalf("formatVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestVersionFromVCS builds the binary as a user does from a clone (VCS
// stamping on, whatever GOFLAGS says) and checks that --version names the
// commit checked out. The go command stamps nothing in a git worktree
// (.git is a file there), so a worktree is cloned first.
func TestVersionFromVCS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	src := strings.TrimSpace(string(top))
	if fi, err := os.Stat(filepath.Join(src, ".git")); err != nil || !fi.IsDir() {
		clone := filepath.Join(t.TempDir(), "src")
		if out, err := exec.Command(git, "clone", "--quiet", "--depth", "1", "file://"+src, clone).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		src = clone
	}
	head, err := exec.Command(git, "-C", src, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "ndxp")
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=true", "-o", bin, "./cmd/ndxp")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("ndxp --version: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.HasPrefix(got, "ndxp version v") || !strings.Contains(got, "revision "+strings.TrimSpace(string(head))) {
		t.Fatalf("ndxp --version = %q, want a module version and revision %s", got, head)
	}
}

func TestVersionWithoutVCS(t *testing.T) {
	got, err := execute(t, context.Background(), "--version")
	if err != nil || !strings.HasPrefix(got, "ndxp version ") || !strings.Contains(got, "(devel)") && !strings.Contains(got, "revision ") {
		t.Fatalf("ndxp --version = %q, %v", got, err)
	}
}
