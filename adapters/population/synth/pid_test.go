package synth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// now is the clock of the parse tests: mid-2026 in Vietnam.
var now = time.Date(2026, time.June, 1, 0, 0, 0, 0, vn.Zone)

const (
	male   = populationv1.Sex_SEX_MALE
	female = populationv1.Sex_SEX_FEMALE
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		id   string
		want PID
	}{
		{"001090012345", PID{vn.ProvinceByCode("001"), male, 1990, 12345}},
		{"079301000001", PID{vn.ProvinceByCode("079"), female, 2001, 1}},
		{"096899999999", PID{vn.ProvinceByCode("096"), male, 1899, 999999}},
		{"096999999999", PID{vn.ProvinceByCode("096"), female, 1899, 999999}},
		{"038826000000", PID{vn.ProvinceByCode("038"), male, 1826, 0}},
		{"001000000000", PID{vn.ProvinceByCode("001"), male, 1900, 0}},
		{"001226000000", PID{vn.ProvinceByCode("001"), male, 2026, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := ParseAt(tt.id, now)
			if err != nil {
				t.Fatalf("ParseAt(%q) error = %v", tt.id, err)
			}
			if got != tt.want {
				t.Fatalf("ParseAt(%q) = %+v, want %+v", tt.id, got, tt.want)
			}
			if s := got.String(); s != tt.id {
				t.Fatalf("String() = %q, want %q", s, tt.id)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"empty", "", `"": want 12 digits, got 0 characters`},
		{"short", "12345", `"12345": want 12 digits, got 5 characters`},
		{"one", "1", `"1": want 12 digits, got 1 character`},
		{"long", "0010900123456", `"0010900123456": want 12 digits, got 13 characters`},
		{"very long", strings.Repeat("1", 40), `"111111111111111111111111"...: want 12 digits, got 40 characters`},
		{"letter", "00109001234a", `"00109001234a": want only digits 0-9, got 'a' at position 12`},
		{"space", "001 90012345", `"001 90012345": want only digits 0-9, got ' ' at position 4`},
		{"sign", "-01090012345", `"-01090012345": want only digits 0-9, got '-' at position 1`},
		{"fullwidth digit", "０01090012345", `"０01090012345": want only digits 0-9, got '０' at position 1`},
		{"invalid UTF-8", "00109001234\xff", `"00109001234\xff": want only digits 0-9, got invalid UTF-8 at position 12`},
		{"unknown province", "099090012345", `"099090012345": unknown province code "099": want the code of one of the 63 provinces`},
		{"province zero", "000090012345", `"000090012345": unknown province code "000": want the code of one of the 63 provinces`},
		{"next year", "001227000000", `"001227000000": birth year 2027 is in the future (current year 2026)`},
		{"next century", "001499000000", `"001499000000": birth year 2199 is in the future (current year 2026)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAt(tt.id, now)
			if !errors.Is(err, ErrPersonalID) {
				t.Fatalf("ParseAt(%q) error = %v, want ErrPersonalID", tt.id, err)
			}
			if want := "synth: invalid personal ID " + tt.want; err.Error() != want {
				t.Fatalf("error = %q\nwant    %q", err, want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	if err := Validate("001090012345"); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	// A birth year far in the future fails whatever the clock says.
	for _, id := range []string{"001790012345", "12345", "001699000000"} {
		if err := Validate(id); !errors.Is(err, ErrPersonalID) {
			t.Errorf("Validate(%q) = %v, want ErrPersonalID", id, err)
		}
	}
}

func TestPIDValidate(t *testing.T) {
	hanoi := vn.ProvinceByCode("001")
	tests := []struct {
		name string
		pid  PID
		want string // substring of the error, "" for valid
	}{
		{"valid", PID{hanoi, female, 1975, 42}, ""},
		{"no province", PID{nil, male, 1990, 1}, "no province"},
		{"unknown province", PID{&vn.Province{Code: "099"}, male, 1990, 1}, `unknown province code "099"`},
		{"no sex", PID{hanoi, populationv1.Sex_SEX_UNSPECIFIED, 1990, 1}, "sex SEX_UNSPECIFIED"},
		{"year too early", PID{hanoi, male, 1799, 1}, "birth year 1799: want 1800..2299"},
		{"year too late", PID{hanoi, male, 2300, 1}, "birth year 2300"},
		{"negative serial", PID{hanoi, male, 1990, -1}, "serial -1"},
		{"serial too big", PID{hanoi, male, 1990, 1_000_000}, "serial 1000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pid.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrPersonalID) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want ErrPersonalID containing %q", err, tt.want)
			}
			if s := tt.pid.String(); Validate(s) == nil {
				t.Fatalf("String() of invalid PID = %q, which parses", s)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	far := time.Date(2300, time.January, 1, 0, 0, 0, 0, vn.Zone)
	for i := range vn.Provinces {
		prov := &vn.Provinces[i]
		for _, sex := range []populationv1.Sex{male, female} {
			for _, year := range []int{1800, 1899, 1900, 1999, 2000, 2024, 2150, 2299} {
				in := PID{prov, sex, year, (i*7919 + year) % 1_000_000}
				out, err := ParseAt(in.String(), far)
				if err != nil || out != in {
					t.Fatalf("ParseAt(%q) = %+v, %v, want %+v", in.String(), out, err, in)
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, id := range []string{
		"001090012345", "079301000001", "096899999999", "", "12345",
		"099090012345", "00109001234\xff", "０01090012345", "001999999999",
	} {
		f.Add(id)
	}
	var pop Population
	f.Fuzz(func(t *testing.T, id string) {
		p, err := ParseAt(id, now)
		if err != nil {
			if !errors.Is(err, ErrPersonalID) {
				t.Fatalf("ParseAt(%q) error %v does not wrap ErrPersonalID", id, err)
			}
			if pop.Exists(id) {
				t.Fatalf("Exists(%q) for an invalid ID", id)
			}
			return
		}
		if s := p.String(); s != id {
			t.Fatalf("ParseAt(%q).String() = %q", id, s)
		}
		if c, ok := pop.Citizen(id); ok && c.PersonalId != id {
			t.Fatalf("Citizen(%q).PersonalId = %q", id, c.PersonalId)
		}
	})
}
