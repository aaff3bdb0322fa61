package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stageindex/stageindex/bench/querymix"

	"github.com/stageindex/stageindex/internal/pgtest"
)

// load runs a separate stageindex serve (the demo offers, or -corpus
// imported into a throwaway PostgreSQL cluster), then 32 well-behaved
// clients alone, then the same beside one abusive client, each client from
// its own loopback address (127.0.0.x) so that each has its own bucket.
func load(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	bin := fs.String("bin", "bin/stageindex", "the stageindex binary")
	corpus := fs.String("corpus", "", "offers to import (empty: the demo offers)")
	queries := fs.String("queries", "../shared/bench/queries-1k.jsonl", "the search mix")
	clients := fs.Int("clients", 32, "well-behaved clients")
	every := fs.Duration("every", 200*time.Millisecond, "a well-behaved client's pause between requests")
	abuserConns := fs.Int("abuser-conns", 64, "the abusive client's connections")
	duration := fs.Duration("duration", 20*time.Second, "each phase")
	fs.Parse(args)
	paths, err := readQueries(*queries)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(18000+rand.IntN(1000))
	serveArgs := []string{"serve", "--addr", addr}
	var env []string
	if *corpus != "" {
		fmt.Fprintln(os.Stderr, "starting PostgreSQL and importing", *corpus)
		cl, err := pgtest.StartCluster(ctx)
		if err != nil {
			return err
		}
		defer cl.Close()
		dsn := cl.DSN("postgres")
		for _, a := range [][]string{{"migrate", "--database-url", dsn}, {"import", "--database-url", dsn, *corpus}} {
			cmd := exec.CommandContext(ctx, *bin, a...)
			cmd.Stderr = io.Discard
			if err := cmd.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 { // 3: some lines rejected
					return fmt.Errorf("%v: %w", a[0], err)
				}
			}
		}
		env = append(env, "DATABASE_URL="+dsn)
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	srv := exec.CommandContext(serveCtx, *bin, serveArgs...)
	srv.Env = append(os.Environ(), env...)
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { stopServe(); srv.Wait() }()
	base := "http://" + addr
	start := time.Now()
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 5*time.Minute {
			return fmt.Errorf("serve not ready after 5 min")
		}
		time.Sleep(200 * time.Millisecond)
	}
	var ready struct {
		Sync struct {
			Offers int `json:"offers"`
		} `json:"sync"`
	}
	if resp, err := http.Get(base + "/readyz"); err == nil {
		json.NewDecoder(resp.Body).Decode(&ready)
		resp.Body.Close()
	}
	fmt.Fprintf(out, "serve ready in %.0f s with %d offers (%s); %d well-behaved clients, one request every %v each; the abuser on %d connections, ignoring 429s; %v per phase\n\n",
		time.Since(start).Seconds(), ready.Sync.Offers, map[bool]string{true: "demo offers", false: *corpus}[*corpus == ""], *clients, *every, *abuserConns, *duration)
	fmt.Fprintln(out, "| phase | well-behaved: requests | p50 | p99 | max | refused | abuser: requests/s | answered 200 | refused 429 | other |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, abuse := range []bool{false, true} {
		r := phase(ctx, base, paths, *clients, *every, abuse, *abuserConns, *duration)
		name := "alone"
		if abuse {
			name = "with the abuser"
		}
		slices.Sort(r.lat)
		q := func(p float64) string {
			if len(r.lat) == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f ms", float64(r.lat[int(p*float64(len(r.lat)-1))].Microseconds())/1000)
		}
		ab := "-"
		if abuse {
			ab = fmt.Sprintf("%.0f", float64(r.abuseN.Load())/duration.Seconds())
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %d | %s | %d | %d | %d |\n", name, len(r.lat), q(0.5), q(0.99), q(1), r.refused.Load(), ab, r.abuse200.Load(), r.abuse429.Load(), r.abuseOther.Load())
	}
	return nil
}

type phaseResult struct {
	mu                                     sync.Mutex
	lat                                    []time.Duration
	refused                                atomic.Int64
	abuseN, abuse200, abuse429, abuseOther atomic.Int64
}

// clientFrom is an HTTP client whose connections leave from ip.
func clientFrom(ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

func phase(ctx context.Context, base string, paths []string, clients int, every time.Duration, abuse bool, abuserConns int, d time.Duration) *phaseResult {
	r := &phaseResult{}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clientFrom(fmt.Sprintf("127.0.0.%d", 10+i), 2)
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for ctx.Err() == nil {
				t0 := time.Now()
				resp, err := c.Get(base + paths[rng.IntN(len(paths))])
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if resp.StatusCode == 429 {
					r.refused.Add(1)
					ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					time.Sleep(time.Duration(max(1, ra)) * time.Second) // a well-behaved client waits
					continue
				}
				if ctx.Err() == nil {
					r.mu.Lock()
					r.lat = append(r.lat, took)
					r.mu.Unlock()
				}
				time.Sleep(every)
			}
		}()
	}
	if abuse {
		c := clientFrom("127.0.0.2", abuserConns)
		for j := 0; j < abuserConns; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(99, uint64(j)))
				for ctx.Err() == nil {
					// Distinct queries, as a scraper's: nothing cached helps.
					p := paths[rng.IntN(len(paths))] + "&page=" + strconv.Itoa(1+rng.IntN(20))
					resp, err := c.Get(base + p)
					if err != nil {
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if ctx.Err() != nil {
						break
					}
					r.abuseN.Add(1)
					switch resp.StatusCode {
					case 200:
						r.abuse200.Add(1)
					case 429:
						r.abuse429.Add(1)
					default:
						r.abuseOther.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	return r
}

// readQueries turns the bench's query mix into API paths, 30 hits a page.
func readQueries(path string) ([]string, error) {
	qs, err := querymix.Read(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(qs))
	for i := range qs {
		out[i] = qs[i].Path(30)
	}
	return out, nil
}
