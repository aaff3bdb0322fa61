package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/search"
)

// serverOf serves offers (and nothing else) with the real search core.
func serverOf(t *testing.T, offers []stageindex.Offer, mutate func(*Options)) *Server {
	t.Helper()
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	live := &search.Live{}
	live.Swap(ix)
	t.Cleanup(func() { ix.Close() })
	opts := Options{Searcher: live, Places: gaz, Logger: discardLogger(), Limits: Limits{Rate: -1}}
	if mutate != nil {
		mutate(&opts)
	}
	return New(opts)
}

func offerAt(id string, published time.Time) stageindex.Offer {
	lat, lng := 48.3904, -4.4861
	return stageindex.Offer{ID: id, Title: "Stage en boulangerie", Description: "Découverte du fournil",
		EmployerName: "Fournil", Tracks: []stageindex.Track{"generale"}, Zipcode: "29200", City: "Brest",
		Department: "29", Latitude: &lat, Longitude: &lng, MaxCandidates: 1, PublishedAt: &published}
}

// TestOfferIDs: an id is read URL-decoded (non-ASCII, an escaped slash), a
// bad escape is a 400 naming id, and an offer published later is not
// found by id before its time.
func TestOfferIDs(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	s := serverOf(t, []stageindex.Offer{
		offerAt("stage-élève", past), offerAt("a/b", past), offerAt("plain", past),
		offerAt("later", time.Now().Add(24*time.Hour)),
	}, nil)
	tests := []struct {
		path   string
		status int
		id     string
	}{
		{"/api/v1/offers/plain", 200, "plain"},
		{"/api/v1/offers/stage-%C3%A9l%C3%A8ve", 200, "stage-élève"},
		{"/api/v1/offers/a%2Fb", 200, "a/b"},
		{"/api/v1/offers/a%2fb", 200, "a/b"},
		{"/api/v1/offers/a/b", 404, ""},
		{"/api/v1/offers/%C3", 400, ""},
		{"/api/v1/offers/later", 404, ""},
	}
	for _, tc := range tests {
		status, _, body := get(t, s, tc.path)
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.path, status, body, tc.status)
			continue
		}
		switch status {
		case 200:
			var o stageindex.Offer
			if json.Unmarshal(body, &o); o.ID != tc.id {
				t.Errorf("%s: offer %q, want %q", tc.path, o.ID, tc.id)
			}
		case 400:
			if !strings.Contains(string(body), `"param":"id"`) {
				t.Errorf("%s: the problem does not name id: %s", tc.path, body)
			}
		}
	}
}

// TestMethods: every resource is read-only; other methods get a 405 with
// Allow (a method HTTP does not know too), OPTIONS a 204 with Allow.
func TestMethods(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/v1/offers", 405},
		{"PUT", "/api/v1/offers/x", 405},
		{"DELETE", "/api/v1/offers/x", 405},
		{"PATCH", "/api/v1/stats", 405},
		{"POST", "/healthz", 405},
		{"TRACE", "/readyz", 405},
		{"PROPFIND", "/api/v1/offers", 405},
		{"BREW", "/nowhere", 405},
		{"POST", "/nowhere", 404},
		{"OPTIONS", "/healthz", 204},
		{"OPTIONS", "/api/v1/offers", 204},
		{"HEAD", "/api/v1/stats", 200},
	}
	for _, tc := range tests {
		resp, err := s.App().Test(httptest.NewRequest(tc.method, tc.path, nil), 10000)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
		if tc.status == 405 {
			if a := resp.Header.Get("Allow"); a != allowGet {
				t.Errorf("%s %s: Allow %q", tc.method, tc.path, a)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, ct)
			}
		}
	}
}

// TestMetricsApart: with MetricsApart, /metrics is not on the public app
// but on MetricsApp.
func TestMetricsApart(t *testing.T) {
	s := serverWith(t, func(o *Options) { o.MetricsApart = true })
	if status, _, _ := get(t, s, "/metrics"); status != 404 {
		t.Errorf("public /metrics: %d, want 404", status)
	}
	resp, err := s.MetricsApp().Test(httptest.NewRequest("GET", "/metrics", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("metrics app: %d", resp.StatusCode)
	}
	if status, _, _ := get(t, newTestServer(t), "/metrics"); status != 200 {
		t.Errorf("/metrics without MetricsApart: %d", status)
	}
}
