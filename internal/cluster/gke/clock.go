package gke

import "time"

// clock is the time the waits read to report elapsed times and to give up
// after OperationTimeout; the waits themselves sleep on real timers. Tests
// replace it with a clock they move on themselves.
type clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
