package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/uber/h3-go/v4"
)

// TestCellIndexNearIsSuperset checks the cover against brute force: every
// point within the radius must be offered as a candidate.
func TestCellIndexNearIsSuperset(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type pt struct{ lat, lng float64 }
	var pts []pt
	x := NewCellIndex()
	for i := 0; i < 20000; i++ {
		p := pt{42 + rng.Float64()*9, -5 + rng.Float64()*13}
		pts = append(pts, p)
		if err := x.Add(int32(i), p.lat, p.lng); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		lat, lng float64
		radius   float64
	}{
		{"paris 0.5km", 48.8534, 2.3488, 0.5},
		{"saint-brieuc 10km", 48.5151, -2.7684, 10},
		{"lyon 20km", 45.75, 4.85, 20},
		{"just above coarse switch", 45.75, 4.85, 20.5},
		{"toulouse 30km", 43.6043, 1.4437, 30},
		{"clermont 60km", 45.7772, 3.087, 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int32]bool{}
			if err := x.Near(tc.lat, tc.lng, tc.radius, func(id int32) { got[id] = true }); err != nil {
				t.Fatal(err)
			}
			want := 0
			for i, p := range pts {
				if HaversineKm(tc.lat, tc.lng, p.lat, p.lng) <= tc.radius {
					want++
					if !got[int32(i)] {
						t.Fatalf("point %d at %.2f km not a candidate", i, HaversineKm(tc.lat, tc.lng, p.lat, p.lng))
					}
				}
			}
			if tc.radius >= 10 && want == 0 {
				t.Fatal("test data has no point in range; the check proves nothing")
			}
		})
	}
}

func TestCellIndexRemove(t *testing.T) {
	x := NewCellIndex()
	for i := int32(0); i < 3; i++ {
		if err := x.Add(i, 48.85, 2.35); err != nil {
			t.Fatal(err)
		}
	}
	x.Remove(1, 48.85, 2.35)
	var got []int32
	x.Near(48.85, 2.35, 1, func(id int32) { got = append(got, id) })
	if len(got) != 2 {
		t.Fatalf("got %v, want ids 0 and 2", got)
	}
	for _, id := range got {
		if id == 1 {
			t.Fatalf("removed id still found: %v", got)
		}
	}
}

func TestHaversineKm(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lng1, lat2, lng2 float64
		want                   float64
	}{
		{"same point", 48.85, 2.35, 48.85, 2.35, 0},
		{"paris-lyon", 48.8566, 2.3522, 45.7640, 4.8357, 391.5},
		{"saint-brieuc-rennes", 48.5151, -2.7684, 48.1173, -1.6778, 91.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HaversineKm(tc.lat1, tc.lng1, tc.lat2, tc.lng2)
			if d := got - tc.want; d > 1 || d < -1 {
				t.Fatalf("got %.1f km, want %.1f", got, tc.want)
			}
		})
	}
}

// TestCellIndexNearAfterWrites: Near caches disks; a write between two
// searches of the same disk must show in the second.
func TestCellIndexNearAfterWrites(t *testing.T) {
	x := NewCellIndex()
	near := func(radius float64) []int32 {
		var got []int32
		if err := x.Near(48.85, 2.35, radius, func(id int32) { got = append(got, id) }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	steps := []struct {
		name  string
		write func() error
		want  []int32
	}{
		{"empty", func() error { return nil }, nil},
		{"add one", func() error { return x.Add(7, 48.85, 2.35) }, []int32{7}},
		{"add another cell", func() error { return x.Add(9, 48.86, 2.36) }, []int32{7, 9}},
		{"remove", func() error { x.Remove(7, 48.85, 2.35); return nil }, []int32{9}},
		{"add back", func() error { return x.Add(7, 48.85, 2.35) }, []int32{7, 9}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.write(); err != nil {
				t.Fatal(err)
			}
			for _, r := range []float64{5, 5, 30, 30} { // twice each: the second is served from the cache
				if got := near(r); !slices.Equal(got, st.want) {
					t.Fatalf("radius %v: got %v, want %v", r, got, st.want)
				}
			}
		})
	}
}

// TestParentCellIsH3s compares parentCell with H3's own for points all
// over the globe and every coarser resolution.
func TestParentCellIsH3s(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	for range 5000 {
		ll := h3.NewLatLng(rng.Float64()*180-90, rng.Float64()*360-180)
		for _, res := range []int{fineRes, 15} {
			c, err := h3.LatLngToCell(ll, res)
			if err != nil {
				t.Fatal(err)
			}
			for p := 0; p <= res; p++ {
				want, err := c.Parent(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := parentCell(c, p); got != want {
					t.Fatalf("parent at %d of %v (res %d): %v, want %v", p, c, res, got, want)
				}
			}
		}
	}
}

// TestCellsOfFine: a stored fine cell gives the cells of its point, and
// nothing else passes for one (no cell, a cell of another resolution, an
// edge or vertex index).
func TestCellsOfFine(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 11))
	for range 2000 {
		lat, lng := rng.Float64()*180-90, rng.Float64()*360-180
		wantF, wantC, err := Cells(lat, lng)
		if err != nil {
			t.Fatal(err)
		}
		f, c, ok := CellsOfFine(wantF)
		if !ok || f != wantF || c != wantC {
			t.Fatalf("CellsOfFine(%v) = %v %v %v, want %v %v", wantF, f, c, ok, wantF, wantC)
		}
		for _, res := range []int{coarseRes, fineRes + 1} {
			other, err := h3.LatLngToCell(h3.NewLatLng(lat, lng), res)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, ok := CellsOfFine(other); ok {
				t.Fatalf("a cell of resolution %d taken for a fine one", res)
			}
		}
		edges, err := wantF.DirectedEdges()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := CellsOfFine(h3.Cell(edges[0])); ok {
			t.Fatal("a directed edge taken for a cell")
		}
	}
	if _, _, ok := CellsOfFine(0); ok {
		t.Fatal("no cell taken for one")
	}
}

