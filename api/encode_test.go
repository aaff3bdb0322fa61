package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// assertSameAsJSON fails unless appendSearchResult gives exactly the bytes of
// json.Marshal, the encoder it replaces.
func assertSameAsJSON(t *testing.T, r *stageindex.SearchResult) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got, err := appendSearchResult([]byte("prefix"), r)
	if err != nil {
		t.Fatalf("appendSearchResult: %v", err)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("appendSearchResult dropped what b held: %.20q", got)
	}
	if got = got[len("prefix"):]; !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-60)
		t.Fatalf("differs at byte %d:\n got  …%s\n want …%s", i, got[lo:min(len(got), i+60)], want[lo:min(len(want), i+60)])
	}
}

func ptr[T any](v T) *T { return &v }

func TestAppendSearchResultMatchesJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	hit := func(mod func(h *stageindex.Hit)) *stageindex.SearchResult {
		h := stageindex.Hit{ID: "o1", Title: "Stage", Tracks: []stageindex.Track{}, Weeks: []string{}}
		mod(&h)
		return &stageindex.SearchResult{Hits: []stageindex.Hit{h}}
	}
	tests := []struct {
		name string
		r    *stageindex.SearchResult
	}{
		{"nil result", nil},
		{"zero result", &stageindex.SearchResult{}},
		{"empty slices and maps", &stageindex.SearchResult{Hits: []stageindex.Hit{},
			Facets: stageindex.Facets{Tracks: map[string]int{}, Sectors: map[string]int{}, Weeks: map[string]int{}, Departments: map[string]int{}}}},
		{"nil hit fields", &stageindex.SearchResult{Hits: []stageindex.Hit{{}}}},
		{"empty hit fields", hit(func(h *stageindex.Hit) {
			h.Highlights = &stageindex.Highlights{Title: []stageindex.Segment{}, Description: []stageindex.Segment{}}
		})},
		{"nil highlight fields", hit(func(h *stageindex.Hit) {
			h.Highlights = &stageindex.Highlights{}
		})},
		{"full hit", hit(func(h *stageindex.Hit) {
			*h = stageindex.Hit{ID: "a-1", Title: "Boulangerie <Dupont> & fils", Excerpt: "Pétrir\tle pain\n",
				EmployerName: "Dupont", Sector: "Alimentation", Tracks: []stageindex.Track{stageindex.TrackGenerale, stageindex.TrackSEGPA},
				City: "Lyon 3e", Zipcode: "69003", Department: "69", Location: &stageindex.LatLng{Lat: 45.76, Lng: 4.85},
				DistanceKm: ptr(0.0), Weeks: []string{"2026-W25"}, Remote: true, IsPublic: true, HandicapAccessible: true,
				MaxCandidates: -3, URL: "https://ex.fr/?a=1&b=<2>", PublishedAt: ptr(time.Date(2026, 3, 1, 9, 30, 0, 0, paris)),
				Score: 1.25, Highlights: &stageindex.Highlights{
					Title: []stageindex.Segment{{Text: "Boulangerie", Match: true}, {}, {Text: "é<>"}}, Description: nil}}
		})},
		{"negative zero score is omitted", hit(func(h *stageindex.Hit) { h.Score = math.Copysign(0, -1) })},
		{"negative zero distance is kept", hit(func(h *stageindex.Hit) { h.DistanceKm = ptr(math.Copysign(0, -1)) })},
		{"special characters", hit(func(h *stageindex.Hit) {
			h.Title = "\"quoted\" back\\slash \x00\x01\x1f\x7f \b\f\n\r\t <script>&amp; \u2028\u2029 é 日本 🎓"
			h.Tracks = []stageindex.Track{"<x>"}
		})},
		{"invalid utf-8", hit(func(h *stageindex.Hit) {
			h.Title = "a\xffb\xe2\x80c\xed\xa0\x80d\xc0\xaf\xf4\x90\x80\x80" + "\xe2"
			h.Weeks = []string{"\x80", "ok\xe2\x80\xa8"}
		})},
		{"floats", &stageindex.SearchResult{TookMs: 1e-7, Hits: []stageindex.Hit{
			{Score: 1e21, DistanceKm: ptr(12.5)}, {Score: -0.0001, DistanceKm: ptr(1e-6)},
			{Score: 1e20, DistanceKm: ptr(999999999999999999999.0)}, {Score: 5e-324, DistanceKm: ptr(math.MaxFloat64)},
			{Score: -1e-10, DistanceKm: ptr(0.1 + 0.2)}, {Score: 123456789, DistanceKm: ptr(-1e300)},
		}}},
		{"times", &stageindex.SearchResult{Hits: []stageindex.Hit{
			{PublishedAt: ptr(time.Time{})},
			{PublishedAt: ptr(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
			{PublishedAt: ptr(time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC))},
			{PublishedAt: ptr(time.Date(2026, 1, 2, 3, 4, 5, 120000000, paris))},
			{PublishedAt: ptr(time.Date(1999, 12, 31, 23, 59, 59, 1, time.FixedZone("", -(9*3600+30*60))))},
			{PublishedAt: ptr(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 23*3600+59*60)))},
		}}},
		{"relaxed", &stageindex.SearchResult{Hits: []stageindex.Hit{}, Relaxed: &stageindex.Relaxed{
			Widened: []string{"radius", "weeks"}, RadiusKm: 30, Total: 2, Hits: []stageindex.Hit{{ID: "x"}}}}},
		{"relaxed empty", &stageindex.SearchResult{Relaxed: &stageindex.Relaxed{}}},
		{"place with others", &stageindex.SearchResult{Place: &stageindex.Place{
			Name: "Saint-Denis", INSEE: "93066", Postcode: "93200", Postcodes: []string{"93200", "93210"}, Department: "93",
			Lat: 48.93, Lng: 2.35, Population: 150000, Approximate: true, Others: []stageindex.Place{
				{Name: "Saint-Denis", INSEE: "97411", Department: "974", Lat: -20.88, Lng: 55.45, Postcodes: []string{}},
				{Name: "L'Île-Saint-Denis", INSEE: "93039", Others: []stageindex.Place{{Name: "nested"}}},
			}}}},
		{"area from the query", &stageindex.SearchResult{QUsed: "boulangerie", Place: &stageindex.Place{
			Name: "Bretagne", Kind: stageindex.PlaceRegion, Code: "53", Label: "Bretagne", Region: "53",
			Departments: []string{"22", "29", "35", "56"}, Population: 3400000, FromQuery: true}}},
		{"place empty others", &stageindex.SearchResult{Place: &stageindex.Place{Others: []stageindex.Place{}}}},
		{"facets", &stageindex.SearchResult{Facets: stageindex.Facets{
			Tracks: map[string]int{"segpa": 3, "generale": 10, "prepa_metiers": 0}, Sectors: map[string]int{"Z": 1, "a": 2, "É": 3, "<&>": -4, "": 5},
			Weeks: map[string]int{"2026-W10": 1, "2026-W9": 2}, Departments: nil}}},
		{"many facet keys", &stageindex.SearchResult{Facets: stageindex.Facets{Departments: manyKeys(300)}}},
		{"many highlight segments", hit(func(h *stageindex.Hit) {
			h.Highlights = &stageindex.Highlights{}
			for i := range 20 {
				h.Highlights.Description = append(h.Highlights.Description, stageindex.Segment{Text: fmt.Sprint(i), Match: i%2 == 0})
			}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertSameAsJSON(t, tt.r) })
	}
}

