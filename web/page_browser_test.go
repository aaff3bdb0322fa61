package web

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// shownHit is what a pupil sees of one result.
type shownHit struct {
	Title, Employer, Where, Distance, Weeks, Link, Target, Rel string
	Marks, Tags                                                []string
	Height                                                     float64
}

type shown struct {
	Status, Relaxed, Search, Title, Pager string
	Hits                                  []shownHit
}

// shownJS reads the results on screen, or null while there are none or a
// search is running.
const shownJS = `(() => {
  const lis = [...document.querySelectorAll("#hits li.hit")];
  if (!lis.length || document.body.hasAttribute("aria-busy")) return null;
  const txt = (el, sel) => { const n = el.querySelector(sel); return n ? n.textContent : ""; };
  const pager = document.getElementById("pager");
  return {
    Status: document.getElementById("results-title").textContent,
    Relaxed: document.getElementById("relaxed").hidden ? "" : document.getElementById("relaxed").textContent,
    Search: location.search, Title: document.title,
    Pager: pager.hidden ? "" : pager.textContent,
    Hits: lis.map((li) => {
      const a = li.querySelector("h3 a");
      return {
        Title: txt(li, "h3"), Employer: txt(li, ".employer"), Where: txt(li, ".where"),
        Distance: txt(li, ".distance"), Weeks: txt(li, ".weeks"),
        Link: a ? a.getAttribute("href") : "", Target: a ? a.target : "", Rel: a ? a.rel : "",
        Marks: [...li.querySelectorAll("h3 mark")].map((m) => m.textContent),
        Tags: [...li.querySelectorAll(".tags li")].map((m) => m.textContent),
        Height: li.querySelector("article").getBoundingClientRect().height,
      };
    }),
  };
})()`

// TestBrowser drives the page, the embed, the widget, the offer page and
// the statistics in headless Chromium against a real server over the demo
// offers.
func TestBrowser(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t)
	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, base string)
	}{
		{"search by keyword and town", testSearch},
		{"shared link restores the search and back returns to it", testSharedLink},
		{"back to the start page clears the results", testBackToStart},
		{"ambiguous town offers its candidates", testAmbiguousPlace},
		{"a région and a town typed in q", testAreaAndPlaceInQuery},
		{"no hit nearby shows the widened search, paged", testRelaxed},
		{"offer text is never markup", testNoInjection},
		{"around me searches from the pupil's position, kept out of the URL", testAroundMe},
		{"pages are in the URL", testPager},
		{"each filter applies as it changes", testFilters},
		{"a running search shows it", testLoading},
		{"every error code is written in French", testFrenchErrors},
		{"phone: list and map", testPhoneMap},
		{"offer page", testOfferPage},
		{"statistics page", testStats},
		{"widget on a partner site", testWidget},
		{"widget in a 280px column with a fixed scope", testNarrowWidget},
		{"embed has a map only when asked", testEmbedMap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, tab(t, browser), base) })
	}
}

func loaded(t *testing.T, ctx context.Context, target string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(target))
	waitFor[bool](t, ctx, "page load", `document.readyState === "complete" || null`)
}

// results waits for results whose status differs from before.
func results(t *testing.T, ctx context.Context, what, before string) shown {
	t.Helper()
	return waitFor[shown](t, ctx, what, fmt.Sprintf(`(() => { const r = %s; return r && r.Status !== %q ? r : null; })()`, shownJS, before))
}

var distanceRE = regexp.MustCompile(`^à \d+(,\d)? km$`)

func testSearch(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "boulanger"),
		chromedp.SendKeys(chromedp.CSS("#where"), "Saint-Brieuc"),
	)
	// Both fields offer completions from the API while the pupil types.
	waitFor[bool](t, ctx, "keyword suggestions", `document.querySelectorAll("#q-list option").length > 0 || null`)
	places := waitFor[[]string](t, ctx, "place suggestions",
		`(() => { const o = [...document.querySelectorAll("#where-list option")].map((o) => o.value); return o.length ? o : null; })()`)
	if !strings.Contains(strings.Join(places, "|"), "Saint-Brieuc (22000)") {
		t.Errorf("place suggestions %q lack Saint-Brieuc (22000)", places)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#where"), kb.Enter)) // the keyboard submits
	got := results(t, ctx, "results", "")

	if q, _ := url.ParseQuery(strings.TrimPrefix(got.Search, "?")); q.Get("q") != "boulanger" || q.Get("where") != "Saint-Brieuc" {
		t.Errorf("URL query %q does not hold the search", got.Search)
	}
	if !strings.Contains(got.Status, "près de Saint-Brieuc (22000)") {
		t.Errorf("status %q does not name the place", got.Status)
	}
	if !strings.HasPrefix(got.Title, "boulanger – ") || !strings.Contains(got.Title, got.Status) {
		t.Errorf("document title %q, want the search and its status %q", got.Title, got.Status)
	}
	var bakery *shownHit
	marked := false
	for i, h := range got.Hits {
		if !distanceRE.MatchString(h.Distance) {
			t.Errorf("hit %q: distance %q, want like \"à 3,4 km\"", h.Title, h.Distance)
		}
		for _, m := range h.Marks {
			marked = marked || strings.HasPrefix(strings.ToLower(m), "boulang")
		}
		if h.Link == "/offres/test-bakery" {
			bakery = &got.Hits[i]
		}
	}
	if !marked {
		t.Errorf("no <mark> on a word like boulanger in %+v", got.Hits)
	}
	if bakery == nil {
		t.Fatalf("the Saint-Brieuc bakery is not shown: %+v", got.Hits)
	}
	// The title loses the employer the platform put in front of it: the
	// card names the employer on its own line.
	want := shownHit{Title: "découvrir le métier de boulanger", Employer: "Boulangerie du Légué",
		Where: "Saint-Brieuc (22000)", Distance: "à 1,3 km", Weeks: "Semaine du 1er février 2027",
		Link: "/offres/test-bakery"}
	if bakery.Title != want.Title || bakery.Employer != want.Employer || bakery.Where != want.Where ||
		bakery.Distance != want.Distance || bakery.Weeks != want.Weeks {
		t.Errorf("bakery shown as %+v, want %+v", *bakery, want)
	}
	if strings.Join(bakery.Tags, "|") != "Générale|SEGPA" {
		t.Errorf("bakery tags %q, want the track badges Générale|SEGPA", bakery.Tags)
	}
	if bakery.Target != "" {
		t.Errorf("the page opens offers in target %q, want the same tab", bakery.Target)
	}
	// A typical card fits in 180 px on a phone.
	for _, h := range got.Hits {
		if h.Height > 180 && h.Link != "/offres/test-xss" { // its markup makes every field long
			t.Errorf("card %q is %.0f px tall on a phone, want ≤ 180", h.Title, h.Height)
		}
	}
	screenshots(t, ctx, "page")
}

