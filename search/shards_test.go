package search

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stageindex/stageindex/geo"
)

// TestShardsNearIsTheHaversineRule checks that the latitude shortcut of
// shardsNear keeps exactly the shards the haversine rule alone keeps:
// random boxes and searches over France and beyond, many of them on the
// edge of a box's reach.
func TestShardsNearIsTheHaversineRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 4))
	ix := &Index{shards: map[string]*shard{}}
	for i := range 300 {
		lat, lng := 41+rng.Float64()*11, -5+rng.Float64()*14
		if i%50 == 0 {
			lat, lng = -21+rng.Float64(), 55+rng.Float64() // overseas
		}
		s := &shard{key: string(rune('A' + i)), n: 1 + i%3,
			minLat: lat, maxLat: lat + rng.Float64()*1.5, minLng: lng, maxLng: lng + rng.Float64()*2}
		if i%37 == 0 {
			s.n = 0
		}
		ix.shards[s.key] = s
	}
	want := func(lat, lng, r float64) []string {
		var out []string
		for _, s := range ix.shards {
			if s.n == 0 || s.minLat > s.maxLat {
				continue
			}
			clat := math.Max(s.minLat, math.Min(lat, s.maxLat))
			clng := math.Max(s.minLng, math.Min(lng, s.maxLng))
			if geo.HaversineKm(lat, lng, clat, clng) <= r+0.01 {
				out = append(out, s.key)
			}
		}
		slices.Sort(out)
		return out
	}
	for i := range 20000 {
		lat, lng := 40+rng.Float64()*13, -6+rng.Float64()*16
		r := []float64{0.5, 5, 10, 20, 30, 60}[i%6]
		if i%3 == 0 {
			// Just north or south of a box, by about the radius.
			s := ix.shards[string(rune('A'+rng.IntN(300)))]
			lat = s.maxLat + (r+0.01)/geo.EarthRadiusKm*180/math.Pi*(1+(rng.Float64()-0.5)*1e-6)
			lng = s.minLng + rng.Float64()*(s.maxLng-s.minLng)
		}
		var got []string
		for _, s := range ix.shardsNear(lat, lng, r) {
			got = append(got, s.key)
		}
		slices.Sort(got)
		if w := want(lat, lng, r); !slices.Equal(got, w) {
			t.Fatalf("%v,%v within %v km: shards %v, want %v", lat, lng, r, got, w)
		}
	}
}
