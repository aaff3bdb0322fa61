package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// shownHit is what a pupil sees of one result.
type shownHit struct {
	Title, Employer, Where, Distance, Weeks, Apply, Target, Rel string
	Marks, Tags                                                 []string
}

type shown struct {
	Status, Relaxed, Search string
	Hits                    []shownHit
}

// shownJS reads the results on screen, or null while there are none.
const shownJS = `(() => {
  const lis = [...document.querySelectorAll("#hits li.hit")];
  if (!lis.length) return null;
  const txt = (el, sel) => { const n = el.querySelector(sel); return n ? n.textContent : ""; };
  return {
    Status: document.getElementById("results-title").textContent,
    Relaxed: document.getElementById("relaxed").hidden ? "" : document.getElementById("relaxed").textContent,
    Search: location.search,
    Hits: lis.map((li) => {
      const a = li.querySelector("a.apply");
      return {
        Title: txt(li, "h3"), Employer: txt(li, ".employer"), Where: txt(li, ".where"),
        Distance: txt(li, ".distance"), Weeks: txt(li, ".weeks"),
        Apply: a ? a.getAttribute("href") : "", Target: a ? a.target : "", Rel: a ? a.rel : "",
        Marks: [...li.querySelectorAll("h3 mark")].map((m) => m.textContent),
        Tags: [...li.querySelectorAll(".tags li")].map((m) => m.textContent),
      };
    }),
  };
})()`

// TestBrowser drives the page, the embed and the widget in headless Chromium
// against a real server over the demo offers.
func TestBrowser(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t)
	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, base string)
	}{
		{"search by keyword and town", testSearch},
		{"shared link restores the search and back returns to it", testSharedLink},
		{"ambiguous town offers its candidates", testAmbiguousPlace},
		{"no hit nearby shows the widened search", testRelaxed},
		{"a région and a town typed in q", testAreaAndPlaceInQuery},
		{"offer text is never markup", testNoInjection},
		{"around me searches from the pupil's position", testAroundMe},
		{"voir plus appends the next page", testMore},
		{"widget on a partner site", testWidget},
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
	got := waitFor[shown](t, ctx, "results", shownJS)

	if q, _ := url.ParseQuery(strings.TrimPrefix(got.Search, "?")); q.Get("q") != "boulanger" || q.Get("where") != "Saint-Brieuc" {
		t.Errorf("URL query %q does not hold the search", got.Search)
	}
	if !strings.Contains(got.Status, "près de Saint-Brieuc (22000)") {
		t.Errorf("status %q does not name the place", got.Status)
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
		if h.Title == "Boulangerie du Légué - découvrir le métier de boulanger" {
			bakery = &got.Hits[i]
		}
	}
	if !marked {
		t.Errorf("no <mark> on a word like boulanger in %+v", got.Hits)
	}
	if bakery == nil {
		t.Fatalf("the Saint-Brieuc bakery is not shown: %+v", got.Hits)
	}
	want := shownHit{Employer: "Boulangerie du Légué", Distance: "à 1,3 km", Weeks: "Semaine du 1er février 2027",
		Apply: "https://offres.example.org/stages/test-bakery"}
	if bakery.Employer != want.Employer || bakery.Distance != want.Distance || bakery.Weeks != want.Weeks || bakery.Apply != want.Apply {
		t.Errorf("bakery shown as %+v, want %+v", *bakery, want)
	}
	if bakery.Target != "" {
		t.Errorf("the page opens offers in target %q, want the same tab", bakery.Target)
	}
	screenshots(t, ctx)
}