// screenshots saves the page, on a phone and on a desktop, in
// $STAGEINDEX_SCREENSHOTS when it is set, for a person to look at.
func screenshots(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("STAGEINDEX_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, v := range []struct {
		file string
		w, h int64
	}{{"stageindex-" + name + ".png", 390, 844}, {"stageindex-" + name + "-desktop.png", 1280, 900}} {
		do(t, ctx, chromedp.EmulateViewport(v.w, v.h))
		time.Sleep(500 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, v.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
}

func testSharedLink(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=boulanger&where=22000&radius_km=20&track=segpa")
	got := results(t, ctx, "results", "")
	form := eval[map[string]any](t, ctx, `({q: q.value, where: where.value, radius: radius.value,
		segpa: document.querySelector('input[value=segpa]').checked,
		generale: document.querySelector('input[value=generale]').checked,
		count: document.querySelector('.count[data-track=segpa]').textContent})`)
	want := map[string]any{"q": "boulanger", "where": "22000", "radius": "20", "segpa": true, "generale": false}
	for k, v := range want {
		if form[k] != v {
			t.Errorf("form %s = %v, want %v", k, form[k], v)
		}
	}
	if c, _ := form["count"].(string); !regexp.MustCompile(`^\(\d+\)$`).MatchString(c) {
		t.Errorf("SEGPA facet count %q, want like (3)", c)
	}
	for _, h := range got.Hits {
		if !strings.Contains(strings.Join(h.Tags, "|"), "SEGPA") {
			t.Errorf("hit %q has tags %q, want SEGPA", h.Title, h.Tags)
		}
	}
	// A new search is a new history entry; going back restores the first.
	eval[chromedp.Void](t, ctx, `q.value = ""`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "pâtisserie"),
		chromedp.Click(chromedp.CSS("#go")),
	)
	waitFor[bool](t, ctx, "second search", `location.search.includes("q=p%C3%A2tisserie") || null`)
	eval[chromedp.Void](t, ctx, `history.back()`)
	waitFor[bool](t, ctx, "back to the first search", `(q.value === "boulanger" && location.search.includes("q=boulanger") &&
		document.getElementById("results-title").textContent.includes("stage")) || null`)
}

func testBackToStart(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/")
	start := eval[string](t, ctx, `document.title`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#q"), "boulanger"+kb.Enter))
	results(t, ctx, "results", "")
	eval[chromedp.Void](t, ctx, `history.back()`)
	got := waitFor[map[string]any](t, ctx, "the start page", `(() => location.search === "" && !document.querySelector("#hits li") ?
		{status: document.getElementById("results-title").textContent, title: document.title, q: q.value} : null)()`)
	if got["title"] != start || got["q"] != "" || !strings.HasPrefix(got["status"].(string), "Tape un métier") {
		t.Errorf("back on the start page shows %v, want the start page (title %q)", got, start)
	}
}

func testAmbiguousPlace(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/")
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#where"), "Saint-Denis"+kb.Enter))
	type problem struct {
		Lead       string
		Candidates []string
		Invalid    string
	}
	p := waitFor[problem](t, ctx, "candidates", `(() => {
	  const b = [...document.querySelectorAll("#errors .candidates button")];
	  if (!b.length || document.getElementById("errors").hidden) return null;
	  return {Lead: document.querySelector("#errors li strong").textContent,
	          Candidates: b.map((x) => x.textContent), Invalid: where.getAttribute("aria-invalid")};
	})()`)
	if p.Lead != "Plusieurs communes portent ce nom. Laquelle ?" || p.Invalid != "true" {
		t.Fatalf("problem shown as %+v", p)
	}
	// Candidates are told apart by their département, overseas ones by name.
	joined := strings.Join(p.Candidates, "|")
	for _, want := range []string{"Saint-Denis (93)", "Saint-Denis (La Réunion)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("candidates %q lack %q", p.Candidates, want)
		}
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#errors .candidates button")))
	waitFor[bool](t, ctx, "the chosen place's search",
		`(document.getElementById("errors").hidden && where.value.startsWith("Saint-Denis (") &&
		  document.getElementById("results-title").textContent.includes("Saint-Denis")) || null`)
}

// testAreaAndPlaceInQuery: a région searched whole, and a town typed in
// the keywords, are said in the status line.
func testAreaAndPlaceInQuery(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?where=Bretagne")
	got := results(t, ctx, "région results", "")
	if !strings.HasSuffix(got.Status, "en région Bretagne") {
		t.Errorf("status %q, want it to name the région", got.Status)
	}
	for _, h := range got.Hits {
		if h.Distance != "" {
			t.Errorf("hit %q shows a distance %q in a région search", h.Title, h.Distance)
		}
	}
	loaded(t, ctx, base+"/?q=mecanique+brest")
	got = results(t, ctx, "results of a town in q", "")
	if want := "pour « mecanique » près de Brest (29200) — lieu lu dans ta recherche"; !strings.HasSuffix(got.Status, want) {
		t.Errorf("status %q, want it to end with %q", got.Status, want)
	}
}

func testRelaxed(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=v%C3%A9t%C3%A9rinaire&where=Saint-Brieuc&radius_km=5")
	got := results(t, ctx, "widened results", "")
	const want = "Aucun stage dans un rayon de 5 km — voici ceux à moins de 60 km"
	if !strings.HasPrefix(got.Relaxed, want) {
		t.Errorf("relaxed block %q, want it to start with %q", got.Relaxed, want)
	}
	if !strings.HasPrefix(got.Status, "Aucun stage trouvé") {
		t.Errorf("status %q", got.Status)
	}
	for _, h := range got.Hits {
		if !distanceRE.MatchString(h.Distance) {
			t.Errorf("widened hit %q: distance %q", h.Title, h.Distance)
		}
	}
	// A week with no offer widens the filters: every offer within 60 km,
	// more than a page of them, paged; facet counts of the search as asked
	// (zeros) are not shown next to them.
	loaded(t, ctx, base+"/?where=Saint-Brieuc&radius_km=60&week=2027-W33")
	first := results(t, ctx, "widened results", "")
	m := regexp.MustCompile(`\((\d+)\)$`).FindStringSubmatch(first.Relaxed)
	if m == nil || !strings.Contains(first.Relaxed, "sans tes filtres") {
		t.Fatalf("relaxed block %q, want the widened total and 'sans tes filtres'", first.Relaxed)
	}
	total, _ := strconv.Atoi(m[1])
	pages := (total + 19) / 20
	if total <= 20 || !strings.Contains(first.Pager, fmt.Sprintf("Page 1 sur %d", pages)) {
		t.Fatalf("widened total %d, pager %q: want more than a page and 'Page 1 sur %d'", total, first.Pager, pages)
	}
	if c := eval[string](t, ctx, `[...document.querySelectorAll("#filters .count:not(#filter-count)")].map((c) => c.textContent).join("")`); c != "" {
		t.Errorf("facet counts %q shown next to widened hits", c)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#pager a[rel="next"]`)))
	second := waitFor[shown](t, ctx, "the second widened page", `(() => { const r = `+shownJS+`; return r && r.Search.includes("page=2") ? r : null; })()`)
	if !strings.Contains(second.Pager, fmt.Sprintf("Page 2 sur %d", pages)) {
		t.Errorf("pager %q, want page 2 of %d", second.Pager, pages)
	}
	seen := map[string]bool{}
	for _, h := range first.Hits {
		seen[h.Link] = true
	}
	for _, h := range second.Hits {
		if seen[h.Link] {
			t.Errorf("widened hit %s on pages 1 and 2", h.Link)
		}
	}
}

func testNoInjection(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc")
	got := results(t, ctx, "results", "")
	var bad *shownHit
	for i, h := range got.Hits {
		if strings.Contains(h.Title, `<img src=x onerror=`) {
			bad = &got.Hits[i]
		}
	}
	if bad == nil {
		t.Fatalf("the offer with markup in its title is not shown as text: %+v", got.Hits)
	}
	if !strings.Contains(bad.Employer, "<img") || !strings.Contains(bad.Where, "<svg") {
		t.Errorf("employer %q and place %q should show their markup as text", bad.Employer, bad.Where)
	}
	time.Sleep(300 * time.Millisecond) // an onerror would have fired by now
	res := eval[map[string]any](t, ctx, `({xss: window.__xss === undefined ? "" : String(window.__xss),
		elements: document.querySelectorAll("#hits img, #hits svg, #hits script, #hits b").length})`)
	if res["xss"] != "" || res["elements"] != float64(0) {
		t.Errorf("offer markup ran or became elements: %v", res)
	}
	// Its page too shows the markup as text, and no link for a javascript: URL.
	loaded(t, ctx, base+bad.Link)
	page := eval[map[string]any](t, ctx, `({h1: document.querySelector("h1").textContent,
		apply: document.querySelectorAll("a.apply").length, xss: window.__xss === undefined ? "" : String(window.__xss),
		elements: document.querySelectorAll("main img, main svg, main script, main b").length})`)
	if !strings.Contains(page["h1"].(string), "<img") || page["apply"] != float64(0) || page["xss"] != "" || page["elements"] != float64(0) {
		t.Errorf("offer page of the markup offer: %v", page)
	}
}

func testAroundMe(t *testing.T, ctx context.Context, base string) {
	lat, lng, acc := 48.5151, -2.7684, 50.0 // Saint-Brieuc
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"},
		Setting:    browser.PermissionSettingGranted, Origin: base,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (struct{}, error) {
		return cdp.Call(ctx, tg, emulation.SetGeolocationOverride,
			emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc})
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []string
	listen(t, ctx, func(u string) { mu.Lock(); calls = append(calls, u); mu.Unlock() })
	loaded(t, ctx, base+"/?q=boulanger")
	before := results(t, ctx, "results", "").Status
	do(t, ctx, chromedp.Click(chromedp.CSS("#locate")))
	got := waitFor[shown](t, ctx, "results around the position",
		`(() => { const r = `+shownJS+`; return r && r.Status.endsWith("autour de toi") ? r : null; })()`)
	if got.Status == before {
		t.Fatal("status did not change")
	}
	// The position goes to the API, rounded, and never into the page's URL.
	q, _ := url.ParseQuery(strings.TrimPrefix(got.Search, "?"))
	if q.Has("lat") || q.Has("lng") || q.Has("where") || q.Get("q") != "boulanger" {
		t.Errorf("URL %q, want the keywords and no position", got.Search)
	}
	mu.Lock()
	sent := false
	for _, c := range calls {
		cu, _ := url.Parse(c)
		if cu.Path == "/api/v1/offers" && cu.Query().Get("lat") == "48.515" && cu.Query().Get("lng") == "-2.768" {
			sent = true
		}
	}
	mu.Unlock()
	if !sent {
		t.Errorf("no search sent the position rounded to 3 decimals: %q", calls)
	}
	for _, h := range got.Hits {
		if !distanceRE.MatchString(h.Distance) {
			t.Errorf("hit %q: distance %q", h.Title, h.Distance)
		}
	}
	if v := eval[string](t, ctx, `where.value`); v != "Ma position" {
		t.Errorf("place field shows %q", v)
	}
	// A reload keeps the search around the position (history state).
	do(t, ctx, chromedp.Reload())
	waitFor[bool](t, ctx, "the search after a reload", `(() => { const r = `+shownJS+`; return r && r.Status.endsWith("autour de toi") || null; })()`)
}

// listen calls f with the URL of each API request the tab sends.
func listen(t *testing.T, ctx context.Context, f func(string)) {
	listenCtx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	events := chromedp.Events(listenCtx, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if u := ev.Request.URL; strings.Contains(u, "/api/v1/") {
				f(u)
			}
		}
	}()
}

func testPager(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?where=Saint-Brieuc&radius_km=60")
	first := results(t, ctx, "results", "")
	if len(first.Hits) != 20 || !strings.HasPrefix(first.Pager, "Page 1 sur") {
		t.Fatalf("first page has %d hits and pager %q, want 20 and Page 1 sur …", len(first.Hits), first.Pager)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#pager a[rel="next"]`)))
	second := waitFor[shown](t, ctx, "page 2", `(() => { const r = `+shownJS+`; return r && r.Search.includes("page=2") ? r : null; })()`)
	seen := map[string]bool{}
	for _, h := range first.Hits {
		seen[h.Link] = true
	}
	for _, h := range second.Hits {
		if seen[h.Link] {
			t.Errorf("hit %s on pages 1 and 2", h.Link)
		}
	}
	if !strings.HasPrefix(second.Pager, "Page précédente") || !strings.Contains(second.Status, "page 2") {
		t.Errorf("page 2: pager %q, status %q", second.Pager, second.Status)
	}
	if f := eval[string](t, ctx, `document.activeElement.id`); f != "results-title" {
		t.Errorf("focus on #%s after paging, want the results heading", f)
	}
	// The page is in the URL: a reload shows page 2, Back page 1.
	do(t, ctx, chromedp.Reload())
	again := results(t, ctx, "page 2 after a reload", "")
	if again.Hits[0].Link != second.Hits[0].Link {
		t.Errorf("reload shows %s first, want %s", again.Hits[0].Link, second.Hits[0].Link)
	}
	eval[chromedp.Void](t, ctx, `history.back()`)
	back := waitFor[shown](t, ctx, "page 1", `(() => { const r = `+shownJS+`; return r && !r.Search.includes("page=") ? r : null; })()`)
	if back.Hits[0].Link != first.Hits[0].Link {
		t.Errorf("back shows %s first, want %s", back.Hits[0].Link, first.Hits[0].Link)
	}
}

// total reads the number of results in the status ("1 234 stages trouvés").
func total(status string) int {
	m := regexp.MustCompile(`^([\d\s\x{202f}\x{a0}]+) stages? trouvés?`).FindStringSubmatch(status)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m[1]))
	return n
}

// sentJS is true once the page has asked the API for a search with
// param=value and drawn its answer.
func sentJS(param, value string) string {
	return fmt.Sprintf(`(performance.getEntriesByType("resource").some((e) => e.name.includes("/api/v1/offers?") &&
	  new URL(e.name).searchParams.getAll(%q).includes(%q)) && new URLSearchParams(location.search).getAll(%q).includes(%q))`,
		param, value, param, value)
}

// testFilters changes each filter without pressing "Chercher" and checks
// that the search follows, that the URL holds it, and that the number of
// results is the count the filter showed next to the chosen value.
func testFilters(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?where=Saint-Brieuc&radius_km=60")
	got := results(t, ctx, "results", "")
	eval[chromedp.Void](t, ctx, `document.getElementById("filters").open = true`)

	type choice struct{ Value, Count string }
	step := func(name, pick, apply, param string) {
		t.Helper()
		c := waitFor[choice](t, ctx, name+" choices", pick)
		n, err := strconv.Atoi(strings.Trim(strings.ReplaceAll(strings.ReplaceAll(c.Count, "\u202f", ""), "\u00a0", ""), "()"))
		if err != nil || n == 0 {
			t.Fatalf("%s: count %q of %s", name, c.Count, c.Value)
		}
		eval[chromedp.Void](t, ctx, fmt.Sprintf(apply, c.Value))
		got = waitFor[shown](t, ctx, name+" applied", fmt.Sprintf(`(() => { const r = %s; return r && %s ? r : null; })()`,
			shownJS, sentJS(param, c.Value)))
		if total(got.Status) != n {
			t.Errorf("%s = %s: status %q, want the %d its count announced", name, c.Value, got.Status, n)
		}
	}
	// The weeks that have offers, as "Semaine du …", each with its count.
	step("week", `(() => { const l = document.querySelector("#week-list label"); if (!l) return null;
	  if (!/^ Semaine du \d/.test(l.childNodes[1].textContent)) return null;
	  return {Value: l.querySelector("input").value, Count: l.querySelector(".count").textContent}; })()`,
		`document.querySelector('#week-list input[value="%s"]').click()`, "week")
	week := eval[string](t, ctx, `new URLSearchParams(location.search).get("week")`)
	// A second week adds its offers (weeks are ORed), the count the
	// facet showed being, with the first week ticked, of the second alone.
	step("sector", `(() => { const o = [...document.querySelectorAll("#sector option")].find((o) => o.value && /\(\d+\)$/.test(o.textContent));
	  return o ? {Value: o.value, Count: o.textContent.match(/\([\d\s\u202f]+\)$/)[0]} : null; })()`,
		`sector.value = %q; sector.dispatchEvent(new Event("change", {bubbles: true}))`, "sector")
	step("track", `(() => { const c = [...document.querySelectorAll(".count[data-track]")].find((c) => c.textContent !== "(0)" && c.textContent);
	  return c ? {Value: c.dataset.track, Count: c.textContent} : null; })()`,
		`document.querySelector('input[name=track][value="%s"]').click()`, "track")
	q, _ := url.ParseQuery(strings.TrimPrefix(got.Search, "?"))
	if q.Get("week") != week || q.Get("sector") == "" || q.Get("where") != "Saint-Brieuc" {
		t.Errorf("URL %q lost a filter", got.Search)
	}
	if !strings.Contains(eval[string](t, ctx, `document.getElementById("filter-count").textContent`), "3 actifs") {
		t.Error("the filters' summary does not count 3 active filters")
	}

	// The filters without a facet: each narrows to offers that say so.
	loaded(t, ctx, base+"/?where=Saint-Brieuc&radius_km=60")
	got = results(t, ctx, "results", "")
	eval[chromedp.Void](t, ctx, `document.getElementById("filters").open = true`)
	for _, f := range []struct{ name, apply, param, value, tag string }{
		{"public", `document.getElementById("is-public").click()`, "is_public", "true", "Service public"},
		{"accessible", `document.getElementById("accessible").click()`, "accessible", "true", "Accessible"},
	} {
		eval[chromedp.Void](t, ctx, f.apply)
		got = waitFor[shown](t, ctx, f.name, fmt.Sprintf(`(() => { const r = %s; return r && %s ? r : null; })()`, shownJS, sentJS(f.param, f.value)))
		for _, h := range got.Hits {
			if !strings.Contains(strings.Join(h.Tags, "|"), f.tag) {
				t.Errorf("%s: hit %q has tags %q", f.name, h.Title, h.Tags)
			}
		}
	}
	// Distance, then sort by date: the URL follows, distances stay within.
	loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc&radius_km=60")
	got = results(t, ctx, "results", "")
	eval[chromedp.Void](t, ctx, `document.getElementById("filters").open = true;
	  radius.value = "20"; radius.dispatchEvent(new Event("change", {bubbles: true}))`)
	got = waitFor[shown](t, ctx, "distance", `(() => { const r = `+shownJS+`; return r && `+sentJS("radius_km", "20")+` ? r : null; })()`)
	for _, h := range got.Hits {
		d, _ := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(h.Distance, "à "), " km"), ",", "."), 64)
		if d > 20 {
			t.Errorf("hit %q at %s with a 20 km radius", h.Title, h.Distance)
		}
	}
	eval[chromedp.Void](t, ctx, `sort.value = "date"; sort.dispatchEvent(new Event("change", {bubbles: true}))`)
	waitFor[bool](t, ctx, "sort by date", sentJS("sort", "date")+` || null`)
	// Remote only: every hit is a remote one.
	loaded(t, ctx, base+"/?q=cuisine")
	got = results(t, ctx, "results", "")
	eval[chromedp.Void](t, ctx, `document.getElementById("filters").open = true;
	  remote.value = "only"; remote.dispatchEvent(new Event("change", {bubbles: true}))`)
	got = waitFor[shown](t, ctx, "remote only", `(() => { const r = `+shownJS+`; return r && `+sentJS("remote", "only")+` ? r : null; })()`)
	for _, h := range got.Hits {
		if !strings.Contains(strings.Join(h.Tags, "|"), "À distance") || h.Where != "à distance" {
			t.Errorf("remote only: hit %q at %q, tags %q", h.Title, h.Where, h.Tags)
		}
	}
}

