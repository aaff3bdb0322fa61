package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/search"
)

// newTestServer serves the embedded demo offers with the real search core
// and gazetteer: the API is tested with its real collaborators.
func newTestServer(t *testing.T) *Server { return newTestServerF(t) }

// shared builds the demo index once per test binary: under the race
// detector a build takes seconds, and the tests only read it.
var shared struct {
	once sync.Once
	s    *Server
	opts Options // of s, for servers of other options over the same index
	err  error
}

func newTestServerF(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.s, shared.err = buildTestServer() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.s
}

func buildTestServer() (*Server, error) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return nil, err
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	offers, err := demo.Offers(now)
	if err != nil {
		return nil, err
	}
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf, Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		return nil, err
	}
	live := &search.Live{}
	live.Swap(ix)
	// No rate limit: the tests send more than a client should; limits_test
	// makes servers with them.
	// No search budget (budget_test.go tests it): under -race on a loaded
	// machine a search may pass a second.
	shared.opts = Options{Searcher: live, Places: gaz, Logger: discardLogger(), Limits: Limits{Rate: -1}, SearchTimeout: -1}
	return New(shared.opts), nil
}

func get(t *testing.T, s *Server, target string) (int, string, []byte) {
	t.Helper()
	resp, err := s.App().Test(httptest.NewRequest("GET", target, nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

type problem struct {
	Status int                     `json:"status"`
	Title  string                  `json:"title"`
	Errors []stageindex.ParamError `json:"errors"`
}

func TestBadParametersAreProblems(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name   string
		query  string
		params []string             // every parameter the problem must name
		code   stageindex.ParamCode // the code of the first error
	}{
		{"radius too large", "radius_km=61&lat=48&lng=2", []string{"radius_km"}, "out_of_range"},
		{"radius negative", "radius_km=-1&lat=48&lng=2", []string{"radius_km"}, "out_of_range"},
		{"radius not a number", "radius_km=ten&lat=48&lng=2", []string{"radius_km"}, "not_a_number"},
		{"radius NaN", "radius_km=NaN&lat=48&lng=2", []string{"radius_km"}, "not_a_number"},
		{"lat out of range", "lat=91&lng=2", []string{"lat"}, "out_of_range"},
		{"lat without lng", "lat=48", []string{"lng"}, "required"},
		{"where and lat", "where=22000&lat=48&lng=2", []string{"where"}, "conflict"},
		{"unknown place", "where=zzzzqqqq", []string{"where"}, "unknown_place"},
		{"ambiguous place", "where=saint-denis", []string{"where"}, "ambiguous_place"},
		{"bad track", "track=college", []string{"track"}, "not_one_of"},
		{"bad sector", "sector=astronautique", []string{"sector"}, "unknown_sector"},
		{"bad week", "week=2026-W54", []string{"week"}, "invalid_week"},
		{"week 53 of a 52-week year", "week=2027-W53", []string{"week"}, "invalid_week"},
		{"bad department", "department=20", []string{"department"}, "invalid_department"},
		{"bad boolean", "is_public=maybe", []string{"is_public"}, "not_a_boolean"},
		{"bad remote", "remote=sometimes", []string{"remote"}, "not_one_of"},
		{"bad sort", "sort=price", []string{"sort"}, "not_one_of"},
		{"distance sort without place", "sort=distance", []string{"sort"}, "needs_place"},
		{"page zero", "page=0", []string{"page"}, "out_of_range"},
		{"per_page too large", "per_page=101", []string{"per_page"}, "out_of_range"},
		{"too deep", "page=501&per_page=20", []string{"page"}, "too_deep"},
		{"q too long", "q=" + strings.Repeat("a", 201), []string{"q"}, "too_long"},
		{"q twice", "q=a&q=b", []string{"q"}, "repeated"},
		{"invalid utf-8", "q=%ff%fe", []string{"q"}, "invalid_utf8"},
		{"several at once", "radius_km=100&track=x&per_page=0&lat=48&lng=2", []string{"radius_km", "track", "per_page"}, "out_of_range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := get(t, s, "/api/v1/offers?"+tc.query)
			if status != 400 || ctype != "application/problem+json" {
				t.Fatalf("status %d %s, want 400 problem+json: %s", status, ctype, body)
			}
			var p problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			named := map[string]bool{}
			for _, e := range p.Errors {
				named[e.Param] = true
				if e.Message == "" || e.Code == "" {
					t.Errorf("empty message or code for %s: %s", e.Param, body)
				}
			}
			if len(p.Errors) > 0 && p.Errors[0].Code != tc.code {
				t.Errorf("first error code %q, want %q: %s", p.Errors[0].Code, tc.code, body)
			}
			for _, want := range tc.params {
				if !named[want] {
					t.Errorf("problem does not name %q: %s", want, body)
				}
			}
			if p.Status != 400 {
				t.Errorf("status field %d", p.Status)
			}
		})
	}
}

func TestAmbiguousPlaceListsCandidates(t *testing.T) {
	s := newTestServer(t)
	_, _, body := get(t, s, "/api/v1/offers?where="+url.QueryEscape("Saint-Denis"))
	var p problem
	json.Unmarshal(body, &p)
	if len(p.Errors) != 1 || len(p.Errors[0].Candidates) < 2 {
		t.Fatalf("want candidates for Saint-Denis: %s", body)
	}
}

func TestSearchResponse(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name      string
		query     string
		wantPlace string
		check     func(t *testing.T, r stageindex.SearchResult)
	}{
		{"keyword around Paris", "q=boulanger&lat=48.8534&lng=2.3488&radius_km=60", "", func(t *testing.T, r stageindex.SearchResult) {
			if r.Total == 0 {
				t.Fatal("no boulanger around Paris in the demo")
			}
			for _, h := range r.Hits {
				if h.DistanceKm == nil || *h.DistanceKm > 60 {
					t.Errorf("hit %s distance %v", h.ID, h.DistanceKm)
				}
			}
		}},
		{"where by town name", "where=" + url.QueryEscape("saint brieuc") + "&radius_km=30", "22278", func(t *testing.T, r stageindex.SearchResult) {
			prev := -1.0
			for _, h := range r.Hits {
				if *h.DistanceKm < prev {
					t.Errorf("not sorted by distance: %v after %v", *h.DistanceKm, prev)
				}
				prev = *h.DistanceKm
			}
		}},
		{"where by postcode", "where=22000", "22278", nil},
		{"facets list zero tracks", "where=22000&track=segpa", "22278", func(t *testing.T, r stageindex.SearchResult) {
			if len(r.Facets.Tracks) != 3 {
				t.Errorf("tracks facet %v", r.Facets.Tracks)
			}
		}},
		{"zero hits are relaxed", "q=boulangerie&lat=48.5151&lng=-2.7684&radius_km=1", "", func(t *testing.T, r stageindex.SearchResult) {
			if r.Total == 0 && (r.Relaxed == nil || len(r.Relaxed.Widened) == 0) {
				t.Errorf("no relaxed block on zero hits")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := get(t, s, "/api/v1/offers?"+tc.query)
			if status != 200 || !strings.HasPrefix(ctype, "application/json") {
				t.Fatalf("status %d %s: %s", status, ctype, body)
			}
			var r stageindex.SearchResult
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if tc.wantPlace != "" && (r.Place == nil || r.Place.INSEE != tc.wantPlace) {
				t.Fatalf("place %+v, want INSEE %s", r.Place, tc.wantPlace)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestOtherEndpoints(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, target string
		status       int
		contains     string
	}{
		{"offer by id", "/api/v1/offers/gen-7-0000000", 200, `"id":"gen-7-0000000"`},
		{"unknown offer", "/api/v1/offers/nope", 404, `"status":404`},
		{"places", "/api/v1/places?q=saint-bri", 200, `"insee":"22278"`},
		{"places too short", "/api/v1/places?q=s", 400, `"param":"q"`},
		{"suggest", "/api/v1/suggest?q=boul", 200, `boulang`},
		{"stats", "/api/v1/stats", 200, `"tracks"`},
		{"openapi", "/api/v1/openapi.json", 200, `"openapi"`},
		{"healthz", "/healthz", 200, `"ok"`},
		{"readyz", "/readyz", 200, `"ready":true`},
		{"metrics", "/metrics", 200, `stageindex_http_requests_total`},
		{"unknown route", "/nope", 404, `"status":404`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := get(t, s, tc.target)
			if status != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("status %d body %.300s; want %d containing %s", status, body, tc.status, tc.contains)
			}
		})
	}
}

func TestNotReadyIs503(t *testing.T) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Searcher: &search.Live{}, Places: gaz, Logger: discardLogger()})
	for _, target := range []string{"/readyz", "/api/v1/offers?q=boulanger"} {
		if status, _, body := get(t, s, target); status != 503 {
			t.Errorf("%s: status %d %s, want 503", target, status, body)
		}
	}
}
