package field

import "testing"

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		msg, field, reason string
		ok                 bool
	}{
		{(&Error{Field: "personal_id", Reason: "want 12 digits"}).Error(), "personal_id", "want 12 digits", true},
		{"invalid agency.services[2].code: too long", "agency.services[2].code", "too long", true},
		{"invalid personal ID: 12", "", "", false},
		{"no citizen", "", "", false},
		{"invalid : x", "", "", false},
	} {
		e, ok := Parse(tt.msg)
		if ok != tt.ok || (ok && (e.Field != tt.field || e.Reason != tt.reason)) {
			t.Errorf("Parse(%q) = %+v, %v", tt.msg, e, ok)
		}
	}
}