// TestCircumFactorBoundsFrance checks circumFactor, by which Near skips
// cells, against every cell of both resolutions over metropolitan France
// and the overseas départements: no vertex farther from its cell's centre
// than circumFactor mean edges (with a tenth to spare).
func TestCircumFactorBoundsFrance(t *testing.T) {
	boxes := []struct {
		name                     string
		south, west, north, east float64
	}{
		{"métropole", 41.2, -5.3, 51.2, 9.7},
		{"Guadeloupe", 15.8, -61.9, 16.6, -61.0},
		{"Martinique", 14.3, -61.3, 14.9, -60.8},
		{"Guyane", 2.1, -54.6, 5.8, -51.6},
		{"La Réunion", -21.4, 55.2, -20.8, 55.9},
		{"Mayotte", -13.1, 44.9, -12.6, 45.3},
	}
	for _, res := range []struct {
		res  int
		edge float64
	}{{coarseRes, coarseEdgeKm}, {fineRes, fineEdgeKm}} {
		worst := 0.0
		for _, b := range boxes {
			loop := h3.GeoLoop{{Lat: b.south, Lng: b.west}, {Lat: b.south, Lng: b.east}, {Lat: b.north, Lng: b.east}, {Lat: b.north, Lng: b.west}}
			cells, err := h3.PolygonToCells(h3.GeoPolygon{GeoLoop: loop}, res.res)
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) == 0 {
				t.Fatalf("%s: no cell at res %d", b.name, res.res)
			}
			for _, c := range cells {
				ll, err := c.LatLng()
				if err != nil {
					t.Fatal(err)
				}
				bd, err := c.Boundary()
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range bd {
					worst = max(worst, HaversineKm(ll.Lat, ll.Lng, v.Lat, v.Lng)/res.edge)
				}
			}
		}
		t.Logf("res %d: farthest vertex %.3f mean edges from its centre", res.res, worst)
		if worst*1.1 > circumFactor {
			t.Errorf("res %d: a vertex %.3f mean edges from its centre, circumFactor %.2f leaves less than a tenth", res.res, worst, circumFactor)
		}
	}
}

// Near skips the cells whose centre is too far: it offers fewer
// candidates than the whole disk of rings, and still every point within
// the radius, on data dense enough that many lie near the cut.
func TestCellIndexNearSkipsFarCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := NewCellIndex()
	type pt struct{ lat, lng float64 }
	var pts []pt
	for i := 0; i < 40000; i++ {
		p := pt{47 + rng.Float64()*3, 0 + rng.Float64()*5}
		pts = append(pts, p)
		if err := x.Add(int32(i), p.lat, p.lng); err != nil {
			t.Fatal(err)
		}
	}
	for _, radius := range []float64{2, 5, 10, 20, 20.5, 30, 45, 60} {
		for range 10 {
			lat, lng := 47.8+rng.Float64()*1.4, 1+rng.Float64()*3
			got := map[int32]bool{}
			if err := x.Near(lat, lng, radius, func(id int32) { got[id] = true }); err != nil {
				t.Fatal(err)
			}
			within := 0
			for i, p := range pts {
				if HaversineKm(lat, lng, p.lat, p.lng) <= radius {
					within++
					if !got[int32(i)] {
						t.Fatalf("%v,%v %v km: point %d at %.3f km not a candidate", lat, lng, radius, i, HaversineKm(lat, lng, p.lat, p.lng))
					}
				}
			}
			// The ring disk reaches about twice the radius: ~4 times the
			// points of uniform data; cut at the radius plus 1.25 edges,
			// (1 + 1.25·edge/radius)² times, and cells cut at their edge more.
			edge := fineEdgeKm
			if radius > coarseAboveKm {
				edge = coarseEdgeKm
			}
			if bound := math.Pow(1+circumFactor*edge/radius, 2) * 1.35; radius >= 10 && float64(len(got)) > bound*float64(within) {
				t.Errorf("%v,%v %v km: %d candidates for %d points within", lat, lng, radius, len(got), within)
			}
		}
	}
}
