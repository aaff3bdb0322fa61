package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/search"
)

// testNow is the clock of the test index: the demo offers and the injected
// ones have weeks after it.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// extraOffers are demo-like offers in Saint-Brieuc: a bakery whose week
// reads "semaine du 1er février 2027", and an offer whose every text field
// tries to inject HTML or script.
func extraOffers() []stageindex.Offer {
	lat, lng := 48.5185, -2.7520 // about 1.3 km from Saint-Brieuc's centre
	pub := testNow.Add(-48 * time.Hour)
	return []stageindex.Offer{
		{
			ID: "test-bakery", Title: "Boulangerie du Légué - découvrir le métier de boulanger",
			Description:  "Pétrir, façonner et cuire le pain avec l'équipe du fournil.",
			EmployerName: "Boulangerie du Légué", Sector: "Hôtellerie, restauration",
			Tracks: []stageindex.Track{stageindex.TrackGenerale, stageindex.TrackSEGPA},
			City:   "Saint-Brieuc", Zipcode: "22000", Department: "22",
			Latitude: &lat, Longitude: &lng, Weeks: []string{"2027-W05"},
			MaxCandidates: 2, URL: "https://offres.example.org/stages/test-bakery", PublishedAt: &pub,
		},
		{
			ID:           "test-xss",
			Title:        `Boulanger <img src=x onerror="window.__xss='title'"> pâtissier`,
			Description:  `<script>window.__xss='description'</script> boulanger <b>gras</b>`,
			EmployerName: `<img src=x onerror="window.__xss='employer'">Fournil`,
			Sector:       "Hôtellerie, restauration", Tracks: []stageindex.Track{stageindex.TrackGenerale},
			City: `Saint-Brieuc<svg onload="window.__xss='city'">`, Zipcode: "22000", Department: "22",
			Latitude: &lat, Longitude: &lng, Weeks: []string{"2027-W06"},
			URL: "javascript:window.__xss='url'", PublishedAt: &pub,
		},
	}
}

// demoIndex is the demo offers plus extraOffers, indexed once for the
// package: building it takes about 4 s under the race detector and the
// tests only read it (no test applies a change), so every server shares it.
var demoIndex = sync.OnceValues(func() (*demoFixture, error) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return nil, err
	}
	offers, err := demo.Offers(testNow)
	if err != nil {
		return nil, err
	}
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf, Now: func() time.Time { return testNow }})
	if err != nil {
		return nil, err
	}
	if err := ix.Apply(context.Background(), append(offers, extraOffers()...), nil); err != nil {
		return nil, err
	}
	return &demoFixture{gaz: gaz, ix: ix}, nil
})

type demoFixture struct {
	gaz *geo.Gazetteer
	ix  *search.Index
}

// startServer serves the demo offers plus extraOffers with the real search
// core, gazetteer and API on a free loopback port, and returns its base URL.
// The map has no tiles unless tiles names a tile server.
func startServer(t testing.TB, tiles ...string) string {
	t.Helper()
	fx, err := demoIndex()
	if err != nil {
		t.Fatal(err)
	}
	gaz, ix := fx.gaz, fx.ix
	live := &search.Live{}
	live.Swap(ix)
	opts := Options{Searcher: live}
	if len(tiles) > 0 {
		opts.TilesURL, opts.TilesAttribution = tiles[0], "Tuiles de test"
	}
	site, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{
		Searcher: live, Places: gaz, Static: site.Mount,
		// No search budget: under -race on a loaded machine a widened
		// search may pass a second, and what is tested is the page, not
		// the speed (budgets are tested in api).
		SearchTimeout: -1,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Served as stageindex serve does (api.Server.Serve): Chromium opens
	// connections ahead of need, and one left silent past the read timeout
	// must be closed, not answered with a 408 that the next asset on that
	// connection would read as its own response.
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String()
}

// newBrowser starts Debian's headless Chromium; without it the browser
// tests skip, except under CI where scripts/setup.sh must have installed it.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: scripts/setup.sh test installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium, or scripts/setup.sh test): skipping browser tests")
	}
	dir := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(390, 844),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the browser stops before its
	// user-data-dir is removed.
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// tab opens a new tab in the browser, with a deadline for the subtest.
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// waitFor evaluates expr until it gives something other than null and
// returns it. It polls from Go rather than with chromedp.Poll, whose
// new Function the pages' CSP (no 'unsafe-eval') rightly forbids.
func waitFor[T any](t *testing.T, ctx context.Context, what, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[*T](expr, opts...))
		if err == nil && v != nil {
			return *v
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	// What the page shows instead says why: an error box, a request that
	// failed.
	shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.getElementById("errors"); return (e && !e.hidden ? "errors: " + e.textContent + "; " : "") + "title: " + document.title; })()`))
	t.Fatalf("waiting for %s: timed out (last error: %v; page %s)", what, lastErr, shown)
	panic("unreachable")
}

func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// inFrame returns an evaluation option that runs in an isolated world of
// the child frame whose URL holds urlPart, once its document has loaded:
// the partner page cannot read a cross-origin frame, but DevTools can.
func inFrame(t *testing.T, ctx context.Context, urlPart string) chromedp.EvaluateOption {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		id, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (runtime.ExecutionContextID, error) {
			tree, err := cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return 0, err
			}
			for _, f := range tree.FrameTree.ChildFrames {
				if strings.Contains(f.Frame.URL, urlPart) {
					w, err := cdp.Call(ctx, tg, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: f.Frame.ID, WorldName: "test"})
					return w.ExecutionContextID, err
				}
			}
			return 0, nil
		})
		if err == nil && id != 0 {
			opt := func(p *runtime.EvaluateParams) { p.ContextID = id }
			ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`, opt))
			if err == nil && ready {
				return opt
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no loaded frame on %s", urlPart)
	return nil
}
