package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/search"
	"github.com/stageindex/stageindex/web"
)

// call is one API request of a pupil's session, at its offset from the
// session's start.
type call struct {
	at   time.Duration
	path string
}

// serveDemo serves the demo offers, the page and the API on loopback with
// limits, and returns its base URL.
func serveDemo(ctx context.Context, limits api.Limits) (string, error) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return "", err
	}
	offers, err := demo.Offers(time.Now())
	if err != nil {
		return "", err
	}
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf})
	if err != nil {
		return "", err
	}
	if err := ix.Apply(ctx, offers, nil); err != nil {
		return "", err
	}
	live := &search.Live{}
	live.Swap(ix)
	site, err := web.New(web.Options{Searcher: live})
	if err != nil {
		return "", err
	}
	srv := api.New(api.Options{Searcher: live, Places: gaz, Logger: quietLogger(), Static: site.Mount, Limits: limits})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go srv.Serve(ctx, ln)
	return "http://" + ln.Addr().String(), nil
}

// pupils types a search as a pupil does, with one delay between keys, and
// records the page's API calls; then it replays 35 such sessions at once
// from one address against each rate limit.
func pupils(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("pupils", flag.ExitOnError)
	class := fs.Int("class", 35, "pupils behind one address")
	spread := fs.Duration("spread", 5*time.Second, "the class starts within this")
	fs.Parse(args)
	base, err := serveDemo(ctx, api.Limits{Rate: -1})
	if err != nil {
		return err
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("Debian's chromium is needed: %w", err)
	}
	dir, _ := os.MkdirTemp("", "apiload-chromium")
	defer os.RemoveAll(dir)
	alloc, cancel := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancel()
	sessions := map[time.Duration][]call{}
	delays := []time.Duration{120 * time.Millisecond, 250 * time.Millisecond, 400 * time.Millisecond}
	fmt.Fprintf(out, "One pupil on the search page: type \"boulangerie\", then \"saint-brieuc\", Enter, then \"Voir plus\" once.\n\n")
	fmt.Fprintf(out, "| delay between keys | suggest | places | offers | total | session | peak calls in 1 s |\n|---|---|---|---|---|---|---|\n")
	for _, d := range delays {
		calls, took, err := typeSearch(alloc, base, d)
		if err != nil {
			return err
		}
		sessions[d] = calls
		count := map[string]int{}
		for _, c := range calls {
			count[strings.TrimPrefix(c.path[:strings.IndexAny(c.path+"?", "?")], "/api/v1/")]++
		}
		fmt.Fprintf(out, "| %d ms | %d | %d | %d | %d | %.1f s | %d |\n", d.Milliseconds(), count["suggest"], count["places"], count["offers"], len(calls), took.Seconds(), peak(calls, time.Second))
	}
	fmt.Fprintf(out, "\n%d pupils behind one address, starting within %v, each replaying a session (slow typists: 400 ms, the common case at 13):\n\n", *class, *spread)
	fmt.Fprintf(out, "| limit (rate/s, burst) | session | calls | refused (429) | pupils refused a search | pupils refused a suggestion |\n|---|---|---|---|---|---|\n")
	for _, lim := range []api.Limits{{Rate: 30, Burst: 60}, {Rate: 60, Burst: 120}, {Rate: 100, Burst: 200}} {
		for _, d := range []time.Duration{250 * time.Millisecond, 400 * time.Millisecond} {
			lctx, stop := context.WithCancel(ctx)
			base, err := serveDemo(lctx, lim)
			if err != nil {
				stop()
				return err
			}
			total, refused, searchHit, suggestHit := replayClass(lctx, base, sessions[d], *class, *spread)
			stop()
			fmt.Fprintf(out, "| %g/s, %d | %d ms keys | %d | %d (%.1f%%) | %d of %d | %d of %d |\n", lim.Rate, lim.Burst, d.Milliseconds(), total, refused, 100*float64(refused)/float64(total), searchHit, *class, suggestHit, *class)
		}
	}
	return nil
}

// peak is the most calls within any window.
func peak(calls []call, window time.Duration) int {
	best := 0
	for i := range calls {
		n := 0
		for j := i; j < len(calls) && calls[j].at-calls[i].at < window; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func typeSearch(alloc context.Context, base string, delay time.Duration) ([]call, time.Duration, error) {
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	var mu sync.Mutex
	var calls []call
	var start time.Time
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#q"))); err != nil {
		return nil, 0, err
	}
	listen, stop := context.WithCancel(ctx)
	defer stop()
	events := chromedp.Events(listen, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if i := strings.Index(ev.Request.URL, "/api/v1/"); i >= 0 {
				mu.Lock()
				calls = append(calls, call{time.Since(start), ev.Request.URL[i:]})
				mu.Unlock()
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	start = time.Now()
	typeText := func(sel, text string) error {
		for _, r := range text {
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), string(r))); err != nil {
				return err
			}
			time.Sleep(delay)
		}
		return nil
	}
	if err := typeText("#q", "boulangerie"); err != nil {
		return nil, 0, err
	}
	time.Sleep(700 * time.Millisecond) // from one field to the next
	if err := typeText("#where", "saint-brieuc"); err != nil {
		return nil, 0, err
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#where"), kb.Enter)); err != nil {
		return nil, 0, err
	}
	time.Sleep(3 * time.Second) // reading the first results
	// The next page, when there is one.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#pager a[rel="next"]').length`)); err == nil && n > 0 {
		chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#pager a[rel="next"]`)))
	}
	time.Sleep(time.Second)
	took := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(calls, func(i, j int) bool { return calls[i].at < calls[j].at })
	return calls, took, nil
}

// replayClass plays class copies of session from one address (loopback),
// each starting at a random offset within spread.
func replayClass(ctx context.Context, base string, session []call, class int, spread time.Duration) (total, refused, searchHit, suggestHit int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * class}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(7, 35))
	start := time.Now()
	for p := 0; p < class; p++ {
		offset := time.Duration(rng.Int64N(int64(spread)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sawSearch, sawSuggest bool
			for _, c := range session {
				time.Sleep(time.Until(start.Add(offset + c.at)))
				resp, err := client.Get(base + c.path)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				total++
				if resp.StatusCode == 429 {
					refused++
					if strings.HasPrefix(c.path, "/api/v1/offers") {
						sawSearch = true
					} else {
						sawSuggest = true
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			if sawSearch {
				searchHit++
			}
			if sawSuggest {
				suggestHit++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return
}
