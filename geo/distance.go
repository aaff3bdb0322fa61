// Package geo holds the geographic parts of search: great-circle distances,
// the H3 cell index used to find offers near a point, and the gazetteer of
// French communes and postcodes. It does no I/O beyond reading embedded data.
package geo

import "math"

// EarthRadiusKm is the mean Earth radius used by the haversine formula.
const EarthRadiusKm = 6371.0088

// HaversineKm returns the great-circle distance in kilometres between two
// WGS84 points given in degrees.
func HaversineKm(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLng/2)
	a := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Distances are also compared as squared chords between unit vectors: the
// same order and the same great-circle distance as the haversine formula,
// without a trigonometric call per point (search's hot loop, Near's cells).

// UnitVector is the point of the unit sphere at lat, lng (degrees).
func UnitVector(lat, lng float64) (x, y, z float64) {
	const rad = math.Pi / 180
	cl := math.Cos(lat * rad)
	return cl * math.Cos(lng*rad), cl * math.Sin(lng*rad), math.Sin(lat * rad)
}

// Chord2 returns the squared chord between two unit vectors.
func Chord2(ax, ay, az, bx, by, bz float64) float64 {
	dx, dy, dz := ax-bx, ay-by, az-bz
	return dx*dx + dy*dy + dz*dz
}

// Chord2ForKm returns the squared chord of a great-circle distance.
func Chord2ForKm(km float64) float64 {
	s := math.Sin(math.Min(math.Pi/2, km/EarthRadiusKm/2))
	return 4 * s * s
}

// KmForChord2 is the inverse of Chord2ForKm.
func KmForChord2(c2 float64) float64 {
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(c2)/2))
}
