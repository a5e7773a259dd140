package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version and revision may be set at build time, with
// -ldflags "-X main.version=v1.2.3 -X main.revision=<commit>", where the
// build has no VCS information to stamp (the container image is built
// from a context without .git). Empty, they come from the build
// information the Go toolchain records in the binary.
var version, revision string

// buildVersion is what `ndxp --version` prints after "ndxp version ": the
// module version, then the VCS revision, its time and whether the tree
// had local changes, and the Go toolchain. A binary built without VCS
// information (go build -buildvcs=false, go run, tests) is "(devel)".
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(info, version, revision)
}

// formatVersion renders info, letting the link-time values ldVersion and
// ldRevision win when they are set. info may be nil (a binary built
// without module support).
func formatVersion(info *debug.BuildInfo, ldVersion, ldRevision string) string {
	v, rev, when, modified, goVersion := "(devel)", "", "", false, ""
	if info != nil {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if ldVersion != "" {
		v = ldVersion
	}
	if ldRevision != "" {
		rev, when, modified = ldRevision, "", false
	}
	var details []string
	if rev != "" {
		details = append(details, "revision "+rev)
	} else {
		details = append(details, "no VCS revision recorded")
	}
	if when != "" {
		details = append(details, when)
	}
	if modified {
		details = append(details, "modified")
	}
	if goVersion != "" {
		details = append(details, goVersion)
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(details, ", "))
}
