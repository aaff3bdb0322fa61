package indexer_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

// fullOffer sets every field of stageindex.Offer to a valid value that is
// not its zero: TestEveryFieldReachesEverything fails until a new field is
// set here, and then until it reaches the database, the index and the JSON.
func fullOffer() stageindex.Offer {
	lat, lng := 48.5151, -2.7684
	pub := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	return stageindex.Offer{
		ID: "full-1", Title: "Boulangerie Le Gall", Description: "Pétrir le pain.",
		EmployerName: "Au Fournil", EmployerDescription: "Une boulangerie du port",
		Sector: "Hôtellerie, restauration", Tracks: []stageindex.Track{stageindex.TrackGenerale, stageindex.TrackSEGPA},
		IsPublic: true, Remote: true, HandicapAccessible: true,
		Street: "1 rue du Port", Zipcode: "22000", City: "Saint-Brieuc", Department: "22",
		Latitude: &lat, Longitude: &lng, Weeks: []string{"2030-W05", "2030-W06"},
		MaxCandidates: 3, URL: "https://example.org/full-1", PublishedAt: &pub,
	}
}

func TestEveryFieldReachesEverything(t *testing.T) {
	full := fullOffer()
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullOffer leaves Offer.%s zero: set it so that the round trips below cover it", v.Type().Field(i).Name)
		}
	}
	line, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := stageindex.ParseOffer(line)
	if err != nil {
		t.Fatalf("ParseOffer(json.Marshal(fullOffer())): %v", err)
	}
	if !reflect.DeepEqual(parsed, full) {
		t.Fatalf("JSON round trip:\n got  %+v\n want %+v", parsed, full)
	}

	st, pool := newStore(t)
	importLines(t, pool, string(line)+"\n")
	ctx := context.Background()
	got, err := st.Get(ctx, full.ID)
	if err != nil || !reflect.DeepEqual(got, full) {
		t.Fatalf("database round trip (Get): %v\n got  %+v\n want %+v", err, got, full)
	}
	all, _ := loadAll(t, st)
	if !reflect.DeepEqual(all[full.ID], full) {
		t.Fatalf("database round trip (LoadOffers):\n got  %+v\n want %+v", all[full.ID], full)
	}

	now := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "ix")} {
		cfg := search.Config{Thesaurus: testThesaurus(t), Now: now, Dir: dir}
		ix, err := search.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Apply(ctx, []stageindex.Offer{full}, nil); err != nil {
			t.Fatal(err)
		}
		if dir != "" {
			ix.Close()
			if ix, err = search.Open(cfg); err != nil {
				t.Fatal(err)
			}
		}
		if got, ok := ix.Get(full.ID); !ok || !reflect.DeepEqual(got, full) {
			t.Fatalf("index round trip (dir %q): %v\n got  %+v\n want %+v", dir, ok, got, full)
		}
		res, err := ix.Search(ctx, stageindex.SearchRequest{Query: "boulangerie", Remote: stageindex.RemoteInclude})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("search: %v %+v", err, res)
		}
		assertHitCarriesOffer(t, res.Hits[0], full)
		ix.Close()
	}
}

// assertHitCarriesOffer fails when a JSON field of Offer that Hit also has
// does not carry the same value in the hit.
func assertHitCarriesOffer(t *testing.T, h stageindex.Hit, o stageindex.Offer) {
	t.Helper()
	var hm, om map[string]any
	hb, _ := json.Marshal(h)
	ob, _ := json.Marshal(o)
	json.Unmarshal(hb, &hm)
	json.Unmarshal(ob, &om)
	ht := reflect.TypeOf(h)
	for i := range ht.NumField() {
		name, _, _ := strings.Cut(ht.Field(i).Tag.Get("json"), ",")
		ov, inOffer := om[name]
		if !inOffer {
			continue
		}
		if !reflect.DeepEqual(hm[name], ov) {
			t.Errorf("hit field %s = %v, the offer's is %v", name, hm[name], ov)
		}
	}
}
