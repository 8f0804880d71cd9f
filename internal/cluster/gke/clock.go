package gke

import "time"

// Clock is the time the waits read to report elapsed times and to give up
// after OperationTimeout; the waits themselves sleep on real timers. Tests
// replace it with a clock they move on themselves.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
