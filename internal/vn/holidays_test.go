package vn

import (
	"testing"
	"time"
)

func TestHoliday(t *testing.T) {
	for day, want := range map[string]string{
		"2021-02-12": HolidayTet, "2022-02-01": HolidayTet, "2023-01-22": HolidayTet, "2024-02-10": HolidayTet,
		"2023-05-01": HolidayReunification, "2023-05-03": HolidayReunification, "2023-04-29": HolidayReunification,
		"2022-04-11": HolidayHungKings, "2021-09-02": HolidayNationalDay, "2025-09-02": HolidayNationalDay,
		"2023-05-04": "", "2021-08-01": "", "2022-03-15": "", "2025-01-29": "",
	} {
		d, err := ParseDay(day)
		if err != nil {
			t.Fatal(err)
		}
		if got := Holiday(d); got != want {
			t.Errorf("Holiday(%s) = %q, want %q", day, got, want)
		}
	}
	// Late evening UTC is the next day in Hà Nội.
	if got := Holiday(time.Date(2023, 1, 21, 18, 0, 0, 0, time.UTC)); got != HolidayTet {
		t.Errorf("2023-01-22 01:00 ICT: %q, want Tết", got)
	}
}
