package platform_test

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/ndxp/ndxp/cmd/ndxp/platform"
)

// TestMemoryLimit: the default applies unless GOMEMLIMIT is set, an
// explicit --memory-limit wins over both, "off" removes the limit, and a
// size that is not one is refused naming the flag.
func TestMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	t.Setenv("GOMEMLIMIT", "")
	if got, src, err := platform.ApplyMemoryLimit(platform.DefaultMemoryLimit, false); err != nil || got != 512<<20 || src != "default" {
		t.Fatalf("default: %d %q %v, want %d from the default", got, src, err, 512<<20)
	}
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Fatalf("runtime limit %d after the default", got)
	}
	if got, _, err := platform.ApplyMemoryLimit("1GiB", true); err != nil || got != 1<<30 {
		t.Fatalf("1GiB: %d %v", got, err)
	}
	if got, _, err := platform.ApplyMemoryLimit("off", true); err != nil || got != math.MaxInt64 {
		t.Fatalf("off: %d %v", got, err)
	}
	for _, bad := range []string{"lots", "-5MiB", ""} {
		if _, _, err := platform.ApplyMemoryLimit(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}

	// GOMEMLIMIT set: the runtime applied it at start; the default leaves it.
	t.Setenv("GOMEMLIMIT", "200MiB")
	debug.SetMemoryLimit(200 << 20)
	if got, src, err := platform.ApplyMemoryLimit(platform.DefaultMemoryLimit, false); err != nil || got != 200<<20 || src != "GOMEMLIMIT" {
		t.Fatalf("with GOMEMLIMIT: %d %q %v", got, src, err)
	}
	if got, src, _ := platform.ApplyMemoryLimit("700MiB", true); got != 700<<20 || src != "--memory-limit" {
		t.Fatalf("explicit flag with GOMEMLIMIT: %d %q", got, src)
	}
}
