package api

import (
	"net/http/httptest"
	"testing"
)

// FuzzSearchNever5xx feeds arbitrary query strings to the search endpoint:
// whatever comes in, the answer is a 200 or a 4xx, never a 5xx or a panic.
// `go test` runs the seeds; `go test -fuzz FuzzSearchNever5xx ./api` explores.
func FuzzSearchNever5xx(f *testing.F) {
	for _, seed := range []string{
		"q=boulanger&where=22000", "lat=1e308&lng=-1e308", "radius_km=1e-320&lat=0&lng=0",
		"where=%00%01", "q=%E2%80%AE&where=(974)", "page=99999999999999999999", "track=,,,",
		"where=" + string(make([]byte, 300)), "sort=distance&where=75011&radius_km=0",
		"q=l'%C3%A9&remote=only&is_public=1&accessible=0", "week=2026-W53&week=2027-W01",
		"q=*&where=Paris 11e&radius_km=0", "where=97411&radius_km=60&q=h%C3%B4pital",
	} {
		f.Add(seed)
	}
	s := newTestServerF(f)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/api/v1/offers", nil)
		req.URL.RawQuery = query
		resp, err := s.App().Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("query %q: status %d", query, resp.StatusCode)
		}
	})
}
