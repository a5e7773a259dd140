package synth

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

var householdRE = regexp.MustCompile(`^HK[0-9]{10}$`)

// TestCitizenRecord checks every field of many records.
func TestCitizenRecord(t *testing.T) {
	r := newRand()
	pop := Population{Seed: 11}
	for range 5000 {
		id := pop.Sample(r)
		c, ok := pop.Citizen(id)
		if !ok {
			t.Fatalf("Citizen(%q) not found, yet sampled", id)
		}
		pid, _ := ParseAt(id, now)
		if msg := checkCitizen(c, pid); msg != "" {
			t.Fatalf("Citizen(%q): %s\n%v", id, msg, c)
		}
	}
}

// checkCitizen returns what is wrong with c, the record of pid, or "".
func checkCitizen(c *populationv1.Citizen, pid PID) string {
	for field, name := range map[string]string{"full": c.FullName, "father": c.FatherName, "mother": c.MotherName} {
		if !utf8.ValidString(name) || len(strings.Fields(name)) < 3 || strings.Join(strings.Fields(name), " ") != name {
			return field + " name " + name + " is not three or more words of valid UTF-8"
		}
	}
	if family := strings.Fields(c.FullName)[0]; !strings.HasPrefix(c.FatherName, family+" ") {
		return "father does not share the family name"
	}
	dob, err := time.Parse(time.DateOnly, c.DateOfBirth)
	if err != nil || dob.Format(time.DateOnly) != c.DateOfBirth || dob.Year() != pid.BirthYear {
		return "bad date of birth " + c.DateOfBirth
	}
	if c.PersonalId != pid.String() || c.Sex != pid.Sex {
		return "ID or sex differs from the ID"
	}
	if b := c.PlaceOfBirth; b.ProvinceCode != pid.Province.Code || b.Province != pid.Province.Name {
		return "place of birth is not the ID's province"
	}
	res := c.PermanentResidence
	if p := vn.ProvinceByCode(res.GetProvinceCode()); p == nil || p.Name != res.Province || res.District == "" || res.Ward == "" || res.Street == "" {
		return "incomplete permanent residence"
	}
	switch {
	case c.Ethnicity == "" || !utf8.ValidString(c.Ethnicity):
		return "no ethnicity"
	case c.Nationality != "Việt Nam":
		return "nationality " + c.Nationality
	case !householdRE.MatchString(c.HouseholdId):
		return "household ID " + c.HouseholdId
	case c.Deceased || c.UpdatedAt != nil:
		return "deceased or updated_at set"
	}
	return ""
}

// TestCitizenDistribution checks the shares of common values loosely.
func TestCitizenDistribution(t *testing.T) {
	r := newRand()
	pop := Population{Seed: 13}
	const n = 20_000
	var nguyen, kinh, home, vanThi, old int
	for range n {
		c, _ := pop.Citizen(pop.Sample(r))
		words := strings.Fields(c.FullName)
		if words[0] == "Nguyễn" {
			nguyen++
		}
		if c.Ethnicity == "Kinh" {
			kinh++
		}
		if c.PermanentResidence.ProvinceCode == c.PlaceOfBirth.ProvinceCode {
			home++
		}
		if c.DateOfBirth < "1960" {
			old++
			if words[1] == "Văn" || words[1] == "Thị" {
				vanThi++
			}
		}
	}
	tests := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"Nguyễn", share(nguyen, n), 0.34, 0.42},
		{"Kinh", share(kinh, n), 0.82, 0.88},
		{"residence in province of birth", share(home, n), 0.82, 0.90},
		{"Văn/Thị among those born before 1960", share(vanThi, old), 0.75, 0.85},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("share of %s = %.3f, want %v..%v", tt.name, tt.got, tt.min, tt.max)
		}
	}
}

func share(k, n int) float64 { return float64(k) / float64(n) }

// TestCitizenGolden pins one record, so that a change to the generator,
// which would silently change every synthetic citizen, is deliberate.
func TestCitizenGolden(t *testing.T) {
	pop := Population{Seed: 42}
	const id = "086199204670"
	c, ok := pop.Citizen(id)
	if !ok {
		t.Fatalf("Citizen(%q) not found", id)
	}
	got := strings.Join([]string{id, c.FullName, c.DateOfBirth, c.PermanentResidence.District,
		c.PermanentResidence.Ward, c.PermanentResidence.Street, c.Ethnicity, c.HouseholdId,
		c.FatherName, c.MotherName}, "|")
	const want = "086199204670|Nguyễn Minh Thu|1999-02-07|Huyện Đông Mỹ|Xã Hậu Sơn|Ấp Hải Thọ|" +
		"Kinh|HK6537253300|Nguyễn Văn Nam|Nguyễn Thị Chi"
	if got != want {
		t.Fatalf("record =\n%s\nwant\n%s", got, want)
	}
}
