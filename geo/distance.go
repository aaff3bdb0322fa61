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
