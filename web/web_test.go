package web

import (
	"compress/gzip"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func newApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	site, err := New(Options{TilesURL: DefaultTilesURL})
	if err != nil {
		panic(err)
	}
	site.Mount(app)
	return app
}

func get(t *testing.T, app *fiber.App, target string, header map[string]string) (int, map[string]string, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	h := map[string]string{}
	for k := range resp.Header {
		h[strings.ToLower(k)] = resp.Header.Get(k)
	}
	return resp.StatusCode, h, string(body)
}

func TestHeaders(t *testing.T) {
	app := newApp()
	tests := []struct {
		name    string
		target  string
		status  int
		ctype   string
		want    map[string]string // header → substring it must hold
		without []string          // headers that must be absent
	}{
		{"page", "/", 200, "text/html", map[string]string{
			"content-security-policy": "default-src 'self'",
			"x-content-type-options":  "nosniff",
		}, nil},
		{"tiles host and only it in the policy", "/", 200, "text/html", map[string]string{
			"content-security-policy": "img-src 'self' data: https://data.geopf.fr;",
		}, nil},
		{"favicon", "/favicon.ico", 200, "image/svg+xml", nil, nil},
		{"legal notice", "/mentions-legales", 200, "text/html", map[string]string{
			"content-security-policy": "frame-ancestors 'none'",
		}, nil},
		{"privacy notice", "/confidentialite", 200, "text/html", nil, nil},
		{"accessibility statement", "/accessibilite", 200, "text/html", nil, nil},
		{"widget demo", "/widget-demo", 200, "text/html", nil, nil},
		{"offer page without an index", "/offres/x", 503, "text/html", map[string]string{"retry-after": "5"}, nil},
		{"statistics without an index", "/statistiques", 503, "text/html", nil, nil},
		{"page is not framed", "/?q=boulanger", 200, "text/html", map[string]string{
			"content-security-policy": "frame-ancestors 'none'",
		}, nil},
		{"embed is framed by anyone", "/embed?department=22", 200, "text/html", map[string]string{
			"content-security-policy": "frame-ancestors *",
		}, []string{"x-frame-options"}},
		{"embed keeps a strict policy", "/embed", 200, "text/html", map[string]string{
			"content-security-policy": "script-src 'self'",
		}, nil},
		{"widget", "/widget.js", 200, "text/javascript", map[string]string{
			"cross-origin-resource-policy": "cross-origin",
			"cache-control":                "max-age=3600",
		}, nil},
		{"stylesheet", "/static/app.css", 200, "text/css", nil, nil},
		{"script", "/static/app.js", 200, "text/javascript", nil, nil},
		{"unknown asset", "/static/nope.js", 404, "", nil, nil},
		{"no directory walk", "/static/..%2fweb.go", 404, "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, _ := get(t, app, tc.target, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if !strings.HasPrefix(h["content-type"], tc.ctype) {
				t.Errorf("content-type %q, want %q", h["content-type"], tc.ctype)
			}
			for k, v := range tc.want {
				if !strings.Contains(h[k], v) {
					t.Errorf("%s = %q, want it to hold %q", k, h[k], v)
				}
			}
			for _, k := range tc.without {
				if v, ok := h[k]; ok {
					t.Errorf("%s = %q, want none", k, v)
				}
			}
		})
	}
}

// TestPageAssetsResolve checks that the versioned asset URLs the pages name
// (stylesheet, script, and the map's, loaded when it is shown) are served,
// cached for good, and revalidated with their ETag.
func TestPageAssetsResolve(t *testing.T) {
	app := newApp()
	for _, page := range []string{"/", "/embed", "/mentions-legales"} {
		_, _, body := get(t, app, page, nil)
		refs := regexp.MustCompile(`="(/static/[^"]+\?v=[^"]+)"`).FindAllStringSubmatch(body, -1)
		want := 5 // app.css, app.js, leaflet.js, leaflet.css, map.js
		if page == "/mentions-legales" {
			want = 1 // app.css
		}
		if len(refs) != want {
			t.Fatalf("%s names %d versioned assets, want %d: %s", page, len(refs), want, body)
		}
		for _, r := range refs {
			url := r[1]
			status, h, _ := get(t, app, url, nil)
			if status != 200 || !strings.Contains(h["cache-control"], "immutable") {
				t.Errorf("%s: status %d, cache-control %q", url, status, h["cache-control"])
			}
			status, _, _ = get(t, app, url, map[string]string{"If-None-Match": h["etag"]})
			if status != 304 {
				t.Errorf("%s with its ETag: status %d, want 304", url, status)
			}
		}
	}
}

