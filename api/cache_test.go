package api

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

func TestETagsAndNotModified(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		path, cache string
	}{
		{"/api/v1/offers?where=22000&radius_km=30", "public, max-age=60"},
		{"/api/v1/offers?q=boulanger", "public, max-age=60"},
		{"/api/v1/stats", "public, max-age=300"},
		{"/api/v1/suggest?q=boul", "public, max-age=300"},
		{"/api/v1/places?q=saint-b", "public, max-age=86400"},
		{"/api/v1/openapi.json", "public, max-age=3600"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := do(t, s, tc.path)
			etag := resp.Header.Get("ETag")
			if resp.StatusCode != 200 || !strings.HasPrefix(etag, `W/"`) {
				t.Fatalf("status %d, ETag %q", resp.StatusCode, etag)
			}
			if other, ok := seen[etag]; ok {
				t.Errorf("same ETag as %s", other)
			}
			seen[etag] = tc.path
			if cc := resp.Header.Get("Cache-Control"); cc != tc.cache {
				t.Errorf("Cache-Control %q, want %q", cc, tc.cache)
			}
			if v := resp.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
				t.Errorf("Vary %q", v)
			}
			// A second answer differs in took_ms, not in its ETag.
			again, _ := do(t, s, tc.path)
			if again.Header.Get("ETag") != etag {
				t.Errorf("ETag changed between two identical requests: %q, %q", etag, again.Header.Get("ETag"))
			}
			for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
				nm, nmBody := do(t, s, tc.path, "If-None-Match: "+inm)
				if nm.StatusCode != 304 || len(nmBody) != 0 || nm.Header.Get("ETag") != etag {
					t.Errorf("If-None-Match %s: status %d, %d bytes, ETag %q", inm, nm.StatusCode, len(nmBody), nm.Header.Get("ETag"))
				}
			}
			if stale, _ := do(t, s, tc.path, `If-None-Match: W/"0-0"`); stale.StatusCode != 200 {
				t.Errorf("a stale ETag got %d", stale.StatusCode)
			}
			_ = body
		})
	}
	if resp, _ := do(t, s, "/api/v1/offers?radius_km=99&lat=48&lng=2"); resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a 400 has ETag %q and Cache-Control %q", resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
	}
}

// oneOfferServer is a server of an index of one offer, given for the
// caller to change it.
func oneOfferServer(t *testing.T) (*search.Index, stageindex.Offer, *Server) {
	t.Helper()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix, err := search.New(search.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	lat, lng, pub := 48.5, -2.76, now.Add(-time.Hour)
	o := stageindex.Offer{ID: "a", Title: "Boulangerie", Description: "Pain.", EmployerName: "Fournil",
		Tracks: []stageindex.Track{stageindex.TrackGenerale}, Department: "22", Latitude: &lat, Longitude: &lng,
		MaxCandidates: 1, PublishedAt: &pub}
	if err := ix.Apply(context.Background(), []stageindex.Offer{o}, nil); err != nil {
		t.Fatal(err)
	}
	live := &search.Live{}
	live.Swap(ix)
	s := serverWith(t, func(opts *Options) { opts.Searcher = live })
	return ix, o, s
}

func TestETagFollowsTheIndex(t *testing.T) {
	ix, o, s := oneOfferServer(t)
	first, _ := do(t, s, "/api/v1/offers?q=boulangerie")
	etag := first.Header.Get("ETag")
	o.Title = "Boulangerie du port"
	if err := ix.Apply(context.Background(), []stageindex.Offer{o}, nil); err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, s, "/api/v1/offers?q=boulangerie", "If-None-Match: "+etag); resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("after a write: status %d, ETag %q (was %q)", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
}

func TestCompression(t *testing.T) {
	s := newTestServer(t)
	page := "/api/v1/offers?where=22000&radius_km=60&per_page=30"
	plain, want := do(t, s, page)
	if plain.Header.Get("Content-Encoding") != "" || len(want) < minCompress {
		t.Fatalf("without Accept-Encoding: %q, %d bytes", plain.Header.Get("Content-Encoding"), len(want))
	}
	tests := []struct {
		accept, encoding string
		decode           func(dst, src []byte) ([]byte, error)
	}{
		{"br", "br", fasthttp.AppendUnbrotliBytes},
		{"gzip", "gzip", fasthttp.AppendGunzipBytes},
		// Whoever takes gzip gets a search page kept compressed (pages.go).
		{"gzip, deflate, br", "gzip", fasthttp.AppendGunzipBytes},
	}
	for _, tc := range tests {
		t.Run(tc.accept, func(t *testing.T) {
			resp, body := do(t, s, page, "Accept-Encoding: "+tc.accept)
			if got := resp.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			got, err := tc.decode(nil, body)
			if err != nil {
				t.Fatal(err)
			}
			// took_ms differs; the rest must be the same bytes.
			if sp, wsp := tookSpan(got), tookSpan(want); sp == nil || !bytes.Equal(append(got[:sp[0]:sp[0]], got[sp[1]:]...), append(want[:wsp[0]:wsp[0]], want[wsp[1]:]...)) {
				t.Error("decompressed body differs from the plain one")
			}
			if len(body)*3 > len(want) {
				t.Errorf("%s: %d bytes from %d", tc.encoding, len(body), len(want))
			}
		})
	}
	if resp, _ := do(t, s, "/healthz", "Accept-Encoding: br"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("a body under 1 KB was compressed")
	}
}
