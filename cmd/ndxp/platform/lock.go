package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// ErrDataDirInUse: another process (or platform) runs with the same data
// dir: two embedded NATS servers on one JetStream store would each
// rebuild and overwrite the other's state.
// Errors returned wrap it as a *DataDirInUseError.
var ErrDataDirInUse = errors.New("platform: data dir in use")

// DataDirInUseError says which process holds a data dir.
type DataDirInUseError struct {
	// Dir is the data dir.
	Dir string
	// Holder describes the holding process: "process 1234 (ndxp up)", or
	// "another process" if the lock file does not say.
	Holder string
}

func (e *DataDirInUseError) Error() string {
	return "platform: data dir " + e.Dir + " is in use by " + e.Holder + "; stop it or use another --data-dir"
}

// Is makes errors.Is(err, ErrDataDirInUse) hold.
func (e *DataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// LockFile is the file in the data dir whose lock a running platform with
// an embedded NATS holds; it names the holder (PID, then command).
const LockFile = "ndxp.lock"

// lockDataDir takes the exclusive lock of dir (an OS file lock, released
// by the OS if the process dies) and writes this process into the lock
// file, or fails at once naming the process that holds it.
func lockDataDir(dir string) (*flock.Flock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("platform: create data dir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	l := flock.New(path)
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("platform: lock data dir %s: %w", dir, err)
	}
	if !ok {
		return nil, &DataDirInUseError{Dir: dir, Holder: holder(path)}
	}
	// Best effort: the lock itself is what excludes; the text only makes
	// the refusal say who holds it.
	_ = os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"+command()+"\n"), 0o600)
	return l, nil
}

// holder describes the process named in a lock file.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "another process"
	}
	pid, cmd, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if _, err := strconv.Atoi(pid); err != nil {
		return "another process"
	}
	if cmd == "" {
		return "process " + pid
	}
	return "process " + pid + " (" + cmd + ")"
}

// command is this process's program and subcommand, e.g. "ndxp up".
func command() string {
	if len(os.Args) == 0 {
		return ""
	}
	cmd := filepath.Base(os.Args[0])
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd += " " + os.Args[1]
	}
	return cmd
}

// unlockDataDir releases the lock taken by lockDataDir; the file stays,
// since removing it could let a third process lock a file the second one
// is about to open.
func unlockDataDir(l *flock.Flock) error {
	if l == nil {
		return nil
	}
	return l.Unlock()
}
