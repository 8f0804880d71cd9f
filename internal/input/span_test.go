package input

import (
	"strings"
	"testing"
	"time"
)

func TestSpanParse(t *testing.T) {
	positive := Span{Min: 1}
	seconds := Span{Min: time.Second, Max: 1 << 31 * time.Second, Unit: time.Second}
	age := Span{Min: time.Hour, Max: 3650 * day, Days: true}
	tests := []struct {
		name string
		s    Span
		in   string
		want time.Duration
		bad  string
	}{
		{"a Go duration", positive, "1h30m", 90 * time.Minute, ""},
		{"zero is not positive", positive, "0s", 0, "must be positive"},
		{"negative", positive, "-1m", 0, "must be positive"},
		{"a bare number without a unit", positive, "300", 0, "is not a duration"},
		{"days where none are taken", positive, "7d", 0, "is not a duration"},
		{"words", positive, "soon", 0, "is not a duration"},

		{"seconds as a duration", seconds, "5m", 5 * time.Minute, ""},
		{"a bare number counts in the unit", seconds, "300", 5 * time.Minute, ""},
		{"the longest", seconds, "2147483648", 1 << 31 * time.Second, ""},
		{"longer than the longest", seconds, "2147483649", 0, "is longer than 2147483648 seconds"},
		{"a bare zero", seconds, "0", 0, "is shorter than one second"},
		{"a bare negative", seconds, "-5", 0, "is shorter than one second"},
		{"a bare number that overflows", seconds, "9223372037", 0, "is too large a number of seconds"},
		{"a bare number that overflows below", seconds, "-9223372037", 0, "is too large a number of seconds"},
		{"part of a second", seconds, "1.5s", 0, "is not a whole number of seconds"},
		{"under a second", seconds, "500ms", 0, "is shorter than one second"},

		{"days", age, "7d", 7 * day, ""},
		{"hours", age, "36h", 36 * time.Hour, ""},
		{"the most days", age, "3650d", 3650 * day, ""},
		{"too many days", age, "3651d", 0, "is not a number of days from 1 to 3650"},
		{"no days", age, "0d", 0, "is not a number of days from 1 to 3650"},
		{"part of a day", age, "1.5d", 0, "is not a number of days"},
		{"shorter than the least", age, "30m", 0, "is shorter than an hour"},
		{"longer than the most", age, "87601h", 0, "is longer than 3650 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Parse(tt.in)
			if got != tt.want || (err == nil) != (tt.bad == "") || err != nil && !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("%+v.Parse(%q) = %s, %v; want %s and a problem with %q", tt.s, tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestSpell(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:             "one second",
		time.Hour:               "an hour",
		90 * time.Second:        "90 seconds",
		120 * time.Second:       "2 minutes",
		3650 * day:              "3650 days",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := spell(d); got != want {
			t.Errorf("spell(%s) = %q, want %q", d, got, want)
		}
	}
}