// intercept answers the tab's API searches with respond (nil: let them
// through after delay).
func intercept(t *testing.T, ctx context.Context, delay time.Duration, respond func(u string) (int, string)) {
	t.Helper()
	listenCtx, stop := context.WithCancel(ctx)
	events := chromedp.Events(listenCtx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/offers?*"}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); chromedp.Call(ctx, fetch.Disable, cdp.Empty{}) })
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			go func() {
				time.Sleep(delay)
				if respond == nil {
					chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
					return
				}
				status, body := respond(ev.Request.URL)
				chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: int64(status),
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/problem+json"}}, Body: []byte(body)})
			}()
		}
	}()
}

func testLoading(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/")
	intercept(t, ctx, 1500*time.Millisecond, nil)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#q"), "boulanger"+kb.Enter))
	state := waitFor[map[string]any](t, ctx, "the loading state", `(() => { const l = document.getElementById("loading");
	  return l.hidden ? null : {label: go.textContent, busy: go.getAttribute("aria-disabled"), body: document.body.hasAttribute("aria-busy"),
	    live: document.getElementById("live").textContent, text: l.textContent}; })()`)
	want := map[string]any{"label": "Recherche…", "busy": "true", "body": true, "live": "Recherche en cours…", "text": "Recherche en cours…"}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("while searching, %s = %v, want %v", k, state[k], v)
		}
	}
	results(t, ctx, "results", "")
	after := eval[map[string]any](t, ctx, `({label: go.textContent, busy: go.getAttribute("aria-disabled"), loading: document.getElementById("loading").hidden})`)
	if after["label"] != "Chercher" || after["busy"] != "false" || after["loading"] != true {
		t.Errorf("after the search: %v", after)
	}
}

