package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Defaults and limits of a Population.
const (
	// DefaultDensity is the density of a Population whose Density is zero.
	DefaultDensity = 0.25
	// MaxDensity caps Density, so that IDs that do not exist remain easy
	// to find for SampleMissing and Free.
	MaxDensity = 0.9
	// FirstBirthYear and LastBirthYear bound the birth years of synthetic
	// citizens; IDs with other birth years never exist.
	FirstBirthYear = 1925
	LastBirthYear  = 2024
)

// Population is a synthetic population: which valid personal ID numbers
// belong to a citizen, and each citizen's record, are computed from
// (Seed, ID) alone, identically in every process, without memory. The
// zero value is a usable population. Its methods are safe for concurrent
// use; the *rand.Rand they take is not shared-safe and belongs to the
// caller.
type Population struct {
	// Seed selects the population: the same seed always yields the same
	// citizens with the same records.
	Seed uint64
	// Density is the fraction of the valid IDs with a birth year in
	// FirstBirthYear..LastBirthYear that belong to a citizen. Zero (or
	// any value that is not positive) means DefaultDensity; values above
	// MaxDensity count as MaxDensity. Changing it adds or removes citizens
	// but does not change the records of those in both populations.
	Density float64
}

// density is p.Density with the default and the cap applied.
func (p Population) density() float64 {
	switch d := p.Density; {
	case !(d > 0): // also NaN
		return DefaultDensity
	case d > MaxDensity:
		return MaxDensity
	default:
		return d
	}
}

// Exists reports whether id is the personal ID number of a synthetic
// citizen. Malformed IDs never exist. It takes constant time and does not
// allocate.
func (p Population) Exists(id string) bool {
	pid, num, ok := decode(id)
	return ok && p.exists(pid.BirthYear, num)
}

// exists is Exists for a decoded ID.
func (p Population) exists(birthYear int, num uint64) bool {
	if birthYear < FirstBirthYear || birthYear > LastBirthYear {
		return false
	}
	return key(p.Seed, num, saltExists) < uint64(math.Ldexp(p.density(), 64))
}

// Sample returns the personal ID number of a random existing citizen,
// born in a province drawn by population, with a uniform sex and birth
// year.
func (p Population) Sample(r *rand.Rand) string {
	for {
		if n := randomID(r); p.exists(n.BirthYear, n.number()) {
			return n.String()
		}
	}
}

// SampleMissing returns a random well-formed personal ID number, with a
// birth year in FirstBirthYear..LastBirthYear, that belongs to no
// citizen: a lookup of it is NOT_FOUND.
func (p Population) SampleMissing(r *rand.Rand) string {
	for {
		if n := randomID(r); !p.exists(n.BirthYear, n.number()) {
			return n.String()
		}
	}
}

// Free returns a random personal ID number with the given province of
// birth, sex and birth year that belongs to no synthetic citizen, for
// issuing to a newborn. It may return an ID issued before: the caller
// keeps the set it has issued and calls again on a collision. Free panics
// if the attributes cannot form an ID (see PID.Validate); callers check
// untrusted input first.
func (p Population) Free(province *vn.Province, sex populationv1.Sex, birthYear int, r *rand.Rand) string {
	pid := PID{Province: province, Sex: sex, BirthYear: birthYear}
	if err := pid.Validate(); err != nil {
		panic(fmt.Sprintf("synth: Free: %v", err))
	}
	for {
		pid.Serial = r.IntN(maxSerial + 1)
		if n := pid.number(); !p.exists(birthYear, n) {
			return formatNumber(n)
		}
	}
}

// randomID draws a valid ID with a birth year in FirstBirthYear..LastBirthYear.
func randomID(r *rand.Rand) PID {
	sex := populationv1.Sex_SEX_MALE
	if r.IntN(2) == 1 {
		sex = populationv1.Sex_SEX_FEMALE
	}
	return PID{
		Province:  randomProvince(r),
		Sex:       sex,
		BirthYear: FirstBirthYear + r.IntN(LastBirthYear-FirstBirthYear+1),
		Serial:    r.IntN(maxSerial + 1),
	}
}
