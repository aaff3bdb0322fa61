// Command abusebench measures how well a running stageindex serve keeps
// answering normal searches while it is flooded with the costliest queries
// a client can send, each abandoned as soon as it is sent (issue 15):
//
//	go run ./bench/cmd/abusebench -url http://127.0.0.1:8080
//
// It runs the query mix (../shared/bench/queries-1k.jsonl) on -normal
// connections for -duration, first alone, then with -abusers connections
// that each send a new twelve-rare-word query, close the connection after
// -abandon, wait -pause and start again. It prints the normal searches' p50, p95, p99
// and max in both runs and their ratios. Plain net/http clients, as a user
// would send them; run the server with --rate-limit -1, or the limiter,
// not the search core, is what is measured.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stageindex/stageindex/bench/querymix"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the server")
	mix := flag.String("queries", "../shared/bench/queries-1k.jsonl", "normal query mix")
	normal := flag.Int("normal", 4, "connections sending normal searches")
	abusers := flag.Int("abusers", 32, "connections sending abandoned worst-case searches")
	abandon := flag.Duration("abandon", 5*time.Millisecond, "how long an abuser waits before closing its connection")
	pause := flag.Duration("pause", 100*time.Millisecond, "how long an abuser waits before its next query (0: a flood)")
	duration := flag.Duration("duration", 20*time.Second, "length of each run")
	flag.Parse()
	urls, err := loadMix(*base, *mix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "abusebench:", err)
		os.Exit(1)
	}
	alone := run(urls, *normal, 0, *base, *abandon, *pause, *duration)
	report("normal searches alone", alone, nil)
	flooded := run(urls, *normal, *abusers, *base, *abandon, *pause, *duration)
	report(fmt.Sprintf("with %d abandoned worst-case searches in flight", *abusers), flooded, &alone)
}

// loadMix is the query mix as URLs of base, 30 hits a page as the other
// benchmarks ask.
func loadMix(base, path string) ([]string, error) {
	qs, err := querymix.Read(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(qs))
	for i := range qs {
		out[i] = base + qs[i].Path(30)
	}
	return out, nil
}

type result struct {
	lat      []time.Duration
	errors   int
	abusive  int64
	duration time.Duration
}

func run(urls []string, normal, abusers int, base string, abandon, pause, d time.Duration) result {
	var res result
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: normal}, Timeout: 30 * time.Second}
	for w := range normal {
		wg.Go(func() {
			for i := w; ; i += normal {
				select {
				case <-stop:
					return
				default:
				}
				t := time.Now()
				resp, err := client.Get(urls[i%len(urls)])
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					var sink json.RawMessage
					json.NewDecoder(resp.Body).Decode(&sink)
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					res.lat = append(res.lat, time.Since(t))
				} else {
					res.errors++
				}
				mu.Unlock()
			}
		})
	}
	host := strings.TrimPrefix(base, "http://")
	var sent atomic.Int64
	for a := range abusers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(a), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				conn, err := net.Dial("tcp", host)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				fmt.Fprintf(conn, "GET /api/v1/offers?q=%s HTTP/1.1\r\nHost: %s\r\n\r\n", url.QueryEscape(worstQuery(rng)), host)
				sent.Add(1)
				time.Sleep(abandon)
				conn.Close()
				time.Sleep(pause)
			}
		})
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	res.abusive, res.duration = sent.Load(), d
	return res
}

// worstQuery is twelve random 8-letter words (the most a query keeps):
// nothing matches, so every phase runs, the typo phase on every shard.
func worstQuery(rng *rand.Rand) string {
	words := make([]string, 12)
	for i := range words {
		b := make([]byte, 8)
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		words[i] = string(b)
	}
	return strings.Join(words, " ")
}

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

func report(name string, r result, ref *result) {
	slices.Sort(r.lat)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("%s: %d searches (%.0f/s), %d failed, %d abusive sent\n  p50 %s  p95 %s  p99 %s  max %s\n",
		name, len(r.lat), float64(len(r.lat))/r.duration.Seconds(), r.errors, r.abusive,
		ms(pct(r.lat, .5)), ms(pct(r.lat, .95)), ms(pct(r.lat, .99)), ms(pct(r.lat, 1)))
	if ref != nil && len(ref.lat) > 0 {
		fmt.Printf("  ratio to alone: p50 %.2f×  p99 %.2f×\n",
			float64(pct(r.lat, .5))/float64(pct(ref.lat, .5)), float64(pct(r.lat, .99))/float64(pct(ref.lat, .99)))
	}
}