// paramCodes lists the ParamCode constants of errors.go, so that a new
// code fails this test until the page has words for it.
func paramCodes(t *testing.T) map[string]string {
	f, err := parser.ParseFile(token.NewFileSet(), "../errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "ParamCode" {
				lit := v.Values[0].(*ast.BasicLit)
				codes[v.Names[0].Name], _ = strconv.Unquote(lit.Value)
			}
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found %d ParamCode constants in errors.go", len(codes))
	}
	return codes
}

// testFrenchErrors has the API answer each machine code in turn (the
// browser's request interception stands in for the rarer ones) and checks
// that the page writes its own French sentence, never the API's message.
func testFrenchErrors(t *testing.T, ctx context.Context, base string) {
	// The words the page must write, by param/code.
	want := map[string]string{
		"lng/required":                  "Position : il manque une valeur.",
		"q/repeated":                    "Métier, mot-clé : une seule valeur est possible.",
		"q/invalid_utf8":                "Métier, mot-clé : contient des caractères illisibles.",
		"week/too_many_values":          "Semaine : trop de choix (50 au plus).",
		"lat/not_a_number":              "Position : doit être un nombre.",
		"page/not_an_integer":           "Page : doit être un nombre entier.",
		"is_public/not_a_boolean":       "Service public : doit être oui ou non.",
		"radius_km/out_of_range":        "Distance : la distance va de 0 à 60 km.",
		"sort/not_one_of":               "Tri : ce choix n'existe pas.",
		"q/too_long":                    "Métier, mot-clé : ta recherche est trop longue (200 caractères au plus).",
		"q/too_short":                   "Métier, mot-clé : tape au moins 2 lettres.",
		"where/conflict":                "Commune : choisis une commune ou ta position, pas les deux.",
		"where/unknown_place":           "Commune ou code postal introuvable.",
		"where/ambiguous_place":         "Plusieurs communes portent ce nom. Laquelle ?",
		"sector/unknown_sector":         "Secteur : ce secteur n'existe pas.",
		"week/invalid_week":             "Semaine : cette semaine n'existe pas.",
		"department/invalid_department": "Département : ce département n'existe pas.",
		"rome/invalid_rome":             "Métier : ce métier n'existe pas.",
		"sort/needs_place":              "Tri : pour trier par distance, indique une commune ou ta position.",
		"page/too_deep":                 "Page : c'est trop loin dans les résultats : précise ta recherche.",
		"id/invalid_id":                 "Offre : cette offre n'existe pas.",
		"caller/invalid":                "Site partenaire : cette valeur n'est pas acceptée.",
		"/rate_limited":                 "Recherche : trop de recherches d'un coup, réessaie dans 3 secondes.",
		"Authorization/invalid_key":     "Site partenaire : la clé de ce site partenaire n'est pas valide : préviens le site.",
		"Authorization/revoked_key":     "Site partenaire : la clé de ce site partenaire a été retirée : préviens le site.",
		"Authorization/expired_key":     "Site partenaire : la clé de ce site partenaire a expiré : préviens le site.",
	}
	byCode := map[string]string{}
	for k := range want {
		byCode[strings.SplitN(k, "/", 2)[1]] = k
	}
	for name, code := range paramCodes(t) {
		if _, ok := byCode[code]; !ok {
			t.Errorf("ParamCode %s (%q) has no French words in this test (and maybe not in app.js)", name, code)
		}
	}
	// Two real ones first, straight from the API.
	for _, c := range []struct{ query, want string }{
		{"/?where=Xyzzyville", "Commune ou code postal introuvable."},
		{"/?q=boulanger&sector=Astronautique", "Secteur : ce secteur n'existe pas."},
	} {
		loaded(t, ctx, base+c.query)
		got := waitFor[string](t, ctx, "the error", `(() => { const e = document.getElementById("errors"); return e.hidden ? null : e.textContent; })()`)
		if !strings.Contains(got, c.want) || strings.Contains(got, "unknown") || strings.Contains(got, "not a") {
			t.Errorf("%s: shows %q, want %q and no English", c.query, got, c.want)
		}
	}
	// Then every code, answered by the interception.
	var mu sync.Mutex
	var next string
	loaded(t, ctx, base+"/")
	intercept(t, ctx, 0, func(string) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		pc := strings.SplitN(next, "/", 2)
		e := map[string]any{"param": pc[0], "code": pc[1], "message": "ENGLISH MESSAGE"}
		status := 400
		if pc[1] == "rate_limited" { // as api/limits.go sends it
			e["args"], status = map[string]any{"seconds": 3}, 429
		}
		b, _ := json.Marshal(map[string]any{"type": "https://stageindex.fr/problems/invalid", "title": "Invalid request", "status": status,
			"detail": "some parameters are invalid", "errors": []map[string]any{e}})
		return status, string(b)
	})
	for key, words := range want {
		mu.Lock()
		next = key
		mu.Unlock()
		eval[chromedp.Void](t, ctx, `document.getElementById("errors").hidden = true; q.value = "x`+key+`"; document.getElementById("go").click()`)
		got := waitFor[string](t, ctx, key, `(() => { const e = document.getElementById("errors"); return e.hidden ? null : e.textContent; })()`)
		if !strings.Contains(got, words) || strings.Contains(got, "ENGLISH") {
			t.Errorf("%s: the page shows %q, want %q", key, got, words)
		}
	}
}

