package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex"
)

// TestSearchResponseIsJSONMarshalOutput checks the wiring: the body served
// by /api/v1/offers is what json.Marshal gives for the result it decodes to,
// with c.JSON's content type.
func TestSearchResponseIsJSONMarshalOutput(t *testing.T) {
	s := newTestServer(t)
	for _, target := range []string{"/api/v1/offers?q=boulangerie", "/api/v1/offers?where=75011&radius=5",
		"/api/v1/offers?q=zzzzqqq&where=Lyon", "/api/v1/offers?per_page=100"} {
		t.Run(target, func(t *testing.T) {
			status, ctype, body := get(t, s, target)
			if status != 200 || ctype != fiber.MIMEApplicationJSON {
				t.Fatalf("status %d, content type %q: %s", status, ctype, body)
			}
			var r stageindex.SearchResult
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("body differs from json.Marshal:\n got  %.300s\n want %.300s", body, want)
			}
		})
	}
}

// benchResult is a typical first page: 30 hits with highlights, facets over
// ~40 sectors, ~60 weeks and ~100 departments.
func benchResult() *stageindex.SearchResult {
	rng := rand.New(rand.NewSource(1))
	words := strings.Fields("stage découverte boulangerie mairie hôpital école <atelier> mécanique & informatique " +
		"accueil élèves troisième entreprise métier observation journée équipe « soin » commerce")
	text := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = words[rng.Intn(len(words))]
		}
		return strings.Join(w, " ")
	}
	r := &stageindex.SearchResult{Total: 1234, Page: 1, PerPage: 30, TookMs: 0.842, Facets: stageindex.Facets{
		Tracks:  map[string]int{"generale": 1200, "segpa": 300, "prepa_metiers": 150},
		Sectors: map[string]int{}, Weeks: map[string]int{}, Departments: map[string]int{}}}
	for i := range 40 {
		r.Facets.Sectors[text(3)+fmt.Sprint(i)] = rng.Intn(500)
	}
	for i := range 60 {
		r.Facets.Weeks[fmt.Sprintf("2026-W%02d", i%52+1)+fmt.Sprint(i/52)] = rng.Intn(500)
	}
	for i := range 100 {
		r.Facets.Departments[fmt.Sprintf("%02d", i)] = rng.Intn(500)
	}
	published := time.Date(2026, 3, 2, 10, 4, 5, 123000000, time.UTC)
	for i := range 30 {
		r.Hits = append(r.Hits, stageindex.Hit{ID: fmt.Sprintf("offer-%06d", rng.Intn(1e6)), Title: text(6), Excerpt: text(40),
			EmployerName: text(3), Sector: text(2), Tracks: []stageindex.Track{stageindex.TrackGenerale, stageindex.TrackSEGPA},
			City: "Paris 11e", Zipcode: "75011", Department: "75", Location: &stageindex.LatLng{Lat: 48.85 + rng.Float64()/10, Lng: 2.37 + rng.Float64()/10},
			DistanceKm: ptr(rng.Float64() * 10), Weeks: []string{"2026-W10", "2026-W11", "2026-W24"}, IsPublic: i%3 == 0,
			MaxCandidates: 2, URL: "https://monstagedetroisieme.fr/offres/" + fmt.Sprint(i), PublishedAt: &published, Score: rng.Float64() * 5,
			Highlights: &stageindex.Highlights{
				Title:       []stageindex.Segment{{Text: text(2)}, {Text: "boulangerie", Match: true}, {Text: text(3)}},
				Description: []stageindex.Segment{{Text: text(12)}, {Text: "boulangerie", Match: true}, {Text: text(20)}},
			}})
	}
	return r
}

func BenchmarkEncode(b *testing.B) {
	r := benchResult()
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendSearchResult", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 64<<10)
		for b.Loop() {
			var err error
			if buf, err = appendSearchResult(buf[:0], r); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
}

// BenchmarkSendSearchResult compares the two ways to hand the bytes to
// fasthttp: a pooled buffer copied into the response, or a fresh buffer
// the response takes over.
func BenchmarkSendSearchResult(b *testing.B) {
	r := benchResult()
	s := New(Options{Logger: discardLogger()})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		var ctx fasthttp.RequestCtx
		for b.Loop() {
			c := s.app.AcquireCtx(&ctx)
			if err := c.JSON(r); err != nil {
				b.Fatal(err)
			}
			s.app.ReleaseCtx(c)
			ctx.Response.Reset()
		}
	})
	b.Run("pooled", func(b *testing.B) {
		b.ReportAllocs()
		var ctx fasthttp.RequestCtx
		for b.Loop() {
			c := s.app.AcquireCtx(&ctx)
			if err := s.sendSearchResult(c, r); err != nil {
				b.Fatal(err)
			}
			s.app.ReleaseCtx(c)
			ctx.Response.Reset()
		}
	})
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		var ctx fasthttp.RequestCtx
		for b.Loop() {
			c := s.app.AcquireCtx(&ctx)
			body, err := appendSearchResult(make([]byte, 0, 16<<10), r)
			if err != nil {
				b.Fatal(err)
			}
			c.Response().SetBodyRaw(body)
			c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
			s.app.ReleaseCtx(c)
			ctx.Response.Reset()
		}
	})
}
