package vn

import (
	"testing"
	"time"

	"github.com/ndxp/ndxp/internal/wire"
)

func TestProvincesUnique(t *testing.T) {
	if len(Provinces) != 63 {
		t.Fatalf("len(Provinces) = %d, want 63", len(Provinces))
	}
	codes, agencies := map[string]bool{}, map[string]bool{}
	for _, p := range Provinces {
		if codes[p.Code] || agencies[p.AgencyCode] {
			t.Errorf("duplicate province %+v", p)
		}
		codes[p.Code], agencies[p.AgencyCode] = true, true
		if err := wire.ValidateAgencyCode(p.AgencyCode); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if ProvinceByCode(p.Code) == nil {
			t.Errorf("ProvinceByCode(%q) = nil", p.Code)
		}
	}
}

func TestBusinessDay(t *testing.T) {
	// 18:30 UTC on 14 March is 01:30 on 15 March in Vietnam.
	ts := time.Date(2022, 3, 14, 18, 30, 0, 0, time.UTC)
	if got := Day(ts); got != "2022-03-15" {
		t.Fatalf("Day = %q, want 2022-03-15", got)
	}
	if got := Month(ts); got != "2022-03" {
		t.Fatalf("Month = %q", got)
	}
	d, err := ParseDay("2022-03-15")
	if err != nil || !d.Equal(time.Date(2022, 3, 14, 17, 0, 0, 0, time.UTC)) {
		t.Fatalf("ParseDay = %v, %v", d, err)
	}
}