func manyKeys(n int) map[string]int {
	m := make(map[string]int, n)
	for i := range n {
		m[fmt.Sprintf("%03d", (i*7919)%1000)] = i
	}
	return m
}

// TestAppendSearchResultFailsLikeJSON: values json.Marshal refuses must be
// refused too, not written as invalid JSON.
func TestAppendSearchResultFailsLikeJSON(t *testing.T) {
	tests := []struct {
		name string
		r    *stageindex.SearchResult
	}{
		{"NaN took", &stageindex.SearchResult{TookMs: math.NaN()}},
		{"Inf score", &stageindex.SearchResult{Hits: []stageindex.Hit{{Score: math.Inf(1)}}}},
		{"-Inf place lat", &stageindex.SearchResult{Place: &stageindex.Place{Lat: math.Inf(-1)}}},
		{"NaN relaxed hit location", &stageindex.SearchResult{Relaxed: &stageindex.Relaxed{
			Hits: []stageindex.Hit{{Location: &stageindex.LatLng{Lng: math.NaN()}}}}}},
		{"year 10000", &stageindex.SearchResult{Hits: []stageindex.Hit{{PublishedAt: ptr(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))}}}},
		{"negative year", &stageindex.SearchResult{Hits: []stageindex.Hit{{PublishedAt: ptr(time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))}}}},
		{"zone of 24 hours", &stageindex.SearchResult{Hits: []stageindex.Hit{{PublishedAt: ptr(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)))}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := json.Marshal(tt.r); err == nil {
				t.Fatal("json.Marshal accepted the value: the case tests nothing")
			}
			if b, err := appendSearchResult(nil, tt.r); err == nil {
				t.Fatalf("appendSearchResult accepted the value, wrote %s", b)
			}
		})
	}
}

func TestAppendSearchResultRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(20260325))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		r := randomResult(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) { assertSameAsJSON(t, r) })
	}
}

// randomString mixes what JSON escaping must care about: ASCII controls,
// quotes, HTML characters, multi-byte runes, U+2028/9 and invalid UTF-8.
func randomString(rng *rand.Rand) string {
	pieces := []string{"a", "Z", " ", "é", "日", "🎓", "\"", "\\", "/", "<", ">", "&", "\u2028", "\u2029",
		"\x00", "\x1f", "\x7f", "\n", "\t", "\r", "\b", "\f", "\xff", "\xe2\x80", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
		"stage de 3e", "\u00a0", "\ufeff", "\ufffd"}
	var sb strings.Builder
	for range rng.Intn(12) {
		if rng.Intn(4) == 0 {
			sb.WriteByte(byte(rng.Intn(256)))
		} else {
			sb.WriteString(pieces[rng.Intn(len(pieces))])
		}
	}
	return sb.String()
}

func randomFloat(rng *rand.Rand) float64 {
	switch rng.Intn(6) {
	case 0:
		return []float64{0, math.Copysign(0, -1), 1e-7, 1e21, 1e20, 12.5, -0.0001, 1e-6, 9.999999e-7, 5e-324, math.MaxFloat64}[rng.Intn(11)]
	case 1:
		for {
			if f := math.Float64frombits(rng.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	case 2:
		return float64(rng.Intn(2000) - 1000)
	default:
		return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.Intn(60)-30))
	}
}

func randomTime(rng *rand.Rand) *time.Time {
	if rng.Intn(3) == 0 {
		return nil
	}
	sec := rng.Int63n(253402300799+62135596800) - 62135596800 // years 0001–9999 in UTC
	ns := int64(0)
	if rng.Intn(2) == 0 {
		ns = rng.Int63n(1e9)
		if rng.Intn(2) == 0 {
			ns -= ns % 1e6
		}
	}
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("x", 5*3600+45*60+30)}
	t := time.Unix(sec, ns).In(zones[rng.Intn(len(zones))])
	if y := t.Year(); y < 0 || y > 9999 {
		t = t.UTC()
	}
	return &t
}

