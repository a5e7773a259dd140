package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestAgencyUnreachableSaysItOnce runs `ndxp agency` with every node of
// the built-in topology (over a hundred) where nothing can serve them: a
// NATS that has moved (plaintext and TLS) or a folder without the
// agencies' certificates. Each prints one error with a hint, not one per
// node, and exits 3 (NATS unreachable) or 1.
func TestAgencyUnreachableSaysItOnce(t *testing.T) {
	certs := t.TempDir()
	if code, _, stderr := runProcess(t, "certs", "--dir", certs); code != exitOK {
		t.Fatalf("ndxp certs: exit %d, %s", code, stderr)
	}
	moved := "nats://127.0.0.1:1" // nothing listens on port 1
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr, once each
	}{
		{"plaintext", []string{"--insecure"}, exitUnreachable, []string{"cannot reach NATS at " + moved, "hint: start the hub"}},
		{"TLS", []string{"--certs", certs}, exitUnreachable, []string{"cannot reach NATS at " + moved, "hint: start the hub"}},
		{"no certificates", []string{"--certs", t.TempDir()}, exitFailure, []string{"no certificates for the agency nodes", "hint: create them with \"ndxp certs --dir"}},
	}
	agencyCode := regexp.MustCompile(`\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"agency", "--nats-url", moved}, tt.args...)
			code, _, stderr := runProcess(t, args...)
			if code != tt.code {
				t.Fatalf("ndxp %s: exit %d, want %d; stderr %q", strings.Join(args, " "), code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if n := strings.Count(stderr, w); n != 1 {
					t.Errorf("stderr has %q %d times, want once: %q", w, n, stderr)
				}
			}
			if n := strings.Count(stderr, "ndxp: "); n != 1 {
				t.Errorf("stderr has %d errors, want one: %q", n, stderr)
			}
			if codes := agencyCode.FindAllString(stderr, -1); len(codes) > 2 {
				t.Errorf("stderr names %d agencies, want at most the first node's: %q", len(codes), stderr)
			}
		})
	}
}
