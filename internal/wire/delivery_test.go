package wire

import (
	"errors"
	"testing"
)

func TestDeliverySubject(t *testing.T) {
	tests := []struct {
		provider, service, want string
		err                     error
	}{
		{"000.00.00.H29", "document-send", "ndxp.dlv.000_00_00_H29.document-send", nil},
		{"000.00.01.G01", "a", "ndxp.dlv.000_00_01_G01.a", nil},
		{"000.00.01", "a", "", ErrAgencyCode},
		{"000.00.01.G01", "a.>", "", ErrServiceCode},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.service, func(t *testing.T) {
			got, err := DeliverySubject(tt.provider, tt.service)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("DeliverySubject(%q, %q) = %q, %v; want %q, %v", tt.provider, tt.service, got, err, tt.want, tt.err)
			}
		})
	}
}
