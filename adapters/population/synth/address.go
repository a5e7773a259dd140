package synth

import (
	"strconv"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// movedPercent is the share of citizens whose permanent residence is not
// in their province of birth.
const movedPercent = 15

// placeSyllables make synthetic two-syllable place names ("Phú Long").
var placeSyllables = []string{
	"An", "Bình", "Phú", "Tân", "Hòa", "Thạnh", "Phước", "Long", "Mỹ", "Vĩnh",
	"Đông", "Tây", "Bắc", "Hưng", "Yên", "Thuận", "Lộc", "Thanh",
	"Xuân", "Đức", "Quảng", "Trà", "Hải", "Sơn", "Lâm", "Thọ", "Khánh", "Gia",
	"Kim", "Hiệp", "Trung", "Định", "Hậu", "Lợi", "Thịnh",
}

// streets are common street names, mostly named after historical figures.
var streets = []string{
	"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt",
	"Quang Trung", "Nguyễn Huệ", "Phan Chu Trinh", "Hùng Vương", "Lê Duẩn",
	"Điện Biên Phủ", "Võ Thị Sáu", "Nguyễn Du", "Hoàng Diệu", "Bà Triệu",
	"Trần Phú", "Ngô Quyền", "Nguyễn Văn Cừ", "Cách Mạng Tháng Tám",
	"Lê Hồng Phong", "Phan Bội Châu", "Nguyễn Thị Minh Khai", "Lạc Long Quân",
	"Trường Chinh", "Lê Thánh Tông", "Nguyễn Đình Chiểu", "Yết Kiêu",
}

// residence draws the permanent residence of a citizen born in birth.
func residence(s *stream, birth *vn.Province) *populationv1.Address {
	prov := birth
	if s.intn(100) < movedPercent {
		prov = byPopulation.pick(s.next())
	}
	a := &populationv1.Address{Province: prov.Name, ProvinceCode: prov.Code}
	urbanPercent := 30
	if centralCities[prov.Code] {
		urbanPercent = 80
	}
	if s.intn(100) < urbanPercent {
		a.District, a.Ward, a.Street = urban(s, centralCities[prov.Code])
	} else {
		a.District, a.Ward, a.Street = rural(s, isSouthern(prov))
	}
	return a
}

// urban draws an address in a city district: numbered or named districts
// and wards, a house number and a street.
func urban(s *stream, centralCity bool) (district, ward, street string) {
	switch {
	case !centralCity && s.intn(3) == 0:
		district = "Thị xã " + placeName(s)
	case !centralCity:
		district = "Thành phố " + placeName(s)
	case s.intn(2) == 0:
		district = "Quận " + strconv.Itoa(1+s.intn(12))
	default:
		district = "Quận " + placeName(s)
	}
	if s.intn(2) == 0 {
		ward = "Phường " + strconv.Itoa(1+s.intn(15))
	} else {
		ward = "Phường " + placeName(s)
	}
	street = "Số " + strconv.Itoa(1+s.intn(300)) + " đường " + pick(s, streets)
	return district, ward, street
}

// rural draws an address in a rural district: a commune or township and
// a hamlet ("ấp" in the south, "thôn" or "xóm" elsewhere).
func rural(s *stream, southern bool) (district, ward, street string) {
	district = "Huyện " + placeName(s)
	if s.intn(10) == 0 {
		ward = "Thị trấn " + placeName(s)
	} else {
		ward = "Xã " + placeName(s)
	}
	switch {
	case southern:
		street = "Ấp " + placeName(s)
	case s.intn(3) == 0:
		street = "Xóm " + strconv.Itoa(1+s.intn(20))
	default:
		street = "Thôn " + placeName(s)
	}
	return district, ward, street
}

// placeName draws a synthetic two-syllable place name.
func placeName(s *stream) string {
	i := s.intn(len(placeSyllables))
	j := (i + 1 + s.intn(len(placeSyllables)-1)) % len(placeSyllables)
	return placeSyllables[i] + " " + placeSyllables[j]
}
