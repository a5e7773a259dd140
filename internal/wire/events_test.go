package wire

import "testing"

func TestEventSubject(t *testing.T) {
	tests := []struct {
		publisher, typ, want string
		ok                   bool
	}{
		{"000.00.01.G02", "birth-registered", "ndxp.evt.000_00_01_G02.birth-registered", true},
		{"000.00.01.G02", "birth.registered", "", false},
		{"000.00.01.G02", "", "", false},
		{"G02", "birth-registered", "", false},
		{"000.00.01.G02", "*", "", false},
	}
	for _, tt := range tests {
		got, err := EventSubject(tt.publisher, tt.typ)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("EventSubject(%q, %q) = %q, %v; want %q ok=%v", tt.publisher, tt.typ, got, err, tt.want, tt.ok)
		}
	}
}
