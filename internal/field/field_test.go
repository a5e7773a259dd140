package field_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestCheckNamesEveryField: Check reports every rule a message breaks, by
// field number (a oneof last), in a stable order; Wrap prefixes each; All
// and errors.As see them through wrapping.
func TestCheckNamesEveryField(t *testing.T) {
	err := field.Check(&hubv1.AccessGrant{Provider: "G01", Service: "Citizen"})
	wrapped := fmt.Errorf("refused: %w", field.Wrap("grant", err))
	var got []string
	for _, fe := range field.All(wrapped) {
		got = append(got, fe.Field)
	}
	if fmt.Sprint(got) != "[grant.provider grant.service grant.to]" {
		t.Fatalf("All = %v, want grant.provider, grant.service and grant.to", got)
	}
	var first *field.Error
	if !errors.As(wrapped, &first) || first.Field != "grant.provider" {
		t.Fatalf("errors.As = %v, want the first field", first)
	}
	if err := field.Check(&hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "*",
		To: &hubv1.AccessGrant_Consumer{Consumer: "000.00.00.H29"}}); err != nil {
		t.Fatalf("Check of a valid grant = %v", err)
	}
	if field.All(errors.New("other")) != nil || field.All(nil) != nil {
		t.Fatal("All found fields in an error without any")
	}
}
