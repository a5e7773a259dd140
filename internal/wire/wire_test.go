package wire

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestServiceSubject(t *testing.T) {
	tests := []struct {
		provider, service string
		want              string
		err               error
	}{
		{"000.00.00.H29", "citizen-lookup", "ndxp.svc.000_00_00_H29.citizen-lookup", nil},
		{"000.00.01.G01", "a", "ndxp.svc.000_00_01_G01.a", nil},
		{"000.00.00.h29", "citizen-lookup", "", ErrAgencyCode},
		{"00.00.00.H29", "citizen-lookup", "", ErrAgencyCode},
		{"000.00.00.H29.", "citizen-lookup", "", ErrAgencyCode},
		{"000.00.00.H2*", "citizen-lookup", "", ErrAgencyCode},
		{"", "citizen-lookup", "", ErrAgencyCode},
		{"000.00.00.H29", "", "", ErrServiceCode},
		{"000.00.00.H29", "Citizen", "", ErrServiceCode},
		{"000.00.00.H29", "a.b", "", ErrServiceCode},
		{"000.00.00.H29", "a>", "", ErrServiceCode},
		{"000.00.00.H29", "a b", "", ErrServiceCode},
		{"000.00.00.H29", "1abc", "", ErrServiceCode},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.service, func(t *testing.T) {
			got, err := ServiceSubject(tt.provider, tt.service)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ServiceSubject(%q, %q) error = %v, want %v", tt.provider, tt.service, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("ServiceSubject(%q, %q) = %q, want %q", tt.provider, tt.service, got, tt.want)
			}
		})
	}
}

func TestRecordSubject(t *testing.T) {
	tests := []struct{ consumer, provider, service, want string }{
		{"000.00.00.H29", "000.00.01.G01", "citizen-lookup", "ndxp.tx.000_00_00_H29.000_00_01_G01.citizen-lookup"},
		{"bad", "", "x.y", "ndxp.tx._._._"},
	}
	for _, tt := range tests {
		if got := RecordSubject(tt.consumer, tt.provider, tt.service); got != tt.want {
			t.Errorf("RecordSubject(%q, %q, %q) = %q, want %q", tt.consumer, tt.provider, tt.service, got, tt.want)
		}
	}
}

func TestAgencySubjectsAndName(t *testing.T) {
	got, err := AgencySubjects("000.00.00.H29")
	if err != nil || got != "ndxp.svc.000_00_00_H29.>" {
		t.Fatalf("AgencySubjects = %q, %v", got, err)
	}
	if got := ServiceName("000.00.00.H29"); got != "ndxp-000_00_00_H29" {
		t.Fatalf("ServiceName = %q", got)
	}
}

// TestValidatorsMatchTheirPatterns checks the hand-written validators
// against the regular expressions they stand for.
func TestValidatorsMatchTheirPatterns(t *testing.T) {
	agencyRE := regexp.MustCompile(`^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$`)
	serviceRE := regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	inputs := []string{"", "000.00.00.H29", "999.99.99.Z99", "000.00.00.h29", "000.00.00.H2", "000.00.00.H299", "000-00-00-H29",
		"a", "z9-", "-a", "A", "a.b", strings.Repeat("a", 64), strings.Repeat("a", 65), "citizen-lookup", "é", "a\x00", "0a"}
	for _, in := range inputs {
		if got, want := isAgencyCode(in), agencyRE.MatchString(in); got != want {
			t.Errorf("isAgencyCode(%q) = %v, want %v", in, got, want)
		}
		if got, want := isServiceCode(in), serviceRE.MatchString(in); got != want {
			t.Errorf("isServiceCode(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzValidators(f *testing.F) {
	agencyRE := regexp.MustCompile(`^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$`)
	serviceRE := regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	for _, s := range []string{"000.00.00.H29", "citizen-lookup", "", "a.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if isAgencyCode(in) != agencyRE.MatchString(in) || isServiceCode(in) != serviceRE.MatchString(in) {
			t.Fatalf("validators disagree with their patterns on %q", in)
		}
	})
}
