package vn

import (
	"time"
)

// Holiday kinds.
const (
	// HolidayTet is the Lunar New Year (Tết Nguyên Đán) break.
	HolidayTet = "Tết Nguyên Đán"
	// HolidayNewYear is the solar New Year.
	HolidayNewYear = "Tết Dương lịch"
	// HolidayHungKings is the Hùng Kings' commemoration (10th day of the
	// 3rd lunar month).
	HolidayHungKings = "Giỗ Tổ Hùng Vương"
	// HolidayReunification is 30 April and International Labour Day, 1 May.
	HolidayReunification = "30/4 - 1/5"
	// HolidayNationalDay is National Day, 2 September.
	HolidayNationalDay = "Quốc khánh 2/9"
)

// holidaySpan is a run of consecutive days off.
type holidaySpan struct {
	name       string
	from, last string // inclusive, YYYY-MM-DD
}

// holidayTable lists the days off of state bodies (the ones that make the
// platform's traffic) for the years the load profiles cover, as fixed by
// the Labour Code 2019 (Bộ luật Lao động 45/2019/QH14, Art. 112: 1 Jan;
// 5 days of Tết; the Hùng Kings' day; 30 Apr; 1 May; 2 Sep and the day
// before or after) and each year's notice of the Prime Minister / Ministry
// of Labour, Invalids and Social Affairs on the holidays of civil servants
// (days moved to make bridges and compensate holidays that fall on a
// weekend). Lunar New Year's day: 12 Feb 2021, 1 Feb 2022, 22 Jan 2023,
// 10 Feb 2024; the Hùng Kings' day: 21 Apr 2021, 10 Apr 2022, 29 Apr 2023,
// 18 Apr 2024.
var holidayTable = []holidaySpan{
	{HolidayNewYear, "2021-01-01", "2021-01-01"},
	{HolidayTet, "2021-02-10", "2021-02-16"},
	{HolidayHungKings, "2021-04-21", "2021-04-21"},
	{HolidayReunification, "2021-04-30", "2021-05-03"},
	{HolidayNationalDay, "2021-09-02", "2021-09-03"},

	{HolidayNewYear, "2022-01-01", "2022-01-03"},
	{HolidayTet, "2022-01-29", "2022-02-06"},
	{HolidayHungKings, "2022-04-09", "2022-04-11"},
	{HolidayReunification, "2022-04-30", "2022-05-03"},
	{HolidayNationalDay, "2022-09-01", "2022-09-04"},

	{HolidayNewYear, "2022-12-31", "2023-01-02"},
	{HolidayTet, "2023-01-20", "2023-01-26"},
	{HolidayReunification, "2023-04-29", "2023-05-03"}, // with the Hùng Kings' day, 29 Apr
	{HolidayNationalDay, "2023-09-01", "2023-09-04"},

	{HolidayNewYear, "2023-12-30", "2024-01-01"},
	{HolidayTet, "2024-02-08", "2024-02-14"},
	{HolidayHungKings, "2024-04-18", "2024-04-18"},
	{HolidayReunification, "2024-04-27", "2024-05-01"},
	{HolidayNationalDay, "2024-08-31", "2024-09-03"},
}

// HolidayYears are the years whose holidays, lunar ones included, are
// known; in other years only the solar holidays (1 Jan, 30 Apr, 1 May,
// 2 Sep) are.
var HolidayYears = []int{2021, 2022, 2023, 2024}

var holidays = func() map[string]string {
	m := map[string]string{}
	for _, s := range holidayTable {
		from, _ := ParseDay(s.from)
		last, _ := ParseDay(s.last)
		for d := from; !d.After(last); d = d.AddDate(0, 0, 1) {
			m[Day(d)] = s.name
		}
	}
	return m
}()

// Holiday returns the public holiday a day (in Vietnam time) is part of,
// "" if it is none; Tết for the days of the Lunar New Year break.
func Holiday(d time.Time) string {
	d = d.In(Zone)
	if name, ok := holidays[Day(d)]; ok {
		return name
	}
	for _, y := range HolidayYears {
		if d.Year() == y {
			return ""
		}
	}
	switch m, day := d.Month(), d.Day(); {
	case m == time.January && day == 1:
		return HolidayNewYear
	case (m == time.April && day == 30) || (m == time.May && day == 1):
		return HolidayReunification
	case m == time.September && day == 2:
		return HolidayNationalDay
	}
	return ""
}
