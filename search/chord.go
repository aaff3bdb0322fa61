package search

import (
	"math"

	"github.com/stageindex/stageindex/geo"
)

// Distances are compared as squared chords between unit vectors: the same
// order and the same great-circle distance as the haversine formula, without
// a trigonometric call per offer. Kilometres are computed for shown hits only.

func unitVector(lat, lng float64) (x, y, z float64) {
	const rad = math.Pi / 180
	cl := math.Cos(lat * rad)
	return cl * math.Cos(lng*rad), cl * math.Sin(lng*rad), math.Sin(lat * rad)
}

// chord2 returns the squared chord between two unit vectors.
func chord2(ax, ay, az, bx, by, bz float64) float64 {
	dx, dy, dz := ax-bx, ay-by, az-bz
	return dx*dx + dy*dy + dz*dz
}

// chord2ForKm returns the squared chord of a great-circle distance.
func chord2ForKm(km float64) float64 {
	s := math.Sin(km / geo.EarthRadiusKm / 2)
	return 4 * s * s
}

// kmForChord2 is the inverse of chord2ForKm.
func kmForChord2(c2 float64) float64 {
	return 2 * geo.EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(c2)/2))
}
