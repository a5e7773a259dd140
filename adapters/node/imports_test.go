package node

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSDKImportsNoHub: the SDK an integrator builds on pulls in nothing of
// the hub: what the two share (subjects, headers, identities, code names,
// registration rules) lives in internal/wire and the contracts.
func TestSDKImportsNoHub(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/ndxp/ndxp/hub") {
			t.Errorf("adapters/node imports %s", pkg)
		}
	}
}
