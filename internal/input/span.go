package input

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// day is the length of a day in a Span that takes days.
const day = 24 * time.Hour

// Span is what a duration input accepts: a Go duration (90s, 1h30m) from
// Min to Max (0: no upper limit). With Unit set, the duration is a whole
// number of Units and a bare number counts in Units ("300" is five minutes
// in seconds); with Days, "7d" is seven days.
type Span struct {
	Min, Max time.Duration
	Unit     time.Duration
	Days     bool
}

// Parse reads v within s, for Check; its error says what v is not.
func (s Span) Parse(v string) (time.Duration, error) {
	d, err := s.read(v)
	if err != nil {
		return 0, err
	}
	switch {
	case d < s.Min && s.Min <= 1:
		return 0, errors.New("must be positive")
	case d < s.Min:
		return 0, fmt.Errorf("is shorter than %s", spell(s.Min))
	case s.Max > 0 && d > s.Max:
		return 0, fmt.Errorf("is longer than %s", spell(s.Max))
	case s.Unit > 0 && d%s.Unit != 0:
		return 0, fmt.Errorf("is not a whole number of %s", plural(s.Unit))
	}
	return d, nil
}

// read takes v in any of the forms s accepts, before its limits.
func (s Span) read(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok && s.Days {
		most := int64(math.MaxInt64 / day)
		if s.Max > 0 {
			most = int64(s.Max / day)
		}
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 1 || n > most {
			return 0, fmt.Errorf("is not a number of days from 1 to %d", most)
		}
		return time.Duration(n) * day, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && s.Unit > 0 {
		if n < math.MinInt64/int64(s.Unit) || n > math.MaxInt64/int64(s.Unit) {
			return 0, fmt.Errorf("is too large a number of %s", plural(s.Unit))
		}
		return time.Duration(n) * s.Unit, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("is not a duration")
	}
	return d, nil
}

// spell writes d as a reader says it: "one second", "an hour", "90
// seconds", "3650 days"; other lengths as Go writes them.
func spell(d time.Duration) string {
	switch d {
	case time.Second:
		return "one second"
	case time.Minute:
		return "a minute"
	case time.Hour:
		return "an hour"
	case day:
		return "a day"
	}
	for _, u := range []time.Duration{day, time.Hour, time.Minute, time.Second} {
		if d%u == 0 {
			return fmt.Sprintf("%d %s", d/u, plural(u))
		}
	}
	return d.String()
}

// plural names the unit u in the plural.
func plural(u time.Duration) string {
	switch u {
	case day:
		return "days"
	case time.Hour:
		return "hours"
	case time.Minute:
		return "minutes"
	case time.Second:
		return "seconds"
	}
	return "multiples of " + u.String()
}
