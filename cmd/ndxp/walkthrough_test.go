package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// grpcurlVersion is the grpcurl the README installs.
const grpcurlVersion = "v1.9.4"

// TestREADMEWalkThrough runs the README's five-minute walk-through as a
// user would after the install step: every command, as written, in bash,
// with `ndxp` and grpcurl on the PATH, against a started `ndxp up` whose
// data (and certificates) are in ~/.cache/ndxp. The only change is the
// addresses: the test's `up` listens on free ports, which the commands get
// through NDXP_HUB and NDXP_NATS_URL and by replacing the default
// addresses. A command marked "# exits 1" must exit 1; every other must
// exit 0 and print something.
func TestREADMEWalkThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform and runs grpcurl")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	commands := walkThrough(t, "../../README.md")
	grpcurl := findGrpcurl(t)

	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// ndxp on the PATH is this test binary running main.
	wrapper := fmt.Sprintf("#!/bin/sh\nNDXP_TEST_RUN_MAIN=1 exec %q \"$@\"\n", os.Args[0])
	if err := os.WriteFile(filepath.Join(bin, "ndxp"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(grpcurl, filepath.Join(bin, "grpcurl")); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "HOME", "PATH", "XDG_CACHE_HOME", "NDXP_HUB", "NDXP_NATS_URL", "NDXP_TEST_RUN_MAIN":
		default:
			env = append(env, kv)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	up := ndxpProcess(t, ctx, "up", "--log-format", "json", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--rest-addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1")
	up.Env = append(env, "NDXP_TEST_RUN_MAIN=1")
	stderr, err := up.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = up.Process.Signal(syscall.SIGTERM)
		_ = up.Wait()
	}()
	lines := &jsonLines{}
	go lines.read(stderr)
	banner := lines.await(t, func(l map[string]any) bool { return l["msg"] == "ndxp is up" })
	grpcAddr, _ := banner["grpc"].(string)
	httpURL, _ := banner["http"].(string)
	natsURL, _ := banner["nats"].(string)
	restURL, _ := banner["rest"].(string)
	if grpcAddr == "" || httpURL == "" || natsURL == "" || restURL == "" {
		t.Fatalf("banner line %v lacks grpc, http, rest or nats", banner)
	}
	httpAddr := strings.TrimPrefix(strings.TrimPrefix(httpURL, "http://"), "https://")
	env = append(env, "NDXP_HUB="+grpcAddr, "NDXP_NATS_URL="+natsURL)

	// A line that only sets a shell variable holds for the lines after it.
	assignment := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*\s*(#.*)?$`)
	var prelude string
	for _, c := range commands {
		line := strings.NewReplacer("127.0.0.1:9090", grpcAddr, "127.0.0.1:8080", httpAddr, "https://127.0.0.1:8443", restURL).Replace(c.line)
		if assignment.MatchString(line) {
			prelude += line + "\n"
			continue
		}
		line = prelude + line
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
		cmd := exec.CommandContext(cctx, "bash", "-o", "pipefail", "-c", line)
		cmd.Env, cmd.Dir = env, home
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		ccancel()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("%s: %v", c.line, err)
		}
		// head closing the pipe early is how a reader stops, not a failure.
		if code == 141 && strings.Contains(line, "| head") {
			code = 0
		}
		switch {
		case code != c.exit:
			t.Errorf("README line %d: %s\nexit status %d, want %d\nstdout: %s\nstderr: %s", c.n, c.line, code, c.exit, out.String(), errOut.String())
		case c.exit == 0 && out.Len() == 0:
			t.Errorf("README line %d: %s\nprinted nothing; stderr: %s", c.n, c.line, errOut.String())
		case c.exit != 0 && errOut.Len() == 0:
			t.Errorf("README line %d: %s\nfailed without a message", c.n, c.line)
		default:
			t.Logf("README line %d ok: %s", c.n, c.line)
		}
	}
}

// walkCommand is one command of the walk-through and the exit status the
// README promises for it.
type walkCommand struct {
	n    int // line number in the README
	line string
	exit int
}

// walkThrough extracts the commands between the walk-through markers of
// the README: the lines of its sh blocks, without comments, continuations
// joined, and each python block as one program.
func walkThrough(t *testing.T, path string) []walkCommand {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	const beginMark, endMark = "<!-- walk-through: begin -->", "<!-- walk-through: end -->"
	exits1 := regexp.MustCompile(`#\s*exits 1\s*$`)
	var cmds []walkCommand
	for offset := 0; ; {
		begin := strings.Index(text[offset:], beginMark)
		if begin < 0 {
			break
		}
		begin += offset
		end := strings.Index(text[begin:], endMark)
		if end < 0 {
			t.Fatalf("%s: a walk-through begins on line %d and never ends", path, strings.Count(text[:begin], "\n")+1)
		}
		end += begin
		offset = end + len(endMark)
		firstLine := strings.Count(text[:begin], "\n") + 1
		var pending string
		fence := "" // the language of the code block we are in, if any
		var program []string
		programLine := 0
		for i, l := range strings.Split(text[begin:end], "\n") {
			trimmed := strings.TrimSpace(l)
			if strings.HasPrefix(trimmed, "```") {
				switch {
				case fence == "":
					fence = strings.TrimPrefix(trimmed, "```")
					program, programLine = nil, firstLine+i+1
				case fence == "python":
					// A Python block is one program, run with python3.
					cmds = append(cmds, walkCommand{n: programLine,
						line: "python3 - <<'NDXP_PY'\n" + strings.Join(program, "\n") + "\nNDXP_PY"})
					fence = ""
				default:
					fence = ""
				}
				continue
			}
			if fence == "python" {
				program = append(program, l)
				continue
			}
			if fence != "sh" || trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			if strings.HasSuffix(trimmed, "\\") {
				pending += strings.TrimSuffix(trimmed, "\\") + " "
				continue
			}
			c := walkCommand{n: firstLine + i, line: pending + trimmed}
			pending = ""
			if exits1.MatchString(c.line) {
				c.exit = 1
			}
			cmds = append(cmds, c)
		}
	}
	if len(cmds) < 5 {
		t.Fatalf("found %d commands in the walk-through, want the whole of it", len(cmds))
	}
	return cmds
}

// findGrpcurl returns grpcurl from the PATH or installs the README's
// version into the user's cache (once; later runs reuse it).
func findGrpcurl(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory to install grpcurl into: %v", err)
	}
	gobin := filepath.Join(cache, "ndxp-test", "grpcurl-"+grpcurlVersion)
	p := filepath.Join(gobin, "grpcurl")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/fullstorydev/grpcurl/cmd/grpcurl@"+grpcurlVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install grpcurl %s (as the README does): %v\n%s", grpcurlVersion, err, out)
	}
	return p
}

// TestDocsLinks: every relative link of the README and docs/ names a file
// that exists and, with a #fragment, one of its headings.
func TestDocsLinks(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md", "../../deploy/README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target, fragment, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := f
			if target != "" {
				path = filepath.Join(filepath.Dir(f), target)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
				continue
			}
			if fragment != "" && strings.HasSuffix(path, ".md") && !hasHeading(t, path, fragment) {
				t.Errorf("%s links to %s: no such heading in %s", f, m[1], path)
			}
		}
	}
}

// hasHeading reports whether the Markdown file has a heading whose
// GitHub anchor is fragment.
func hasHeading(t *testing.T, path, fragment string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		if strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-") == fragment {
			return true
		}
	}
	return false
}
