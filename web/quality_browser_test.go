package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tileServer serves a plain 256×256 PNG for every tile and counts them.
func tileServer(t *testing.T) (string, *atomic.Int64) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = 0xd0
	}
	img.Set(0, 0, color.RGBA{0, 0, 0, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestMapTiles shows the desktop map with a tile server (another origin,
// which the policy must let in) and with tiles that cannot be reached:
// the markers show either way.
func TestMapTiles(t *testing.T) {
	browser := newBrowser(t)
	tiles, served := tileServer(t)
	// Port 9 (discard) on loopback: nothing listens, every tile fails.
	for _, tc := range []struct {
		name, tiles string
		wantTiles   bool
	}{
		{"tiles", tiles + "/{z}/{x}/{y}.png", true},
		{"no tiles reachable", "http://127.0.0.1:9/{z}/{x}/{y}.png", false},
		{"no tiles configured", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var base string
			if tc.tiles == "" {
				base = startServer(t)
			} else {
				base = startServer(t, tc.tiles)
			}
			ctx := tab(t, browser)
			do(t, ctx, chromedp.EmulateViewport(1280, 900))
			before := served.Load()
			loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc&radius_km=30")
			got := results(t, ctx, "results", "")
			wantMarkers(t, ctx, got)
			if !eval[bool](t, ctx, `document.querySelectorAll("#map .search-circle").length === 1`) {
				t.Error("no search circle")
			}
			// The map sits beside the list.
			side := eval[map[string]float64](t, ctx, `(() => { const m = document.getElementById("map").getBoundingClientRect(),
			  l = document.getElementById("hits").getBoundingClientRect(); return {mapLeft: m.left, listRight: l.right, mapTop: m.top, listTop: l.top}; })()`)
			if side["mapLeft"] < side["listRight"] {
				t.Errorf("map not beside the list: %v", side)
			}
			if tc.wantTiles {
				waitFor[bool](t, ctx, "tiles", `document.querySelectorAll("#map img.leaflet-tile-loaded").length > 0 || null`)
				if served.Load() == before {
					t.Error("the tile server saw no request")
				}
				attr := eval[string](t, ctx, `document.querySelector(".leaflet-control-attribution").textContent`)
				if !strings.Contains(attr, "Tuiles de test") {
					t.Errorf("attribution %q lacks the tiles' credit", attr)
				}
			} else {
				time.Sleep(500 * time.Millisecond)
				if n := eval[float64](t, ctx, `document.querySelectorAll("#map img.leaflet-tile-loaded").length`); n != 0 {
					t.Errorf("%v tiles loaded with none reachable", n)
				}
			}
		})
	}
}

// axePath is axe-core, installed from npm by scripts/setup.sh test.
const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

// TestAccessibility runs axe-core (every rule of WCAG 2.1 A and AA and its
// best practices) on each public page, on a phone and on a desktop, with
// results on screen: it must find nothing.
func TestAccessibility(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed: scripts/setup.sh test installs it (%v)", err)
		}
		t.Skipf("axe-core is not installed (scripts/setup.sh test, or npm ci in web/testdata/axe): %v", err)
	}
	browser := newBrowser(t)
	base := startServer(t)
	pages := []struct {
		name, path, ready string
	}{
		{"search page", "/", ""},
		{"search results", "/?q=boulanger&where=Saint-Brieuc&radius_km=30&week=2027-W05", shownJS},
		{"widened results", "/?q=v%C3%A9t%C3%A9rinaire&where=Saint-Brieuc&radius_km=5", shownJS},
		{"error", "/?where=Saint-Denis", `document.getElementById("errors").hidden ? null : true`},
		{"embed", "/embed?department=22&track=segpa", shownJS},
		{"embed with map", "/embed?department=22&where=Saint-Brieuc&map=on", shownJS},
		{"offer", "/offres/test-bakery", ""},
		{"unknown offer", "/offres/nope", ""},
		{"statistics", "/statistiques", ""},
		{"statistics of a département", "/statistiques?department=22", ""},
		{"legal notice", "/mentions-legales", ""},
		{"privacy", "/confidentialite", ""},
		{"accessibility statement", "/accessibilite", ""},
		{"widget demo", "/widget-demo", ""},
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		for _, p := range pages {
			t.Run(vp.name+"/"+p.name, func(t *testing.T) {
				ctx := tab(t, browser)
				if vp.name == "desktop" {
					do(t, ctx, chromedp.EmulateViewport(vp.w, vp.h))
				}
				loaded(t, ctx, base+p.path)
				if p.ready != "" {
					waitFor[any](t, ctx, "the page's content", p.ready)
				}
				time.Sleep(200 * time.Millisecond) // fonts, map
				// DevTools' evaluation is not bound by the page's policy.
				eval[chromedp.Void](t, ctx, string(axe)+";void 0")
				out := eval[string](t, ctx, `axe.run(document, {resultTypes: ["violations"]}).then((r) => JSON.stringify(r.violations.map((v) =>
				  ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary)}))))`,
					func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes })
				var violations []struct {
					ID, Impact, Help string
					Nodes            []string
				}
				if err := json.Unmarshal([]byte(out), &violations); err != nil {
					t.Fatal(err)
				}
				for _, v := range violations {
					t.Errorf("axe %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
				}
			})
		}
	}
}

