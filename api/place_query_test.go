package api

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

func ids(hits []stageindex.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func searchJSON(t *testing.T, s *Server, query string) stageindex.SearchResult {
	t.Helper()
	status, _, body := get(t, s, "/api/v1/offers?"+query)
	if status != 200 {
		t.Fatalf("%s: status %d: %s", query, status, body)
	}
	var r stageindex.SearchResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestWhereAreas: a département, a région or the country as where scope
// the search to their départements, with no radius and by date.
func TestWhereAreas(t *testing.T) {
	s := newTestServer(t)
	all := searchJSON(t, s, "per_page=1")
	tests := []struct {
		where string
		kind  stageindex.PlaceKind
		code  string
		depts []string // the only departments hits may have; nil: any
	}{
		{"Finistère", stageindex.PlaceDepartment, "29", []string{"29"}},
		{"cotes d armor", stageindex.PlaceDepartment, "22", []string{"22"}},
		{"Finistère (29)", stageindex.PlaceDepartment, "29", []string{"29"}},
		{"Bretagne", stageindex.PlaceRegion, "53", []string{"22", "29", "35", "56"}},
		{"ile de france", stageindex.PlaceRegion, "11", []string{"75", "77", "78", "91", "92", "93", "94", "95"}},
		{"Grand Est", stageindex.PlaceRegion, "44", []string{"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}},
		{"La Réunion", stageindex.PlaceRegion, "04", []string{"974"}},
		{"Corse", stageindex.PlaceRegion, "94", []string{"2A", "2B"}},
		{"toute la France", stageindex.PlaceCountry, "FR", nil},
		{"France", stageindex.PlaceCountry, "FR", nil},
	}
	for _, tc := range tests {
		t.Run(tc.where, func(t *testing.T) {
			// radius_km does not apply to an area.
			r := searchJSON(t, s, "per_page=100&radius_km=1&where="+url.QueryEscape(tc.where))
			if r.Place == nil || r.Place.Kind != tc.kind || r.Place.Code != tc.code || r.Place.FromQuery {
				t.Fatalf("place %+v, want %s %s", r.Place, tc.kind, tc.code)
			}
			if r.Place.Lat != 0 || r.Place.Lng != 0 || r.Place.INSEE != "" {
				t.Errorf("an area with a point or an INSEE code: %+v", r.Place)
			}
			if tc.depts == nil {
				if r.Total != all.Total {
					t.Errorf("country: %d hits, %d without a place", r.Total, all.Total)
				}
				return
			}
			if !slices.Equal(r.Place.Departments, tc.depts) {
				t.Errorf("departments %v, want %v", r.Place.Departments, tc.depts)
			}
			if r.Total == 0 && tc.code != "94" {
				t.Fatalf("no demo offer in %s", tc.where)
			}
			for _, h := range r.Hits {
				if !slices.Contains(tc.depts, h.Department) {
					t.Errorf("hit %s in department %s", h.ID, h.Department)
				}
				if h.DistanceKm != nil {
					t.Errorf("hit %s has a distance in an area search", h.ID)
				}
			}
			for i := 1; i < len(r.Hits); i++ {
				if r.Hits[i-1].PublishedAt.Before(*r.Hits[i].PublishedAt) {
					t.Errorf("not by date: %s before %s", r.Hits[i-1].ID, r.Hits[i].ID)
				}
			}
			sum := 0
			for d, n := range r.Facets.Departments {
				if !slices.Contains(tc.depts, d) {
					t.Errorf("departments facet counts %s outside the area", d)
				}
				sum += n
			}
			if sum != r.Total {
				t.Errorf("departments facet sums to %d, total %d", sum, r.Total)
			}
		})
	}
	// The departments facet still counts each département of a région
	// when one is filtered.
	r := searchJSON(t, s, "where=Bretagne&department=29")
	if r.Facets.Departments["22"] == 0 || r.Facets.Departments["29"] != r.Total {
		t.Errorf("Bretagne, department 29: facet %v, total %d", r.Facets.Departments, r.Total)
	}
	// A sort by distance needs a point, which an area has not.
	status, _, body := get(t, s, "/api/v1/offers?sort=distance&where=Bretagne")
	var p problem
	json.Unmarshal(body, &p)
	if status != 400 || len(p.Errors) != 1 || p.Errors[0].Code != stageindex.CodeNeedsPlace {
		t.Errorf("sort=distance in Bretagne: %d %s, want needs_place", status, body)
	}
}

// TestPlaceFromQuery: a place typed in q is used when the request has no
// place of its own, and reported; false friends stay keywords.
func TestPlaceFromQuery(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		query, kind, code, qUsed string // kind "" for no place read
	}{
		{"q=boulangerie+brest", "commune", "29019", "boulangerie"},
		{"q=" + url.QueryEscape("stage mairie nantes"), "commune", "44109", "stage mairie"},
		{"q=" + url.QueryEscape("stage avocat paris 15"), "commune", "75115", "stage avocat"},
		{"q=" + url.QueryEscape("stage en Bretagne"), "region", "53", ""},
		{"q=" + url.QueryEscape("vendeur finistère"), "department", "29", "vendeur"},
		{"q=brest", "commune", "29019", ""},
		{"q=" + url.QueryEscape("stage tours de magie"), "", "", ""},
		{"q=" + url.QueryEscape("stage orange"), "", "", ""},
		{"q=" + url.QueryEscape("stage à orange"), "commune", "84087", ""},
		{"q=" + url.QueryEscape("stage trop nice"), "", "", ""},
		{"q=" + url.QueryEscape("stage de mode"), "", "", ""},
		{"q=" + url.QueryEscape("nettoyage vitre"), "", "", ""},
		{"q=" + url.QueryEscape("agent immobilier"), "", "", ""},
		{"q=" + url.QueryEscape("stage dans ma mairie"), "", "", ""},
		{"q=" + url.QueryEscape("stage macon"), "", "", ""},
		// An explicit place: q is never cut.
		{"where=Rennes&q=boulangerie+brest", "commune", "35238", ""},
		{"lat=48.11&lng=-1.68&q=boulangerie+brest", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := searchJSON(t, s, tc.query)
			explicit := tc.query[:2] != "q="
			switch {
			case tc.kind == "" && r.Place != nil:
				t.Fatalf("place %+v read from q", r.Place)
			case tc.kind != "" && (r.Place == nil || string(r.Place.Kind) != tc.kind || r.Place.Code != tc.code):
				t.Fatalf("place %+v, want %s %s", r.Place, tc.kind, tc.code)
			case r.Place != nil && r.Place.FromQuery == explicit:
				t.Errorf("from_query %v", r.Place.FromQuery)
			}
			if r.QUsed != tc.qUsed {
				t.Errorf("q_used %q, want %q", r.QUsed, tc.qUsed)
			}
		})
	}
	// What was read is what is searched: mechanics around Brest.
	r := searchJSON(t, s, "q=mecanique+brest&per_page=100")
	if r.Total == 0 || r.QUsed != "mecanique" {
		t.Fatalf("no mécanique near Brest in the demo (q_used %q)", r.QUsed)
	}
	for _, h := range r.Hits {
		if h.DistanceKm == nil || *h.DistanceKm > stageindex.DefaultRadius {
			t.Errorf("hit %s at %v km of Brest", h.ID, h.DistanceKm)
		}
	}
	same := searchJSON(t, s, "q=mecanique&where=Brest&per_page=100")
	if same.Total != r.Total || !slices.Equal(ids(same.Hits), ids(r.Hits)) {
		t.Errorf("q=mecanique brest: %v, q=mecanique&where=Brest: %v", ids(r.Hits), ids(same.Hits))
	}
	// The encoder writes the new fields.
	_, _, body := get(t, s, "/api/v1/offers?q=boulangerie+brest&per_page=1")
	var raw map[string]json.RawMessage
	json.Unmarshal(body, &raw)
	var place map[string]any
	json.Unmarshal(raw["place"], &place)
	if string(raw["q_used"]) != `"boulangerie"` || place["from_query"] != true || place["kind"] != "commune" || place["label"] != "Brest (29)" {
		t.Errorf("response %s", body)
	}
}

// TestPlacesEndpoint: the autocomplete suggests départements and régions
// with their kind, labels with the département, own postcodes first.
func TestPlacesEndpoint(t *testing.T) {
	s := newTestServer(t)
	places := func(q string) []stageindex.Place {
		status, _, body := get(t, s, "/api/v1/places?q="+url.QueryEscape(q))
		if status != 200 {
			t.Fatalf("places?q=%s: %d %s", q, status, body)
		}
		var r struct{ Places []stageindex.Place }
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		return r.Places
	}
	if p := places("finis"); len(p) == 0 || p[0].Kind != stageindex.PlaceDepartment || p[0].Code != "29" || p[0].Label != "Finistère (29)" {
		t.Errorf("finis: %+v", p)
	}
	if p := places("bretag"); len(p) == 0 || p[0].Kind != stageindex.PlaceRegion || p[0].Code != "53" {
		t.Errorf("bretag: %+v", p)
	}
	labels := []string{}
	for _, p := range places("saint-denis") {
		labels = append(labels, p.Label)
	}
	if !slices.Contains(labels, "Saint-Denis (93)") || !slices.Contains(labels, "Saint-Denis (La Réunion)") {
		t.Errorf("saint-denis labels %v", labels)
	}
	if p := places("29000"); len(p) < 2 || p[0].Name != "Quimper" {
		t.Errorf("29000: %+v", p)
	}
	if p := places("boulogne-bill"); len(p) == 0 || p[0].Postcode != "92100" {
		t.Errorf("boulogne-bill: %+v", p)
	}
}

// TestWhereFixes: the fixes of issue 12 through the API.
func TestWhereFixes(t *testing.T) {
	s := newTestServer(t)
	for where, insee := range map[string]string{
		"29000": "29232", "Montreuil-sous-Bois": "93048", "Marseille 13008": "13208",
		"Lyon 69003": "69383", "La Réunion (47)": "47222",
	} {
		r := searchJSON(t, s, "where="+url.QueryEscape(where))
		if r.Place == nil || r.Place.INSEE != insee {
			t.Errorf("where=%s: place %+v, want %s", where, r.Place, insee)
		}
	}
	status, _, body := get(t, s, "/api/v1/offers?where=Saint")
	var p problem
	json.Unmarshal(body, &p)
	if status != 400 || len(p.Errors) != 1 || p.Errors[0].Code != stageindex.CodeAmbiguousPlace || len(p.Errors[0].Candidates) < 3 {
		t.Errorf("where=Saint: %d %s, want ambiguous_place with candidates", status, body)
	}
}