func randomStrings(rng *rand.Rand) []string {
	switch rng.Intn(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	s := make([]string, 1+rng.Intn(4))
	for i := range s {
		s[i] = randomString(rng)
	}
	return s
}

func randomCounts(rng *rand.Rand) map[string]int {
	switch rng.Intn(4) {
	case 0:
		return nil
	case 1:
		return map[string]int{}
	}
	m := map[string]int{}
	for range rng.Intn(150) {
		m[randomString(rng)] = rng.Intn(2000) - 100
	}
	return m
}

func randomHits(rng *rand.Rand, n int) []stageindex.Hit {
	if rng.Intn(5) == 0 {
		return nil
	}
	hits := make([]stageindex.Hit, rng.Intn(n+1))
	for i := range hits {
		h := &hits[i]
		h.ID, h.Title, h.Excerpt, h.EmployerName = randomString(rng), randomString(rng), randomString(rng), randomString(rng)
		h.Sector, h.City, h.Zipcode, h.Department, h.URL = randomString(rng), randomString(rng), randomString(rng), randomString(rng), randomString(rng)
		if ss := randomStrings(rng); ss != nil {
			h.Tracks = make([]stageindex.Track, len(ss))
			for j, s := range ss {
				h.Tracks[j] = stageindex.Track(s)
			}
		}
		if rng.Intn(2) == 0 {
			h.Location = &stageindex.LatLng{Lat: randomFloat(rng), Lng: randomFloat(rng)}
		}
		if rng.Intn(2) == 0 {
			h.DistanceKm = ptr(randomFloat(rng))
		}
		h.Weeks = randomStrings(rng)
		h.Remote, h.IsPublic, h.HandicapAccessible = rng.Intn(2) == 0, rng.Intn(2) == 0, rng.Intn(2) == 0
		h.MaxCandidates = rng.Intn(41) - 20
		h.PublishedAt = randomTime(rng)
		h.Score = randomFloat(rng)
		if rng.Intn(4) > 0 {
			segments := func() []stageindex.Segment {
				if rng.Intn(4) == 0 {
					return nil
				}
				segs := make([]stageindex.Segment, rng.Intn(5))
				for j := range segs {
					segs[j] = stageindex.Segment{Text: randomString(rng), Match: rng.Intn(2) == 0}
				}
				return segs
			}
			h.Highlights = &stageindex.Highlights{Title: segments(), Description: segments()}
		}
	}
	return hits
}

func randomPlace(rng *rand.Rand, depth int) stageindex.Place {
	p := stageindex.Place{Name: randomString(rng), Kind: stageindex.PlaceKind(randomString(rng)), Code: randomString(rng),
		Label: randomString(rng), INSEE: randomString(rng), Postcode: randomString(rng),
		Postcodes: randomStrings(rng), Department: randomString(rng), Region: randomString(rng),
		Departments: randomStrings(rng), Lat: randomFloat(rng), Lng: randomFloat(rng),
		Population: rng.Intn(3) * rng.Intn(100000), Approximate: rng.Intn(2) == 0, FromQuery: rng.Intn(2) == 0}
	if depth < 2 && rng.Intn(3) == 0 {
		p.Others = make([]stageindex.Place, rng.Intn(3))
		for i := range p.Others {
			p.Others[i] = randomPlace(rng, depth+1)
		}
	}
	return p
}

func randomResult(rng *rand.Rand) *stageindex.SearchResult {
	r := &stageindex.SearchResult{Total: rng.Intn(100000), Page: rng.Intn(50), PerPage: rng.Intn(101), TookMs: randomFloat(rng),
		Hits: randomHits(rng, 6), Facets: stageindex.Facets{Tracks: randomCounts(rng), Sectors: randomCounts(rng),
			Weeks: randomCounts(rng), Departments: randomCounts(rng)}}
	if rng.Intn(2) == 0 {
		r.Place = ptr(randomPlace(rng, 0))
	}
	if rng.Intn(2) == 0 {
		r.QUsed = randomString(rng)
	}
	if rng.Intn(3) == 0 {
		r.Relaxed = &stageindex.Relaxed{Widened: randomStrings(rng), RadiusKm: randomFloat(rng), Total: rng.Intn(100), Hits: randomHits(rng, 3)}
	}
	return r
}

// fillAll sets every exported field reachable from v to a value that is not
// its zero (pointers allocated, two elements per slice and map), so that a
// field added to a result type but not to the hand-written encoder makes
// TestEncoderCoversEveryField fail, whatever its omitempty tag.
func fillAll(v reflect.Value, n *int, depth int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Pointer:
		if depth > 0 {
			p := reflect.New(v.Type().Elem())
			fillAll(p.Elem(), n, depth-1)
			v.Set(p)
		}
	case reflect.Slice:
		if depth > 0 {
			s := reflect.MakeSlice(v.Type(), 2, 2)
			for i := range 2 {
				fillAll(s.Index(i), n, depth-1)
			}
			v.Set(s)
		}
	case reflect.Map:
		if depth > 0 {
			m := reflect.MakeMap(v.Type())
			for range 2 {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fillAll(k, n, depth-1)
				fillAll(e, n, depth-1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, *n%60, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), n, depth)
			}
		}
	}
}

// TestEncoderCoversEveryField fills every field of a search result, hits,
// place, facets and relaxation included, and checks the hand-written
// encoder against json.Marshal: a field nobody taught it fails here.
func TestEncoderCoversEveryField(t *testing.T) {
	var r stageindex.SearchResult
	n := 0
	fillAll(reflect.ValueOf(&r).Elem(), &n, 4)
	assertSameAsJSON(t, &r)
}

// TestAppendStringEveryPosition puts each byte value at each position of
// long ASCII runs (the encoder's eight-byte path) and compares with
// encoding/json.
func TestAppendStringEveryPosition(t *testing.T) {
	for c := range 256 {
		for pos := range 20 {
			b := []byte("abcdefghijklmnopqrst")
			b[pos] = byte(c)
			for _, s := range []string{string(b), string(b) + "é", "é" + string(b[:pos+1])} {
				want, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				if got := appendString(nil, s); string(got) != string(want) {
					t.Fatalf("%q: %s, want %s", s, got, want)
				}
			}
		}
	}
}
