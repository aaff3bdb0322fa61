package querymix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := `{"q": "hôtel", "lat": 47.67589, "lng": -2.57201, "postcode": "56250", "city": "Sulniac", "radius_km": 10, "track": null}

{"q": "", "lat": 49.9, "lng": 2.3, "postcode": "80000", "city": "Amiens", "radius_km": 60, "track": "segpa"}
`
	qs, err := Parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].Q != "hôtel" || qs[0].Track != nil || *qs[1].Track != "segpa" || qs[1].RadiusKm != 60 || qs[1].City != "Amiens" {
		t.Fatalf("parsed %+v", qs)
	}
	if got, want := qs[0].Path(30), "/api/v1/offers?lat=47.67589&lng=-2.57201&per_page=30&q=h%C3%B4tel&radius_km=10"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	if got := qs[1].Path(20); got != "/api/v1/offers?lat=49.9&lng=2.3&per_page=20&radius_km=60&track=segpa" {
		t.Errorf("path %s", got)
	}
	if tr := qs[1].Tracks(); len(tr) != 1 || tr[0] != "segpa" || qs[0].Tracks() != nil {
		t.Errorf("tracks %v %v", qs[0].Tracks(), tr)
	}

	bad := []struct{ name, in, want string }{
		{"no query", "\n\n", "no query"},
		{"not JSON", `{"q": `, "line 1"},
		{"unknown field", `{"q": "", "lat": 1, "lng": 1, "radius_km": 5, "where": "x"}`, "unknown field"},
		{"no coordinates", `{"q": "x", "radius_km": 5}`, "lat and lng"},
		{"latitude out of range", `{"lat": 91, "lng": 1, "radius_km": 5}`, "lat 91"},
		{"longitude out of range", `{"lat": 1, "lng": -181, "radius_km": 5}`, "lng -181"},
		{"zero radius", `{"lat": 1, "lng": 1, "radius_km": 0}`, "radius_km"},
		{"radius over the API's", `{"lat": 1, "lng": 1, "radius_km": 61}`, "radius_km"},
		{"unknown track", `{"lat": 1, "lng": 1, "radius_km": 5, "track": "cap"}`, "unknown track"},
		{"q too long", `{"q": "` + strings.Repeat("a", 300) + `", "lat": 1, "lng": 1, "radius_km": 5}`, "q longer"},
		{"line number of the bad line", "{\"lat\": 1, \"lng\": 1, \"radius_km\": 5}\n{\"lat\": 1}", "line 2"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadAndAround(t *testing.T) {
	if _, err := Read(filepath.Join(t.TempDir(), "none.jsonl")); err == nil {
		t.Error("no error for a missing file")
	}
	f := filepath.Join(t.TempDir(), "q.jsonl")
	if err := os.WriteFile(f, []byte(`{"q": "boulanger", "lat": 48.5, "lng": -2.7, "radius_km": 30}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	qs, err := Read(f)
	if err != nil || len(qs) != 1 {
		t.Fatalf("%v %v", qs, err)
	}
	a := Around("boulanger", 48.5, -2.7, 30)
	if a.Path(30) != qs[0].Path(30) {
		t.Errorf("Around %s, read %s", a.Path(30), qs[0].Path(30))
	}
}
