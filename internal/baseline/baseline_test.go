package baseline_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/internal/baseline"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/testdb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// now is inside the corpus' school year: weeks from 2026-W50 are open.
var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// paris is the search center; offers are placed north of it by km.
var paris = stageindex.LatLng{Lat: 48.8566, Lng: 2.3522}

type fixture struct {
	id, title, employer string
	kmNorth             float64
	tracks              []string
	weeks               []string
	published           string
	remote              bool
}

var fixtures = []fixture{
	{id: "hop-1", title: "Découverte de l'Hôpital Lariboisière", employer: "AP-HP", kmNorth: 1, tracks: []string{"generale"}},
	{id: "hop-5", title: "Stage au service des urgences", employer: "Hôpital Bichat", kmNorth: 5, tracks: []string{"segpa"}},
	{id: "hop-15", title: "Hôpital de Gonesse, accueil", employer: "CH Gonesse", kmNorth: 15, tracks: []string{"generale", "segpa"}},
	{id: "boul-2", title: "Boulangerie du coin", employer: "Maison Dupain", kmNorth: 2, tracks: []string{"prepa_metiers"}},
	{id: "jeu-3", title: "Studio de jeu vidéo", employer: "Pixel SARL", kmNorth: 3, tracks: []string{"generale"}},
	{id: "jeu-4", title: "Magasin de jeux de société", employer: "Ludik", kmNorth: 4, tracks: []string{"generale"}},
	{id: "past", title: "Hôpital, semaine passée", employer: "CHU", kmNorth: 1.5, tracks: []string{"generale"}, weeks: []string{"2026-W10"}},
	{id: "future", title: "Hôpital, pas encore publié", employer: "CHU", kmNorth: 1.5, tracks: []string{"generale"}, published: "2027-01-01T00:00:00Z"},
	{id: "remote", title: "Hôpital à distance", employer: "CHU", tracks: []string{"generale"}, remote: true},
}

// newBaseline imports the fixtures with the project's importer into a new
// database and sets the baseline up on it.
func newBaseline(t *testing.T) *baseline.Baseline {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, _ := testdb.New(t)

	var lines []string
	for _, f := range fixtures {
		o := map[string]any{
			"id": f.id, "title": f.title, "description": "Une semaine pour découvrir le métier.",
			"employer_name": f.employer, "tracks": f.tracks, "remote": f.remote,
			"weeks": []string{"2027-W05"}, "published_at": "2026-09-01T08:00:00Z",
		}
		if !f.remote {
			o["latitude"], o["longitude"] = paris.Lat+f.kmNorth/111.2, paris.Lng
			o["zipcode"], o["city"] = "75010", "Paris"
		}
		if f.weeks != nil {
			o["weeks"] = f.weeks
		}
		if f.published != "" {
			o["published_at"] = f.published
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	rep, err := importer.New(pool).Import(ctx, strings.NewReader(strings.Join(lines, "\n")), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != 0 {
		t.Fatalf("fixtures rejected: %+v", rep.Rejections)
	}
	b := baseline.New(pool)
	if err := b.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearch(t *testing.T) {
	b := newBaseline(t)
	// Setup must be repeatable: the harness and the evaluation both call it.
	if err := b.Setup(context.Background()); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	cases := []struct {
		name      string
		q         baseline.Query
		wantIDs   []string
		wantTotal int
	}{
		{"accent-less word matches accented text", baseline.Query{Text: "hopital", RadiusKm: 10}, []string{"hop-1", "hop-5"}, 2},
		{"prefix of a word", baseline.Query{Text: "HÔP", RadiusKm: 20}, []string{"hop-1", "hop-5", "hop-15"}, 3},
		{"every word is required", baseline.Query{Text: "jeu vidéo", RadiusKm: 10}, []string{"jeu-3"}, 1},
		{"singular prefix matches the plural", baseline.Query{Text: "jeu", RadiusKm: 10}, []string{"jeu-3", "jeu-4"}, 2},
		// french_stem keeps "jeux" whole, so it is no prefix of "jeu".
		{"plural does not match the singular", baseline.Query{Text: "jeux", RadiusKm: 10}, []string{"jeu-4"}, 1},
		{"no words: all by distance", baseline.Query{Text: " - ", RadiusKm: 3.5}, []string{"hop-1", "boul-2", "jeu-3"}, 3},
		{"radius bounds the circle", baseline.Query{RadiusKm: 1.2}, []string{"hop-1"}, 1},
		{"tracks overlap", baseline.Query{RadiusKm: 20, Tracks: []stageindex.Track{"segpa", "prepa_metiers"}}, []string{"boul-2", "hop-5", "hop-15"}, 3},
		{"limit keeps the total", baseline.Query{RadiusKm: 20, Limit: 2}, []string{"hop-1", "boul-2"}, 6},
		{"nothing matches", baseline.Query{Text: "astronaute", RadiusKm: 60}, nil, 0},
		{"no center: everywhere, remote too", baseline.Query{Text: "distance"}, []string{"remote"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.RadiusKm > 0 {
				q.Center = &paris
			}
			q.Now = now
			res, err := b.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range res.Hits {
				ids = append(ids, h.ID)
				if q.Center != nil && (h.DistanceKm == nil || *h.DistanceKm > q.RadiusKm) {
					t.Errorf("%s: distance %v outside %v km", h.ID, h.DistanceKm, q.RadiusKm)
				}
			}
			if !slices.Equal(ids, tc.wantIDs) || res.Total != tc.wantTotal {
				t.Errorf("got %v (total %d), want %v (total %d)", ids, res.Total, tc.wantIDs, tc.wantTotal)
			}
		})
	}
}

func TestSearchDistance(t *testing.T) {
	b := newBaseline(t)
	res, err := b.Search(context.Background(), baseline.Query{Center: &paris, RadiusKm: 2.5, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2}
	if len(res.Hits) != len(want) {
		t.Fatalf("got %d hits, want %d", len(res.Hits), len(want))
	}
	for i, h := range res.Hits {
		if d := *h.DistanceKm; d < want[i]-0.05 || d > want[i]+0.05 {
			t.Errorf("%s at %.3f km, want %.1f", h.ID, d, want[i])
		}
		if h.City != "Paris" || h.Zipcode != "75010" || h.Title == "" || len(h.Tracks) == 0 {
			t.Errorf("%s: incomplete hit %+v", h.ID, h)
		}
	}
}

func TestSearchBadQuery(t *testing.T) {
	b := newBaseline(t)
	cases := []struct {
		name string
		q    baseline.Query
	}{
		{"zero radius", baseline.Query{Center: &paris}},
		{"latitude out of range", baseline.Query{Center: &stageindex.LatLng{Lat: 91}, RadiusKm: 10}},
		{"unknown track", baseline.Query{Center: &paris, RadiusKm: 10, Tracks: []stageindex.Track{"cap"}}},
		{"limit over the API's", baseline.Query{Center: &paris, RadiusKm: 10, Limit: 101}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.Search(context.Background(), tc.q); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestPrefixQuery(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"one word", "Hôpital", "hôpital:*"},
		{"several words", "jeu  vidéo", "jeu:* & vidéo:*"},
		{"tsquery syntax is dropped", "a&b|!c:*(d)'e", "a:* & b:* & c:* & d:* & e:*"},
		{"empty", "", ""},
		{"punctuation only", " - ' ", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := baseline.PrefixQuery(tc.in); got != tc.want {
				t.Errorf("PrefixQuery(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
