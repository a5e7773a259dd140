package platform

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/docker/go-units"
)

// DefaultMemoryLimit is the soft memory limit `ndxp up` and `ndxp hub`
// give the Go runtime (--memory-limit). Without one, the collector lets
// the heap grow to twice what is live (GOGC=100) before a cycle: under
// load `ndxp up` held about 2.4 times its live heap. With it, the
// collector runs more often as the process nears the limit; it is soft:
// a process whose live memory needs more goes past it (the collector
// then takes at most about half the CPU) rather than failing. A limit
// close to the live heap costs throughput: with 360MiB the full day's
// replay (about 300 MiB live) spent half its CPU collecting; 512MiB
// leaves it room (docs/performance.md).
const DefaultMemoryLimit = "512MiB"

// ApplyMemoryLimit sets the Go runtime's soft memory limit from the
// --memory-limit flag (explicit says whether it was given). GOMEMLIMIT,
// when set, wins over the default (the runtime has already applied it);
// a flag given explicitly wins over both. "0" or "off" means no limit.
// It returns the limit in force (math.MaxInt64: none) and where it came
// from, for the log.
func ApplyMemoryLimit(flag string, explicit bool) (limit int64, source string, err error) {
	if env := os.Getenv("GOMEMLIMIT"); env != "" && !explicit {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT", nil
	}
	v := strings.TrimSpace(flag)
	if v == "0" || strings.EqualFold(v, "off") {
		limit = int64(^uint64(0) >> 1)
	} else {
		if limit, err = units.RAMInBytes(v); err != nil || limit <= 0 {
			return 0, "", fmt.Errorf("--memory-limit %q: want a size such as 384MiB or 1GiB, or off", flag)
		}
	}
	debug.SetMemoryLimit(limit)
	source = "--memory-limit"
	if !explicit {
		source = "default"
	}
	return limit, source, nil
}
