package stageindex

import (
	"fmt"
	"time"
)

// ParseWeek parses an ISO 8601 week such as "2026-W53" and returns its
// Monday at 00:00 UTC. Week 53 is accepted only in years that have one.
func ParseWeek(s string) (time.Time, error) {
	var year, week int
	if len(s) != 8 || s[4] != '-' || s[5] != 'W' {
		return time.Time{}, fmt.Errorf("%q is not an ISO week like 2026-W05", s)
	}
	// Digits by hand: reopening an index parses every offer's weeks, and
	// fmt.Sscanf was a tenth of it.
	for i, c := range []byte(s) {
		if i == 4 || i == 5 {
			continue
		}
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%q is not an ISO week like 2026-W05", s)
		}
		if i < 4 {
			year = year*10 + int(c-'0')
		} else {
			week = week*10 + int(c-'0')
		}
	}
	if year < 2000 || year > 2100 {
		return time.Time{}, fmt.Errorf("%q: year out of range", s)
	}
	if week < 1 || week > WeeksInYear(year) {
		return time.Time{}, fmt.Errorf("%q: %d has %d ISO weeks", s, year, WeeksInYear(year))
	}
	// ISO week 1 holds January 4th.
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, time.UTC)
	wd := int(jan4.Weekday()+6) % 7 // Monday=0
	monday1 := jan4.AddDate(0, 0, -wd)
	return monday1.AddDate(0, 0, 7*(week-1)), nil
}

// WeeksInYear returns 52 or 53, the number of ISO weeks in year.
func WeeksInYear(year int) int {
	_, w := time.Date(year, time.December, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// FormatWeek returns the ISO week holding t, as "2026-W05".
func FormatWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// WeekPast reports whether the ISO week w is entirely over at now (its Sunday
// has ended at midnight in metropolitan France, taken as UTC+1: an hour off in
// summer does not matter for a week-long internship and spares a tz lookup).
// A malformed week counts as past.
func WeekPast(w string, now time.Time) bool {
	mon, err := ParseWeek(w)
	if err != nil {
		return true
	}
	end := mon.AddDate(0, 0, 7).Add(-time.Hour)
	return !now.Before(end)
}
