// Package vn holds reference data about Vietnam that several parts of the
// simulator share: the 63 provinces with the codes used in personal ID
// numbers and their electronic agency codes, and the business time zone.
package vn

import "time"

// Province is one of the 63 provinces and centrally-run cities.
type Province struct {
	// Code is the 3-digit code that starts a personal ID number of a person
	// born there (the administrative code, zero-padded), e.g. "001".
	Code string
	// Name is the province's name.
	Name string
	// AgencyCode is the electronic code (Decision 20/2020 format) of the
	// provincial People's Committee, whose LGSP joins the hub. The letter H
	// marks provinces; the numbers are this simulator's own assignment, in
	// alphabetical order, and may differ from the official list.
	AgencyCode string
}

// Provinces lists the 63 provinces in alphabetical order.
var Provinces = []Province{
	{"089", "An Giang", "000.00.00.H01"},
	{"077", "Bà Rịa - Vũng Tàu", "000.00.00.H02"},
	{"024", "Bắc Giang", "000.00.00.H03"},
	{"006", "Bắc Kạn", "000.00.00.H04"},
	{"095", "Bạc Liêu", "000.00.00.H05"},
	{"027", "Bắc Ninh", "000.00.00.H06"},
	{"083", "Bến Tre", "000.00.00.H07"},
	{"052", "Bình Định", "000.00.00.H08"},
	{"074", "Bình Dương", "000.00.00.H09"},
	{"070", "Bình Phước", "000.00.00.H10"},
	{"060", "Bình Thuận", "000.00.00.H11"},
	{"096", "Cà Mau", "000.00.00.H12"},
	{"092", "Cần Thơ", "000.00.00.H13"},
	{"004", "Cao Bằng", "000.00.00.H14"},
	{"048", "Đà Nẵng", "000.00.00.H15"},
	{"066", "Đắk Lắk", "000.00.00.H16"},
	{"067", "Đắk Nông", "000.00.00.H17"},
	{"011", "Điện Biên", "000.00.00.H18"},
	{"075", "Đồng Nai", "000.00.00.H19"},
	{"087", "Đồng Tháp", "000.00.00.H20"},
	{"064", "Gia Lai", "000.00.00.H21"},
	{"002", "Hà Giang", "000.00.00.H22"},
	{"035", "Hà Nam", "000.00.00.H23"},
	{"001", "Hà Nội", "000.00.00.H26"},
	{"042", "Hà Tĩnh", "000.00.00.H24"},
	{"030", "Hải Dương", "000.00.00.H25"},
	{"031", "Hải Phòng", "000.00.00.H27"},
	{"093", "Hậu Giang", "000.00.00.H28"},
	{"079", "Hồ Chí Minh", "000.00.00.H29"},
	{"017", "Hoà Bình", "000.00.00.H30"},
	{"033", "Hưng Yên", "000.00.00.H31"},
	{"056", "Khánh Hoà", "000.00.00.H32"},
	{"091", "Kiên Giang", "000.00.00.H33"},
	{"062", "Kon Tum", "000.00.00.H34"},
	{"012", "Lai Châu", "000.00.00.H35"},
	{"068", "Lâm Đồng", "000.00.00.H36"},
	{"020", "Lạng Sơn", "000.00.00.H37"},
	{"010", "Lào Cai", "000.00.00.H38"},
	{"080", "Long An", "000.00.00.H39"},
	{"036", "Nam Định", "000.00.00.H40"},
	{"040", "Nghệ An", "000.00.00.H41"},
	{"037", "Ninh Bình", "000.00.00.H42"},
	{"058", "Ninh Thuận", "000.00.00.H43"},
	{"025", "Phú Thọ", "000.00.00.H44"},
	{"054", "Phú Yên", "000.00.00.H45"},
	{"044", "Quảng Bình", "000.00.00.H46"},
	{"049", "Quảng Nam", "000.00.00.H47"},
	{"051", "Quảng Ngãi", "000.00.00.H48"},
	{"022", "Quảng Ninh", "000.00.00.H49"},
	{"045", "Quảng Trị", "000.00.00.H50"},
	{"094", "Sóc Trăng", "000.00.00.H51"},
	{"014", "Sơn La", "000.00.00.H52"},
	{"072", "Tây Ninh", "000.00.00.H53"},
	{"034", "Thái Bình", "000.00.00.H54"},
	{"019", "Thái Nguyên", "000.00.00.H55"},
	{"038", "Thanh Hoá", "000.00.00.H56"},
	{"046", "Thừa Thiên Huế", "000.00.00.H57"},
	{"082", "Tiền Giang", "000.00.00.H58"},
	{"084", "Trà Vinh", "000.00.00.H59"},
	{"008", "Tuyên Quang", "000.00.00.H60"},
	{"086", "Vĩnh Long", "000.00.00.H61"},
	{"026", "Vĩnh Phúc", "000.00.00.H62"},
	{"015", "Yên Bái", "000.00.00.H63"},
}

var byCode = func() map[string]*Province {
	m := make(map[string]*Province, len(Provinces))
	for i := range Provinces {
		m[Provinces[i].Code] = &Provinces[i]
	}
	return m
}()

// ProvinceByCode returns the province with a 3-digit ID code, or nil.
func ProvinceByCode(code string) *Province { return byCode[code] }

// Zone is Vietnam's time zone (UTC+7, no daylight saving). Business days
// and months are counted in it.
var Zone = time.FixedZone("ICT", 7*60*60)

// Day formats t as the business day it falls on, "YYYY-MM-DD".
func Day(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// Month formats t as the business month it falls on, "YYYY-MM".
func Month(t time.Time) string { return t.In(Zone).Format("2006-01") }

// ParseDay parses "YYYY-MM-DD" as the start of that business day.
func ParseDay(s string) (time.Time, error) { return time.ParseInLocation(time.DateOnly, s, Zone) }

// ParseMonth parses "YYYY-MM" as the start of that business month.
func ParseMonth(s string) (time.Time, error) { return time.ParseInLocation("2006-01", s, Zone) }
