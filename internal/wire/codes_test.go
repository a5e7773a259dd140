package wire

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestCodeNamesAreGRPCs: every name is gRPC's own code, upper snake case,
// and reads back to its number.
func TestCodeNamesAreGRPCs(t *testing.T) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		name := CodeName(int32(c))
		// grpc-go spells Canceled the American way; the canonical name is
		// google.rpc.Code's.
		if want := strings.ToUpper(c.String()); strings.ReplaceAll(name, "_", "") != want && !(c == codes.Canceled && name == "CANCELLED") {
			t.Errorf("CodeName(%d) = %s, want gRPC's %s", c, name, c)
		}
		if n, ok := CodeOf(name); !ok || n != int32(c) {
			t.Errorf("CodeOf(%s) = %d, %v", name, n, ok)
		}
	}
	if CodeName(99) != "UNKNOWN" || CodeName(-1) != "UNKNOWN" {
		t.Error("an undefined number is not UNKNOWN")
	}
	if _, ok := CodeOf("NOPE"); ok {
		t.Error("CodeOf took a name that is not a code")
	}
}

// TestHTTPStatusRoundTrip: the codes a REST client tells apart by status
// come back as themselves from an HTTP backend's status.
func TestHTTPStatusRoundTrip(t *testing.T) {
	for _, c := range []codes.Code{codes.InvalidArgument, codes.Unauthenticated, codes.PermissionDenied, codes.NotFound,
		codes.AlreadyExists, codes.ResourceExhausted, codes.Unimplemented, codes.Unavailable, codes.DeadlineExceeded} {
		if got := CodeOfHTTPStatus(HTTPStatus(c)); got != c {
			t.Errorf("%s -> HTTP %d -> %s", c, HTTPStatus(c), got)
		}
	}
	if CodeOfHTTPStatus(500) != codes.Internal || CodeOfHTTPStatus(418) != codes.Unknown {
		t.Error("an HTTP status gRPC does not map is not Internal (5xx) or Unknown")
	}
}
