// Package synth is the population database's synthetic population: a
// deterministic set of Vietnamese citizens, keyed by personal
// identification number, that is computed on demand from a seed instead
// of being stored, so that millions of citizens cost no memory and no
// data files. It also parses and validates personal ID numbers.
package synth

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// ErrPersonalID is wrapped by every error about a malformed personal ID
// number or malformed PID fields.
var ErrPersonalID = errors.New("synth: invalid personal ID")

// Limits of the fields of a personal ID number.
const (
	idLen     = 12
	minYear   = 1800
	maxYear   = 2299
	maxSerial = 999_999
)

// centuryStart maps half the sex-and-century digit to the first year of
// its century: 0/1 -> 1900s, 2/3 -> 2000s, ..., 8/9 -> 1800s.
var centuryStart = [5]int{1900, 2000, 2100, 2200, 1800}

// PID is a decoded personal identification number.
type PID struct {
	// Province is the province of birth, one of vn.Provinces.
	Province *vn.Province
	// Sex is SEX_MALE or SEX_FEMALE.
	Sex populationv1.Sex
	// BirthYear is the full year of birth, 1800..2299.
	BirthYear int
	// Serial is the last six digits, 0..999999.
	Serial int
}

// Parse decodes a 12-digit personal ID number, rejecting birth years after
// the current year in Vietnam. It is ParseAt(id, time.Now()).
func Parse(id string) (PID, error) { return ParseAt(id, time.Now()) }

// ParseAt decodes a 12-digit personal ID number as of now: a birth year
// after now's year (in vn.Zone) is an error. Errors wrap ErrPersonalID
// and say what is wrong and what is expected. ParseAt never panics.
func ParseAt(id string, now time.Time) (PID, error) {
	p, _, ok := decode(id)
	if !ok {
		return PID{}, diagnose(id)
	}
	if year := now.In(vn.Zone).Year(); p.BirthYear > year {
		return PID{}, invalid(id, "birth year %d is in the future (current year %d)", p.BirthYear, year)
	}
	return p, nil
}

// Validate reports whether id is a well-formed personal ID number as of
// now; see Parse.
func Validate(id string) error {
	_, err := Parse(id)
	return err
}

// Validate reports whether p's fields can be written as a personal ID
// number. It does not compare BirthYear with the current year.
func (p PID) Validate() error {
	switch {
	case p.Province == nil:
		return fmt.Errorf("%w: no province of birth", ErrPersonalID)
	case vn.ProvinceByCode(p.Province.Code) == nil:
		return fmt.Errorf("%w: unknown province code %q", ErrPersonalID, p.Province.Code)
	case p.Sex != populationv1.Sex_SEX_MALE && p.Sex != populationv1.Sex_SEX_FEMALE:
		return fmt.Errorf("%w: sex %v: want SEX_MALE or SEX_FEMALE", ErrPersonalID, p.Sex)
	case p.BirthYear < minYear || p.BirthYear > maxYear:
		return fmt.Errorf("%w: birth year %d: want %d..%d", ErrPersonalID, p.BirthYear, minYear, maxYear)
	case p.Serial < 0 || p.Serial > maxSerial:
		return fmt.Errorf("%w: serial %d: want 0..%d", ErrPersonalID, p.Serial, maxSerial)
	}
	return nil
}

// String formats p as its 12-digit personal ID number, so that
// Parse(p.String()) returns p. If p is not valid (see PID.Validate) the
// result is a description of the problem, which never parses as an ID.
func (p PID) String() string {
	if err := p.Validate(); err != nil {
		return "!(" + err.Error() + ")"
	}
	return formatNumber(p.number())
}

// number is p as the 12-digit decimal number it is written as; p must be
// valid.
func (p PID) number() uint64 {
	code := uint64(p.Province.Code[0]-'0')*100 + uint64(p.Province.Code[1]-'0')*10 + uint64(p.Province.Code[2]-'0')
	digit := uint64((p.BirthYear/100-19+5)%5) * 2
	if p.Sex == populationv1.Sex_SEX_FEMALE {
		digit++
	}
	return code*1e9 + digit*1e8 + uint64(p.BirthYear%100)*1e6 + uint64(p.Serial)
}

// formatNumber writes n as exactly 12 digits, zero-padded.
func formatNumber(n uint64) string {
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// decode is the allocation-free fast path of ParseAt, without the check
// against the current year. It also returns id as a number.
func decode(id string) (p PID, num uint64, ok bool) {
	if len(id) != idLen {
		return PID{}, 0, false
	}
	for i := 0; i < idLen; i++ {
		d := id[i] - '0' // wraps around below '0'
		if d > 9 {
			return PID{}, 0, false
		}
		num = num*10 + uint64(d)
	}
	prov := vn.ProvinceByCode(id[:3])
	if prov == nil {
		return PID{}, 0, false
	}
	digit := int(id[3] - '0')
	p = PID{
		Province:  prov,
		Sex:       populationv1.Sex_SEX_MALE,
		BirthYear: centuryStart[digit/2] + int(num/1e6%100),
		Serial:    int(num % 1e6),
	}
	if digit%2 == 1 {
		p.Sex = populationv1.Sex_SEX_FEMALE
	}
	return p, num, true
}

// diagnose explains why decode rejected id.
func diagnose(id string) error {
	if n := utf8.RuneCountInString(id); n != idLen {
		return invalid(id, "want %d digits, got %d %s", idLen, n, plural(n, "character"))
	}
	pos := 0
	for i, r := range id {
		pos++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(id[i:], string(utf8.RuneError)):
			return invalid(id, "want only digits 0-9, got invalid UTF-8 at position %d", pos)
		case r < '0' || r > '9':
			return invalid(id, "want only digits 0-9, got %q at position %d", r, pos)
		}
	}
	return invalid(id, "unknown province code %q: want the code of one of the %d provinces", id[:3], len(vn.Provinces))
}

// maxQuoted is how many characters of a bad ID an error message quotes.
const maxQuoted = 24

// invalid returns an error wrapping ErrPersonalID about id.
func invalid(id, format string, args ...any) error {
	quoted := fmt.Sprintf("%q", id)
	if utf8.RuneCountInString(id) > maxQuoted {
		quoted = fmt.Sprintf("%q...", prefix(id, maxQuoted))
	}
	return fmt.Errorf("%w %s: %s", ErrPersonalID, quoted, fmt.Sprintf(format, args...))
}

// prefix returns the first n characters of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