// screenshots saves the page with results, on a phone and on a desktop, in
// $STAGEINDEX_SCREENSHOTS when it is set, for a person to look at.
func screenshots(t *testing.T, ctx context.Context) {
	dir := os.Getenv("STAGEINDEX_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, v := range []struct {
		file string
		w, h int64
	}{{"stageindex-page.png", 390, 844}, {"stageindex-page-desktop.png", 1280, 900}} {
		do(t, ctx, chromedp.EmulateViewport(v.w, v.h))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, v.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func testSharedLink(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=boulanger&where=22000&radius_km=20&track=segpa")
	got := waitFor[shown](t, ctx, "results", shownJS)
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
		chromedp.Click(chromedp.CSS("button.primary")),
	)
	waitFor[bool](t, ctx, "second search", `location.search.includes("q=p%C3%A2tisserie") || null`)
	eval[chromedp.Void](t, ctx, `history.back()`)
	waitFor[bool](t, ctx, "back to the first search", `(q.value === "boulanger" && location.search.includes("q=boulanger")) || null`)
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
	if len(p.Candidates) < 2 || p.Lead != "Plusieurs communes portent ce nom. Laquelle ?" || p.Invalid != "true" {
		t.Fatalf("problem shown as %+v", p)
	}
	for _, c := range p.Candidates {
		if !strings.HasPrefix(c, "Saint-Denis") {
			t.Errorf("candidate %q is not a Saint-Denis", c)
		}
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#errors .candidates button")))
	waitFor[bool](t, ctx, "the chosen place's search", fmt.Sprintf(
		`(document.getElementById("errors").hidden && where.value === %q &&
		  document.getElementById("results-title").textContent.includes("Saint-Denis")) || null`, p.Candidates[0]))
}

// testAreaAndPlaceInQuery: a région searched whole, and a town typed in
// the keywords, are said in the status line.
func testAreaAndPlaceInQuery(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?where=Bretagne")
	got := waitFor[shown](t, ctx, "région results", shownJS)
	if !strings.HasSuffix(got.Status, "en région Bretagne") {
		t.Errorf("status %q, want it to name the région", got.Status)
	}
	for _, h := range got.Hits {
		if h.Distance != "" {
			t.Errorf("hit %q shows a distance %q in a région search", h.Title, h.Distance)
		}
	}
	loaded(t, ctx, base+"/?q=mecanique+brest")
	got = waitFor[shown](t, ctx, "results of a town in q", shownJS)
	if want := "près de Brest (29200) (lieu lu dans ta recherche, mots-clés « mecanique »)"; !strings.HasSuffix(got.Status, want) {
		t.Errorf("status %q, want it to end with %q", got.Status, want)
	}
}

func testRelaxed(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=v%C3%A9t%C3%A9rinaire&where=Saint-Brieuc&radius_km=5")
	got := waitFor[shown](t, ctx, "widened results", shownJS)
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
}

func testNoInjection(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?q=boulanger&where=Saint-Brieuc")
	got := waitFor[shown](t, ctx, "results", shownJS)
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
	if bad.Apply != "" {
		t.Errorf("a javascript: URL became a link: %q", bad.Apply)
	}
	time.Sleep(300 * time.Millisecond) // an onerror would have fired by now
	res := eval[map[string]any](t, ctx, `({xss: window.__xss === undefined ? "" : String(window.__xss),
		elements: document.querySelectorAll("#hits img, #hits svg, #hits script, #hits b").length})`)
	if res["xss"] != "" || res["elements"] != float64(0) {
		t.Errorf("offer markup ran or became elements: %v", res)
	}
}

// partnerPage is a partner's page that includes the widget.
const partnerPage = `<!doctype html><html lang="fr"><head><title>Partenaire</title></head><body>
<h1>Stages dans les Côtes-d'Armor</h1>
<script src="%s/widget.js" data-department="22" data-track="segpa" data-caller="onstage22" async></script>
<p>Pied de page du partenaire</p></body></html>`

func testWidget(t *testing.T, ctx context.Context, base string) {
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, partnerPage, base)
	}))
	defer partner.Close()

	var mu sync.Mutex
	var apiCalls []string
	listenCtx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	events := chromedp.Events(listenCtx, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if u := ev.Request.URL; strings.Contains(u, "/api/v1/") {
				mu.Lock()
				apiCalls = append(apiCalls, u)
				mu.Unlock()
			}
		}
	}()

	loaded(t, ctx, partner.URL)
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
		if h.Apply != "" && (h.Target != "_blank" || !strings.Contains(h.Rel, "noopener")) {
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
		if cu, _ := url.Parse(c); strings.HasSuffix(cu.Path, "/offers") && cu.Query().Get("department") != "22" {
			t.Errorf("search without department=22: %s", c)
		}
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
	loaded(t, ctx, base+"/?q=boulanger")
	do(t, ctx, chromedp.Click(chromedp.CSS("#locate")))
	got := waitFor[shown](t, ctx, "results around the position",
		`(() => { const r = `+shownJS+`; return r && r.Search.includes("lat=") && r.Status.endsWith("autour de toi") ? r : null; })()`)
	q, _ := url.ParseQuery(strings.TrimPrefix(got.Search, "?"))
	if q.Get("lat") != "48.515" || q.Get("lng") != "-2.768" || q.Has("where") {
		t.Errorf("URL %q, want the position rounded to 3 decimals and no where", got.Search)
	}
	if !strings.HasSuffix(got.Status, "autour de toi") {
		t.Errorf("status %q", got.Status)
	}
	for _, h := range got.Hits {
		if !distanceRE.MatchString(h.Distance) {
			t.Errorf("hit %q: distance %q", h.Title, h.Distance)
		}
	}
	if v := eval[string](t, ctx, `where.value`); v != "Ma position" {
		t.Errorf("place field shows %q", v)
	}
}

func testMore(t *testing.T, ctx context.Context, base string) {
	loaded(t, ctx, base+"/?where=Saint-Brieuc&radius_km=60")
	first := waitFor[shown](t, ctx, "results", shownJS)
	if len(first.Hits) != 20 {
		t.Fatalf("first page has %d hits, want 20", len(first.Hits))
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#more")))
	more := waitFor[shown](t, ctx, "the next page", `(() => { const r = `+shownJS+`; return r && r.Hits.length > 20 ? r : null; })()`)
	seen := map[string]bool{}
	for _, h := range more.Hits {
		key := h.Title + "|" + h.Employer + "|" + h.Where
		if seen[key] {
			t.Errorf("hit %q shown twice", key)
		}
		seen[key] = true
	}
	if more.Status != first.Status {
		t.Errorf("status changed from %q to %q", first.Status, more.Status)
	}
	if focused := eval[string](t, ctx, `document.activeElement.textContent`); focused != more.Hits[20].Title {
		t.Errorf("focus is on %q, want the first new hit %q", focused, more.Hits[20].Title)
	}
}
