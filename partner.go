package stageindex

import "time"

// Partner is the holder of a partner key and what the key grants: its own
// rate limit instead of its address's, and, when Departments is not nil,
// a view of the offers of those départements only.
type Partner struct {
	Name        string
	Rate        float64 // requests per second
	Burst       int
	Departments []string  // nil: every département
	ExpiresAt   time.Time // zero: never
}