// wantMarkers waits for the map's markers: one per located hit shown.
func wantMarkers(t *testing.T, ctx context.Context, got shown) {
	t.Helper()
	n := waitFor[float64](t, ctx, "markers", `(() => { const n = document.querySelectorAll("#map .hit-marker").length; return n ? n : null; })()`)
	located := 0
	for _, h := range got.Hits {
		if h.Where != "à distance" {
			located++
		}
	}
	if int(n) != located {
		t.Errorf("%v markers, want one per located hit (%d)", n, located)
	}
}

func testPhoneMap(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc&radius_km=30")
	got := results(t, ctx, "results", "")
	state := eval[map[string]any](t, ctx, `({map: document.getElementById("map-pane").hidden, toggle: document.getElementById("view-switch").hidden,
		leaflet: typeof window.L})`)
	if state["map"] != true || state["toggle"] != false || state["leaflet"] != "undefined" {
		t.Fatalf("phone before the toggle: %v, want the list, a toggle and Leaflet not loaded", state)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#show-map")))
	wantMarkers(t, ctx, got)
	if eval[bool](t, ctx, `document.querySelector("#hits").offsetParent !== null`) {
		t.Error("the list still shows with the map chosen")
	}
	if eval[string](t, ctx, `document.getElementById("show-map").getAttribute("aria-pressed")`) != "true" {
		t.Error("the map button is not pressed")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#show-list")))
	waitFor[bool](t, ctx, "the list again", `document.querySelector("#hits").offsetParent !== null && document.getElementById("map-pane").hidden || null`)
}

func testOfferPage(t *testing.T, ctx context.Context, base string) {
	// From a search, the card's link opens the offer's page, whose "Retour"
	// goes back to that search.
	loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc")
	results(t, ctx, "results", "")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#hits a[href="/offres/test-bakery"]`)))
	back := waitFor[string](t, ctx, "the offer page", `location.pathname === "/offres/test-bakery" && document.readyState === "complete" ? document.getElementById("back").getAttribute("href") : null`)
	if back != "/?q=boulanger&where=Saint-Brieuc" {
		t.Errorf("back link %q, want the search", back)
	}
	got := eval[map[string]any](t, ctx, `({title: document.title, desc: document.querySelector('meta[name=description]').content,
		h1: document.querySelector("h1").textContent, apply: document.querySelector("a.apply").href,
		text: document.querySelector("main").textContent})`)
	if got["title"] != "découvrir le métier de boulanger – Boulangerie du Légué, Saint-Brieuc (22000) · Stage de 3e" {
		t.Errorf("title %q", got["title"])
	}
	if d := got["desc"].(string); !strings.HasPrefix(d, "Stage de 3e chez Boulangerie du Légué (Saint-Brieuc (22000)) : Pétrir, façonner") {
		t.Errorf("description %q", d)
	}
	if got["apply"] != "https://offres.example.org/stages/test-bakery" {
		t.Errorf("Postuler goes to %v", got["apply"])
	}
	for _, w := range []string{"Semaine du 1er février 2027", "Générale, SEGPA", "Pétrir, façonner et cuire le pain"} {
		if !strings.Contains(got["text"].(string), w) {
			t.Errorf("offer page lacks %q", w)
		}
	}
	// The page is complete without JavaScript: it is rendered by the server.
	resp, err := http.Get(base + "/offres/test-bakery")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("offer page: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	resp, err = http.Get(base + "/offres/no-such-offer")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown offer: %d %s, want a 404 page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func apiJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func testStats(t *testing.T, ctx context.Context, base string) {
	var st struct {
		Offers      int
		Departments map[string]int
	}
	apiJSON(t, base+"/api/v1/stats", &st)
	loaded(t, ctx, base+"/statistiques")
	page := eval[map[string]any](t, ctx, `({paths: document.querySelectorAll(".france-map path").length,
		rows: [...document.querySelectorAll("#dept-caption ~ tbody tr")].map((r) => [r.querySelector("a").textContent.split(" – ")[0], r.querySelector(".num").textContent.replace(/\D/g, "")]),
		headline: document.getElementById("headline").textContent})`)
	if page["paths"] != float64(105) {
		t.Errorf("%v paths on the map, want 101 départements and Paris's ring again (4)", page["paths"])
	}
	if !strings.Contains(strings.ReplaceAll(page["headline"].(string), "\u202f", ""), strconv.Itoa(st.Offers)+" offres en France") {
		t.Errorf("headline %q, want the %d offers of /api/v1/stats", page["headline"], st.Offers)
	}
	for _, r := range page["rows"].([]any) {
		cells := r.([]any)
		code, n := cells[0].(string), cells[1].(string)
		if want := strconv.Itoa(st.Departments[code]); n != want {
			t.Errorf("département %s: %s offers in the table, %s in /api/v1/stats", code, n, want)
		}
	}
	// A référent bookmarks their département: the URL holds it.
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#department"), "22"), chromedp.Click(chromedp.CSS(".stats-filter button")))
	waitFor[bool](t, ctx, "the département's page", `location.search === "?department=22" && document.readyState === "complete" || null`)
	var search struct {
		Total  int
		Facets struct{ Tracks, Weeks map[string]int }
	}
	apiJSON(t, base+"/api/v1/offers?department=22&remote=include&per_page=1", &search)
	dept := eval[map[string]any](t, ctx, `({headline: document.getElementById("headline").textContent, title: document.title,
		selected: document.querySelectorAll(".france-map path.selected").length,
		weeks: [...document.querySelectorAll("#by-week ~ table tbody tr")].map((r) => r.querySelector(".num").textContent),
		segpa: [...document.querySelectorAll("#by-track ~ table tbody tr")].find((r) => r.textContent.includes("SEGPA")).querySelector(".num").textContent,
		links: [...document.querySelectorAll("a[download]")].map((a) => a.getAttribute("href"))})`)
	if !strings.Contains(strings.ReplaceAll(dept["headline"].(string), "\u202f", ""), fmt.Sprintf("%d offres dans le département Côtes-d'Armor (22)", search.Total)) {
		t.Errorf("headline %q, want %d offers in 22", dept["headline"], search.Total)
	}
	if !strings.Contains(dept["title"].(string), "Côtes-d'Armor (22)") || dept["selected"] != float64(1) {
		t.Errorf("title %q, %v selected départements", dept["title"], dept["selected"])
	}
	if len(dept["weeks"].([]any)) != len(search.Facets.Weeks) || dept["segpa"] != strconv.Itoa(search.Facets.Tracks["segpa"]) {
		t.Errorf("weeks %v and SEGPA %v, want %d weeks and %d SEGPA offers", dept["weeks"], dept["segpa"], len(search.Facets.Weeks), search.Facets.Tracks["segpa"])
	}
	// Downloads are the API's exports, with the département.
	wantLinks := []string{"/api/v1/stats/export?department=22&format=csv", "/api/v1/stats/export?department=22&format=xlsx",
		"/api/v1/offers/export?department=22&format=csv&remote=include", "/api/v1/offers/export?department=22&format=xlsx&remote=include",
		"/api/v1/offers/export?department=22&format=jsonl&remote=include"}
	links := strings.Join(func() []string {
		var out []string
		for _, l := range dept["links"].([]any) {
			out = append(out, l.(string))
		}
		return out
	}(), " ")
	for _, w := range wantLinks {
		if !strings.Contains(links, w) {
			t.Errorf("download links %q lack %s", links, w)
		}
		// The API's exports answer them, in their format.
		resp, err := http.Get(base + w)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ctype := map[string]string{"csv": "text/csv", "xlsx": "application/vnd.openxmlformats", "jsonl": "application/x-ndjson"}[regexp.MustCompile(`format=(\w+)`).FindStringSubmatch(w)[1]]
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s, want 200 %s", w, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
	}
	// A click on the map opens a département.
	eval[chromedp.Void](t, ctx, `document.querySelector('.france-map path[data-department="29"]').dispatchEvent(new MouseEvent("click", {bubbles: true}))`)
	waitFor[bool](t, ctx, "Finistère", `location.search === "?department=29" && document.readyState === "complete" || null`)
	// A bad département is a French message, not a failure.
	resp, err := http.Get(base + "/statistiques?department=999")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad département: status %d, want 400", resp.StatusCode)
	}
	screenshots(t, ctx, "stats")
}

// partnerPage is a partner's page that includes the widget.
const partnerPage = `<!doctype html><html lang="fr"><head><title>Partenaire</title></head><body>
<h1>Stages dans les Côtes-d'Armor</h1>
<script src="%s/widget.js" data-department="22" data-track="segpa" data-caller="onstage22" async></script>
<p>Pied de page du partenaire</p></body></html>`

func partner(t *testing.T, page string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func testWidget(t *testing.T, ctx context.Context, base string) {
	var mu sync.Mutex
	var apiCalls []string
	listen(t, ctx, func(u string) { mu.Lock(); apiCalls = append(apiCalls, u); mu.Unlock() })
	loaded(t, ctx, partner(t, fmt.Sprintf(partnerPage, base)))
	src := eval[string](t, ctx, `document.querySelector("iframe").src`)
	u, err := url.Parse(src)
	if err != nil || !strings.HasPrefix(src, base+"/embed?") {
		t.Fatalf("iframe src %q, want %s/embed?…", src, base)
	}
	for k, v := range map[string]string{"department": "22", "track": "segpa", "caller": "onstage22"} {
		if got := u.Query().Get(k); got != v {
			t.Errorf("iframe %s = %q, want %q", k, got, v)
		}
	}

	frame := inFrame(t, ctx, "/embed?")
	got := waitFor[shown](t, ctx, "results in the embed", shownJS, frame)
	if len(got.Hits) == 0 || got.Relaxed != "" {
		t.Fatalf("embed shows %+v", got)
	}
	for _, h := range got.Hits {
		if !strings.Contains(h.Where, "(22") || !strings.Contains(strings.Join(h.Tags, "|"), "SEGPA") {
			t.Errorf("hit %q (%s, %q) is outside the widget's scope", h.Title, h.Where, h.Tags)
		}
		if h.Target != "_blank" || !strings.Contains(h.Rel, "noopener") {
			t.Errorf("hit %q opens in target %q rel %q, want _blank noopener", h.Title, h.Target, h.Rel)
		}
	}
	if eval[bool](t, ctx, `document.querySelector("header") !== null`, frame) {
		t.Error("the embed shows the page header")
	}
	// Completions from the embed name the caller too.
	eval[chromedp.Void](t, ctx, `q.value = "boulang"; q.dispatchEvent(new Event("input"))`, frame)
	waitFor[bool](t, ctx, "suggestions in the embed", `document.querySelectorAll("#q-list option").length > 0 || null`, frame)

	// The frame takes the height the embed reports, and only that.
	h := waitFor[string](t, ctx, "the frame to resize", `(() => { const h = document.querySelector("iframe").style.height; return h !== "480px" ? h : null; })()`)
	eval[chromedp.Void](t, ctx, `window.postMessage({type: "stageindex:height", height: 7777}, "*")`)
	time.Sleep(300 * time.Millisecond)
	if after := eval[string](t, ctx, `document.querySelector("iframe").style.height`); after == "7777px" || after != h {
		t.Errorf("a message from the partner page resized the frame: %s → %s", h, after)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(apiCalls) < 2 {
		t.Fatalf("saw %d API calls from the embed: %q", len(apiCalls), apiCalls)
	}
	for _, c := range apiCalls {
		if cu, err := url.Parse(c); err != nil || cu.Query().Get("caller") != "onstage22" {
			t.Errorf("API call without caller=onstage22: %s", c)
		}
		if cu, _ := url.Parse(c); strings.HasSuffix(cu.Path, "/offers") && (cu.Query().Get("department") != "22" || cu.Query().Get("track") != "segpa") {
			t.Errorf("search without department=22 and track=segpa: %s", c)
		}
	}
}

// narrowPartner puts the widget in a 280 px sidebar, with a fixed
// département and track and a maximum height.
const narrowPartner = `<!doctype html><html lang="fr"><head><title>Collège</title></head><body>
<main><h1>Collège Jean Moulin</h1></main>
<aside id="side" style="width:280px"><script src="%s/widget.js" data-department="22" data-track="segpa"
  data-caller="college" data-max-height="%d" async></script></aside></body></html>`

func testNarrowWidget(t *testing.T, ctx context.Context, base string) {
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	loaded(t, ctx, partner(t, fmt.Sprintf(narrowPartner, base, 700)))
	frame := inFrame(t, ctx, "/embed?")
	waitFor[shown](t, ctx, "results in the embed", shownJS, frame)
	got := waitFor[map[string]any](t, ctx, "the embed's layout", `(() => {
	  const s = document.getElementById("scope");
	  return s.hidden ? null : {scope: s.textContent, tracks: document.getElementById("tracks").hidden,
	    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
	    where: document.getElementById("where").getBoundingClientRect().width,
	    content: Math.ceil(document.documentElement.getBoundingClientRect().height), inner: window.innerHeight};
	})()`, frame)
	if got["scope"] != "Offres du département 22 · SEGPA" || got["tracks"] != true {
		t.Errorf("embed scope %v: want 'Offres du département 22 · SEGPA' and no track choice", got)
	}
	if got["overflow"].(float64) > 0 || got["where"].(float64) < 200 {
		t.Errorf("in 280 px the embed scrolls sideways by %v px, town field %v px wide", got["overflow"], got["where"])
	}
	frameH := waitFor[float64](t, ctx, "the frame's height", `(() => { const h = document.querySelector("iframe").getBoundingClientRect().height; return h !== 480 ? h : null; })()`)
	if frameH != 700 || got["content"].(float64) <= 700 {
		t.Errorf("frame %v px tall for %v px of content, want the 700 px maximum with the rest scrolling inside", frameH, got["content"])
	}
	if w := eval[float64](t, ctx, `document.querySelector("iframe").getBoundingClientRect().width`); w != 280 {
		t.Errorf("frame %v px wide in a 280 px column", w)
	}
	// data-track-default pre-ticks a track the pupil may untick.
	loaded(t, ctx, partner(t, strings.Replace(fmt.Sprintf(narrowPartner, base, 900), `data-track="segpa"`, `data-track-default="segpa"`, 1)))
	frame = inFrame(t, ctx, "/embed?")
	waitFor[bool](t, ctx, "a pre-ticked track", `(document.querySelector('input[value=segpa]').checked && !document.getElementById("tracks").hidden &&
	  document.getElementById("scope").textContent === "Offres du département 22") || null`, frame)
	screenshotsFrame(t, ctx)
	// data-theme-color colours the buttons when white text on it stays
	// readable (4.5:1), and is ignored otherwise.
	for _, c := range []struct{ color, want string }{{"#7a1f5c", "rgb(122, 31, 92)"}, {"#ffdd00", "rgb(10, 79, 168)"}} {
		loaded(t, ctx, partner(t, strings.Replace(fmt.Sprintf(narrowPartner, base, 900), `data-caller`, `data-theme-color="`+c.color+`" data-caller`, 1)))
		frame = inFrame(t, ctx, "/embed?")
		got := waitFor[string](t, ctx, "the button's colour", `getComputedStyle(document.getElementById("go")).backgroundColor`, frame)
		if got != c.want {
			t.Errorf("data-theme-color %s: button %s, want %s", c.color, got, c.want)
		}
	}
}

func screenshotsFrame(t *testing.T, ctx context.Context) {
	if dir := os.Getenv("STAGEINDEX_SCREENSHOTS"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(filepath.Join(dir, "stageindex-widget-280.png"), png, 0o644)
		}
	}
}

func testEmbedMap(t *testing.T, ctx context.Context, base string) {
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	loaded(t, ctx, base+"/embed?department=22&where=Saint-Brieuc")
	results(t, ctx, "results", "")
	if v := eval[map[string]any](t, ctx, `({pane: document.getElementById("map-pane").hidden, toggle: document.getElementById("view-switch").hidden, L: typeof L})`); v["pane"] != true || v["toggle"] != true || v["L"] != "undefined" {
		t.Errorf("embed without map=on: %v, want no map, no toggle, no Leaflet", v)
	}
	loaded(t, ctx, base+"/embed?department=22&where=Saint-Brieuc&map=on")
	waitFor[bool](t, ctx, "the embed's map", `document.querySelectorAll("#map .hit-marker").length > 0 || null`)
}
