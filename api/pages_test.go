package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// gunzip decodes body strictly: Go's reader checks the CRC-32 and the
// length of every member.
func gunzip(t *testing.T, body []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	if rest, _ := io.ReadAll(zr); len(rest) != 0 {
		t.Fatalf("%d bytes after the gzip member", len(rest))
	}
	return got
}

// withoutTook is body without its took_ms member.
func withoutTook(t *testing.T, body []byte) []byte {
	t.Helper()
	sp := tookSpan(body)
	if sp == nil {
		t.Fatalf("no took_ms in %.80s", body)
	}
	return append(body[:sp[0]:sp[0]], body[sp[1]:]...)
}

func TestKeptPages(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{
		"/api/v1/offers?where=22000&radius_km=60&per_page=100", // the rest spans several zero blocks
		"/api/v1/offers?q=boulanger&where=22000&radius_km=30",
		"/api/v1/offers?q=zzzzzzzz", // no hit
	} {
		t.Run(path, func(t *testing.T) {
			_, plain := do(t, s, path)
			hits := s.pages.pages.Stat().Hits
			first, z1 := do(t, s, path, "Accept-Encoding: gzip")
			again, z2 := do(t, s, path, "Accept-Encoding: gzip")
			if got := s.pages.pages.Stat().Hits - hits; got != 1 {
				t.Errorf("%d kept pages sent, want 1", got)
			}
			for i, r := range []struct {
				etag, enc string
				body      []byte
			}{{first.Header.Get("ETag"), first.Header.Get("Content-Encoding"), z1}, {again.Header.Get("ETag"), again.Header.Get("Content-Encoding"), z2}} {
				if r.enc != "gzip" {
					t.Fatalf("answer %d: Content-Encoding %q", i, r.enc)
				}
				got := gunzip(t, r.body)
				if !bytes.Equal(withoutTook(t, got), withoutTook(t, plain)) {
					t.Errorf("answer %d differs from the plain one:\n%.300s\n%.300s", i, got, plain)
				}
				if r.etag == "" || r.etag != first.Header.Get("ETag") {
					t.Errorf("answer %d: ETag %q, first %q", i, r.etag, first.Header.Get("ETag"))
				}
			}
			nm, body := do(t, s, path, "Accept-Encoding: gzip", "If-None-Match: "+first.Header.Get("ETag"))
			if nm.StatusCode != 304 || len(body) != 0 || nm.Header.Get("Content-Encoding") != "" {
				t.Errorf("If-None-Match: %d, %d bytes, Content-Encoding %q", nm.StatusCode, len(body), nm.Header.Get("Content-Encoding"))
			}
		})
	}
}

// A kept page is never sent once the index has changed.
func TestKeptPagesFollowTheIndex(t *testing.T) {
	ix, o, s := oneOfferServer(t)
	const path = "/api/v1/offers?q=boulangerie"
	for range 2 {
		if _, body := do(t, s, path, "Accept-Encoding: gzip"); !bytes.Contains(gunzip(t, body), []byte(`"Boulangerie"`)) {
			t.Fatalf("before the write: %s", gunzip(t, body))
		}
	}
	o.Title = "Boulangerie du port"
	if err := ix.Apply(context.Background(), []stageindex.Offer{o}, nil); err != nil {
		t.Fatal(err)
	}
	if _, body := do(t, s, path, "Accept-Encoding: gzip"); !bytes.Contains(gunzip(t, body), []byte("du port")) {
		t.Errorf("after the write, a kept page was sent: %s", gunzip(t, body))
	}
}

func TestPageKey(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC)
	q := []byte("q=boulanger&where=22000")
	base := pageKey(7, now, nil, q)
	for name, k := range map[string]string{
		"generation":   pageKey(8, now, nil, q),
		"minute":       pageKey(7, now.Add(time.Minute), nil, q),
		"partner key":  pageKey(7, now, []string{"22"}, q),
		"no dept":      pageKey(7, now, []string{}, q),
		"query string": pageKey(7, now, nil, []byte("q=boulanger&where=22001")),
	} {
		if k == base {
			t.Errorf("%s: same key %q", name, k)
		}
	}
	if pageKey(7, now.Add(20*time.Second), nil, q) != base {
		t.Error("the same minute gave another key")
	}
}