// TestFocusRing checks the focus ring's colour against what surrounds it:
// 3:1 at least (WCAG 1.4.11), on the page and on the header.
func TestFocusRing(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t)
	ctx := tab(t, browser)
	loaded(t, ctx, base+"/")
	for _, c := range []struct{ sel, bg string }{
		{"#q", "#search"},        // a field on its white form
		{"#go", "#search"},       // the blue button on the white form
		{".brand a", "header"},   // a link on the blue header
		{".bottom a", ".bottom"}, // a footer link on the page's background
	} {
		do(t, ctx, chromedp.Focus(chromedp.CSS(c.sel)))
		// Keyboard focus: :focus-visible applies.
		do(t, ctx, chromedp.KeyEvent(kb.Shift))
		got := eval[map[string]any](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		  const s = getComputedStyle(e); let b = document.querySelector(%q);
		  let bg = getComputedStyle(b).backgroundColor;
		  while (bg === "rgba(0, 0, 0, 0)" && b.parentElement) { b = b.parentElement; bg = getComputedStyle(b).backgroundColor; }
		  if (bg === "rgba(0, 0, 0, 0)") bg = "rgb(255, 255, 255)";
		  return {ring: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle, bg}; })()`, c.sel, c.bg))
		ratio := contrast(rgb(t, got["ring"].(string)), rgb(t, got["bg"].(string)))
		if got["style"] == "none" || got["width"].(float64) < 2 || ratio < 3 {
			t.Errorf("focus ring of %s: %v, contrast %.1f:1 with %s, want ≥ 3:1", c.sel, got, ratio, got["bg"])
		}
	}
}

func rgb(t *testing.T, s string) [3]float64 {
	var c [3]float64
	if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(s, "rgba("), "rgb("), ",", " "), "%f %f %f", &c[0], &c[1], &c[2]); err != nil {
		t.Fatalf("colour %q: %v", s, err)
	}
	return c
}

func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.03928 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestPageWeight measures what a pupil downloads for the search page with
// results, as Chromium received it (the Performance API's encodedBodySize:
// compressed bytes, headers aside), map tiles aside. The page up to its
// results (HTML, CSS, script, icon) and, on a desktop where the map shows
// beside the list at once, the page with Leaflet must each stay within
// 60 KB. The server compresses its assets with brotli's best level in the
// background at start: the test waits for it, as a pupil arriving a second
// after a deploy would.
func TestPageWeight(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t)
	deadline := time.Now().Add(60 * time.Second) // the race detector slows brotli down 8 times
	for _, f := range []string{"leaflet.js", "app.js", "app.css", "leaflet.css"} {
		req, _ := http.NewRequest("GET", base+"/static/"+f, nil)
		// gzip too: with br alone, an asset not yet in brotli would go
		// out raw and the API's fast brotli would compress it.
		req.Header.Set("Accept-Encoding", "gzip, br")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for resp.Header.Get("Content-Encoding") != "br" {
			if time.Now().After(deadline) {
				t.Fatalf("%s never served in brotli", f)
			}
			time.Sleep(100 * time.Millisecond)
			if resp, err = http.DefaultTransport.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(vp.name, func(t *testing.T) {
			ctx := tab(t, browser)
			if vp.name == "desktop" {
				do(t, ctx, chromedp.EmulateViewport(vp.w, vp.h))
			}
			loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc&radius_km=30")
			results(t, ctx, "results", "")
			if vp.name == "desktop" {
				waitFor[bool](t, ctx, "the map", `document.querySelectorAll("#map .hit-marker").length > 0 || null`)
			}
			type entry struct {
				Name          string
				Size, Decoded float64
			}
			entries := eval[[]entry](t, ctx, `[performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
			  .map((e) => ({Name: e.name, Size: e.encodedBodySize, Decoded: e.decodedBodySize}))`)
			var page, mapped, api, decoded int
			var lines []string
			for _, e := range entries {
				n := int(e.Size)
				decoded += int(e.Decoded)
				lines = append(lines, fmt.Sprintf("%6d (%6d)  %s", n, int(e.Decoded), strings.TrimPrefix(e.Name, base)))
				switch {
				case strings.Contains(e.Name, "/api/"):
					api += n
				case strings.Contains(e.Name, "/static/leaflet") || strings.Contains(e.Name, "/static/map.js"):
					mapped += n
				default:
					page += n
				}
			}
			sort.Strings(lines)
			t.Logf("%s, bytes received (decoded):\n%s\n%6d  page up to its results (HTML, CSS, JS, icon)\n%6d  map (Leaflet), loaded when shown\n%6d  API answers\n%6d  total, %d decoded",
				vp.name, strings.Join(lines, "\n"), page, mapped, api, page+mapped+api, decoded)
			if page > 60<<10 {
				t.Errorf("the page weighs %d bytes compressed on a %s, want ≤ 60 KB", page, vp.name)
			}
			if page+mapped > 60<<10 {
				t.Errorf("the page and its map weigh %d bytes compressed on a %s, want ≤ 60 KB", page+mapped, vp.name)
			}
		})
	}
}

// BenchmarkResultsPaint measures, in Chromium, the time from the pupil's
// Enter to the results drawn on screen (the page's own
// "stageindex:results" performance measure), on loopback.
func BenchmarkResultsPaint(b *testing.B) {
	browser := newBrowser(b)
	base := startServer(b)
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	// Full pages of 20 cards, and the map (a desktop, Leaflet loaded).
	queries := []string{"vente", "cuisine", "informatique", "animaux", "commerce"}
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(base+"/?where=Paris&radius_km=60")); err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second)
	var total float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		js := fmt.Sprintf(`performance.clearMeasures("stageindex:results"); q.value = %q; document.getElementById("go").click()`, q)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
			b.Fatal(err)
		}
		var ms float64
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName("stageindex:results")[0] || {duration: -1}).duration`))
			if err == nil && v >= 0 {
				ms = v
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += ms
	}
	b.ReportMetric(total/float64(b.N), "ms/paint")
}
