package synth

import (
	"strconv"
	"time"

	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Nationality is the nationality of every synthetic citizen.
const Nationality = "Việt Nam"

// Citizen returns the record of the synthetic citizen with personal ID
// number id, or false if there is none (see Exists). The record is the
// same on every call and in every process for the same Seed; the caller
// owns the returned message. UpdatedAt is unset and Deceased false: the
// simulator layers registered changes on top.
func (p Population) Citizen(id string) (*populationv1.Citizen, bool) {
	pid, num, ok := decode(id)
	if !ok || !p.exists(pid.BirthYear, num) {
		return nil, false
	}
	// The draws happen in this fixed order: changing it changes every
	// record of every seed (TestCitizenGolden pins one).
	s := &stream{state: key(p.Seed, num, saltRecord)}
	family := familyNames.pick(s.next())
	c := &populationv1.Citizen{
		PersonalId:  id,
		Sex:         pid.Sex,
		Nationality: Nationality,
		PlaceOfBirth: &populationv1.Address{
			Province:     pid.Province.Name,
			ProvinceCode: pid.Province.Code,
		},
	}
	c.FullName = fullName(s, family, pid.Sex, pid.BirthYear)
	c.DateOfBirth = dateOfBirth(s, pid.BirthYear)
	c.PermanentResidence = residence(s, pid.Province)
	c.Ethnicity = ethnicities.pick(s.next())
	c.HouseholdId = householdID(s)
	c.FatherName = fullName(s, family, populationv1.Sex_SEX_MALE, pid.BirthYear-22-s.intn(18))
	c.MotherName = fullName(s, familyNames.pick(s.next()), populationv1.Sex_SEX_FEMALE, pid.BirthYear-18-s.intn(17))
	return c, true
}

// dateOfBirth draws a day of year, "YYYY-MM-DD".
func dateOfBirth(s *stream, year int) string {
	days := 365
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 366
	}
	return time.Date(year, time.January, 1+s.intn(days), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// householdID draws a household book number, "HK" and 10 digits.
func householdID(s *stream) string {
	n := strconv.FormatUint(s.next()%1e10, 10)
	return "HK" + "0000000000"[len(n):] + n
}
