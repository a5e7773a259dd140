package synth

import populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"

type name = entry[string]

// familyNames are weighted in tenths of a percent after published
// estimates of the share of each family name (Nguyễn about 38%).
var familyNames = newWeighted(
	name{"Nguyễn", 380}, name{"Trần", 110}, name{"Lê", 95}, name{"Phạm", 70},
	name{"Hoàng", 30}, name{"Huỳnh", 21}, name{"Phan", 45}, name{"Vũ", 20},
	name{"Võ", 19}, name{"Đặng", 21}, name{"Bùi", 20}, name{"Đỗ", 14},
	name{"Hồ", 13}, name{"Ngô", 13}, name{"Dương", 10}, name{"Lý", 5},
	name{"Đinh", 9}, name{"Đoàn", 8}, name{"Lâm", 7}, name{"Mai", 7},
	name{"Trịnh", 7}, name{"Trương", 8}, name{"Cao", 6}, name{"Lương", 6},
	name{"Hà", 6}, name{"Tạ", 4}, name{"Châu", 4}, name{"Quách", 3},
	name{"Kiều", 3}, name{"Thái", 3}, name{"Phùng", 4}, name{"Tô", 4},
	name{"Lưu", 4}, name{"Chu", 3}, name{"Vương", 3}, name{"Tăng", 2},
)

// traditionalMiddle is the middle name most people of a sex born in the
// 20th century carry; it is rarer among the young.
var traditionalMiddle = map[populationv1.Sex]string{
	populationv1.Sex_SEX_MALE:   "Văn",
	populationv1.Sex_SEX_FEMALE: "Thị",
}

// middleNames are the other common middle names per sex.
var middleNames = map[populationv1.Sex][]string{
	populationv1.Sex_SEX_MALE: {
		"Hữu", "Đức", "Minh", "Quốc", "Công", "Thành", "Quang", "Xuân", "Đình",
		"Hoàng", "Gia", "Anh", "Trung", "Tuấn", "Mạnh", "Bảo", "Nhật", "Duy",
		"Thanh", "Ngọc", "Trọng", "Tiến",
	},
	populationv1.Sex_SEX_FEMALE: {
		"Ngọc", "Thu", "Thanh", "Minh", "Phương", "Thùy", "Hồng", "Kim", "Mai",
		"Bảo", "Khánh", "Hoài", "Diệu", "Quỳnh", "Bích", "Mỹ", "Hải", "Thảo",
		"Lan", "Tuyết",
	},
}

// givenNames are common given names per sex.
var givenNames = map[populationv1.Sex][]string{
	populationv1.Sex_SEX_MALE: {
		"Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải",
		"Hiếu", "Hoàng", "Hùng", "Huy", "Hưng", "Khánh", "Khang", "Khoa",
		"Kiên", "Lâm", "Lộc", "Long", "Minh", "Nam", "Nghĩa", "Nhân", "Phát",
		"Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thắng",
		"Thành", "Thịnh", "Tiến", "Toàn", "Trí", "Trung", "Tuấn", "Tùng",
		"Việt", "Vinh", "Hậu", "Thông", "Hòa", "Công",
	},
	populationv1.Sex_SEX_FEMALE: {
		"Anh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
		"Hoa", "Hồng", "Huệ", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai",
		"My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương",
		"Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Thư", "Trang", "Trâm",
		"Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Hoài", "Lệ",
	},
}

// ethnicities are weighted in hundredths of a percent after the 2019
// census shares of the largest groups (Kinh about 85%).
var ethnicities = newWeighted(
	name{"Kinh", 8532}, name{"Tày", 192}, name{"Thái", 189}, name{"Mường", 158},
	name{"H'Mông", 151}, name{"Khmer", 137}, name{"Nùng", 115}, name{"Dao", 93},
	name{"Hoa", 77}, name{"Gia Rai", 53}, name{"Ê Đê", 41}, name{"Ba Na", 30},
	name{"Sán Chay", 21}, name{"Chăm", 18}, name{"Cơ Ho", 21}, name{"Xơ Đăng", 22},
	name{"Sán Dìu", 19}, name{"Hrê", 15}, name{"Ra Glai", 15}, name{"Mnông", 13},
	name{"Thổ", 9}, name{"Xtiêng", 10}, name{"Khơ Mú", 9}, name{"Bru - Vân Kiều", 10},
)

// fullName draws a full name, family name first, for a person of a sex
// born in a year.
func fullName(s *stream, family string, sex populationv1.Sex, birthYear int) string {
	middle := traditionalMiddle[sex]
	if s.intn(100) >= traditionalShare(birthYear) {
		middle = pick(s, middleNames[sex])
	}
	given := pick(s, givenNames[sex])
	if given == middle {
		given = pick(s, givenNames[sex])
	}
	return family + " " + middle + " " + given
}

// traditionalShare is the percentage of people born in a year whose
// middle name is Văn or Thị: most before 1960, about a third after 2010.
func traditionalShare(birthYear int) int {
	switch {
	case birthYear <= 1960:
		return 80
	case birthYear >= 2010:
		return 35
	}
	return 80 - (birthYear-1960)*45/50
}
