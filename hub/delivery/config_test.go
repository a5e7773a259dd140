package delivery

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // part of the error; empty: valid
	}{
		{"defaults", Config{}, ""},
		{"quick test settings", Config{Backoff: []time.Duration{10 * time.Millisecond}, AttemptTimeout: time.Second, AckWait: 2 * time.Second}, ""},
		{"ack wait under attempt timeout", Config{AttemptTimeout: time.Minute, AckWait: time.Second}, "must exceed AttemptTimeout"},
		{"duplicates beyond max age", Config{MaxAge: time.Minute, Duplicates: time.Hour}, "duplicate window"},
		{"negative size", Config{MaxBytes: -1}, "must not be negative"},
		{"zero backoff step", Config{Backoff: []time.Duration{time.Second, 0}}, "backoff step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.setDefaults()
			err := tt.cfg.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	c := Config{Backoff: []time.Duration{time.Second, time.Minute}}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: time.Minute, 50: time.Minute} {
		if got := c.backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}

func TestKey(t *testing.T) {
	a, b := Key("000.00.00.H29", "a|b c"), Key("000.00.00.H29", "a|b d")
	if a == b || strings.ContainsAny(a, "| ") || !strings.HasPrefix(a, "000_00_00_H29.") {
		t.Fatalf("Key = %q, %q: want distinct keys of allowed characters under the consumer's token", a, b)
	}
}