// TestPageAccessibility checks what can be checked without a browser: the
// language, a label for every field, and the embed's compact form.
func TestPageAccessibility(t *testing.T) {
	app := newApp()
	tests := []struct {
		name      string
		target    string
		hasHeader bool
	}{
		{"page", "/", true},
		{"embed", "/embed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, body := get(t, app, tc.target, nil)
			if !strings.Contains(body, `<html lang="fr">`) {
				t.Error(`missing <html lang="fr">`)
			}
			for _, m := range regexp.MustCompile(`<(?:input|select) id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
				if !strings.Contains(body, `<label for="`+m[1]+`"`) {
					t.Errorf("field #%s has no label", m[1])
				}
			}
			if got := strings.Contains(body, `<header`); got != tc.hasHeader {
				t.Errorf("has header: %v, want %v", got, tc.hasHeader)
			}
			// The tiles' URL template is the one third-party address, for
			// the map's images only.
			body = regexp.MustCompile(`data-tiles="[^"]*"`).ReplaceAllString(body, "")
			for _, banned := range []string{"<style", "style=", "onclick", "http://", "https://"} {
				if strings.Contains(body, banned) {
					t.Errorf("page holds %q: inline code or a third-party resource", banned)
				}
			}
		})
	}
}

// TestCompressedAssets checks the encodings of the assets: gzip at once,
// brotli once ready, raw without Accept-Encoding, never a refused one.
func TestCompressedAssets(t *testing.T) {
	app := newApp()
	_, _, raw := get(t, app, "/static/app.js", nil)
	for _, tc := range []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"gzip;q=0, deflate", ""},
		{"br;q=0, gzip", "gzip"},
	} {
		_, h, body := get(t, app, "/static/app.js", map[string]string{"Accept-Encoding": tc.accept})
		if h["content-encoding"] != tc.want || !strings.Contains(h["vary"], "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, Vary %q; want %q", tc.accept, h["content-encoding"], h["vary"], tc.want)
		}
		if tc.want == "gzip" {
			r, err := gzip.NewReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r)
			body = string(b)
		}
		if body != raw {
			t.Errorf("Accept-Encoding %q: the body is not app.js", tc.accept)
		}
	}
	for _, tc := range []struct {
		header, enc string
		want        bool
	}{
		{"gzip, deflate, br, zstd", "br", true},
		{"gzip, deflate", "br", false},
		{"br;q=0", "br", false},
		{"BR; q=0.5", "br", true},
		{"gzip;q=0.000", "gzip", false},
	} {
		if got := acceptsEncoding(tc.header, tc.enc); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v", tc.header, tc.enc, got)
		}
	}
}

// TestBrotliWaitsForBrotliAfter: with BrotliAfter set, the assets go out
// in gzip until it is closed, and in brotli some time after.
func TestBrotliWaitsForBrotliAfter(t *testing.T) {
	after := make(chan struct{})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	site, err := New(Options{TilesURL: DefaultTilesURL, BrotliAfter: after})
	if err != nil {
		t.Fatal(err)
	}
	site.Mount(app)
	accept := map[string]string{"Accept-Encoding": "gzip, br"}
	// Long enough for brotli to have run, had it not waited (it takes
	// about a second of one core, 8× that under the race detector).
	time.Sleep(200 * time.Millisecond)
	if _, h, _ := get(t, app, "/static/app.js", accept); h["content-encoding"] != "gzip" {
		t.Fatalf("before BrotliAfter is closed: Content-Encoding %q, want gzip", h["content-encoding"])
	}
	close(after)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, h, _ := get(t, app, "/static/app.js", accept)
		if h["content-encoding"] == "br" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after BrotliAfter was closed: still %q", h["content-encoding"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
