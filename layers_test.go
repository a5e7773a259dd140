package ndxp_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ndxp/ndxp/"

// pkg is what go list says of one package of the module.
type pkg struct {
	ImportPath string
	Imports    []string // direct, test files left out
	Deps       []string // transitive, test files left out
}

// listPackages lists the module's packages with go list.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

// TestLayers keeps the rooms of docs/layout.md apart, each rule a
// direction an import must not take:
//   - the exchange core (hub) speaks no protocol: it imports none of its
//     edges, nor gRPC statuses or servers, nor net/http;
//   - the basement (internal/...) imports nothing above it: no hub,
//     adapters or cmd;
//   - the SDK an integrator builds on (adapters/node) pulls in nothing of
//     the hub, even indirectly: what the two share lives in internal/wire
//     and the contracts.
func TestLayers(t *testing.T) {
	rules := []struct {
		name      string
		applies   func(path string) bool
		transient bool // check every dependency, not only direct imports
		forbidden func(imp string) bool
	}{
		{"the exchange core imports no edge nor protocol server",
			func(p string) bool { return p == module+"hub" }, false,
			func(imp string) bool {
				switch imp {
				case module + "hub/grpcapi", module + "hub/httpapi", module + "hub/restapi",
					"google.golang.org/grpc", "google.golang.org/grpc/status", "net/http":
					return true
				}
				return false
			}},
		{"internal/ imports nothing above it",
			func(p string) bool { return strings.HasPrefix(p, module+"internal/") }, false,
			func(imp string) bool {
				for _, up := range []string{"hub", "adapters", "cmd"} {
					if imp == module+up || strings.HasPrefix(imp, module+up+"/") {
						return true
					}
				}
				return false
			}},
		{"the node SDK pulls in nothing of the hub",
			func(p string) bool { return p == module+"adapters/node" }, true,
			func(imp string) bool { return imp == module+"hub" || strings.HasPrefix(imp, module+"hub/") }},
	}
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		seen[p.ImportPath] = true
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			imports := p.Imports
			if r.transient {
				imports = p.Deps
			}
			for _, imp := range imports {
				if r.forbidden(imp) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, imp)
				}
			}
		}
	}
	for _, must := range []string{"hub", "hub/grpcapi", "hub/httpapi", "adapters/node", "internal/wire"} {
		if !seen[module+must] {
			t.Errorf("go list did not list %s%s: the rules above check nothing", module, must)
		}
	}
}
