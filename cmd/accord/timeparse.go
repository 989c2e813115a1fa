package main

import (
	"fmt"
	"strings"
	"time"
)

// isoLayouts are the ISO 8601 forms people paste, most specific first. The
// bool says whether the form carries a UTC offset.
var isoLayouts = []struct {
	layout    string
	hasOffset bool
	dateOnly  bool
}{
	{time.RFC3339, true, false},               // 2021-07-02T07:38:27Z, +02:00
	{"2006-01-02T15:04:05Z0700", true, false}, // +0000
	{"2006-01-02T15:04:05Z07", true, false},   // +00
	{"2006-01-02T15:04Z07:00", true, false},
	{"2006-01-02T15:04Z0700", true, false},
	{"20060102T150405Z0700", true, false}, // basic format
	{"2006-01-02T15:04:05", false, false},
	{"2006-01-02T15:04", false, false},
	{"20060102T150405", false, false},
	{"2006-01-02", false, true},
	{"20060102", false, true},
}

// parseISOTime parses the ISO 8601 date and time forms people paste:
// RFC 3339, offsets written +0000 or +00, a space instead of T, no seconds,
// the basic format, a time without offset and a bare date. A time without
// offset is taken as UTC and a bare date as its start in UTC; note then says
// so, for the caller to print.
func parseISOTime(flag, s string) (t time.Time, note string, err error) {
	in := strings.TrimSpace(s)
	norm := strings.ToUpper(in)
	if len(norm) > 10 && norm[10] == ' ' {
		norm = norm[:10] + "T" + norm[11:]
	}
	for _, l := range isoLayouts {
		t, err := time.Parse(l.layout, norm)
		if err != nil {
			continue
		}
		t = t.UTC()
		switch {
		case l.dateOnly:
			note = fmt.Sprintf("%s %s is a date: taken as %s, the start of that day in UTC", flag, in, t.Format(time.RFC3339))
		case !l.hasOffset:
			note = fmt.Sprintf("%s %s has no UTC offset: taken as UTC, %s", flag, in, t.Format(time.RFC3339))
		}
		return t, note, nil
	}
	return time.Time{}, "", fmt.Errorf("%s %q is not an ISO 8601 date or time (e.g. 2021-07-02T07:38:27Z, 2021-07-02T09:38:27+02:00, 2021-07-02T07:38:27+0000, 2021-07-02)", flag, s)
}
