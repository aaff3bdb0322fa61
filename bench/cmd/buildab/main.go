// Command buildab times a first index build the way a user runs it: a
// `stageindex serve` process with an empty data dir against PostgreSQL,
// from its start to /readyz answering 200. It imports a corpus once into a
// throwaway cluster (internal/pgtest), times the PostgreSQL read alone
// (indexer.Store.LoadOffers), then starts each of the given binaries in
// turn, A B A B…, and prints each run and the medians (docs/performance.md).
//
//	go build -o /tmp/a ./cmd/stageindex   # one binary per version
//	go run ./bench/cmd/buildab -corpus ../shared/bench/offers-100k.jsonl.gz /tmp/a /tmp/b
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/bench/internal/scaled"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/loopback"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/procstatus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "buildab:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	corpus := flag.String("corpus", "", "JSON lines to import (.gz or not)")
	pairs := flag.Int("pairs", 3, "rounds of one build per binary")
	reads := flag.Int("reads", 3, "timed PostgreSQL reads alone")
	scale := flag.Int("scale", 0, "offers to import: 0 is the corpus as is; more adds jittered copies, as stagebench -scale does")
	flag.Parse()
	bins := flag.Args()
	if *corpus == "" || len(bins) == 0 {
		return errors.New("usage: buildab -corpus FILE BIN [BIN…]")
	}
	cluster, err := pgtest.StartCluster(ctx)
	if err != nil {
		return err
	}
	defer cluster.Close()
	dsn, err := cluster.CreateDatabase(ctx, "stageindex")
	if err != nil {
		return err
	}
	for _, args := range [][]string{{"migrate", "--database-url", dsn}, {"import", "--database-url", dsn, "-"}} {
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, bins[0], args...)
		if args[0] == "import" {
			in := scaled.Open(ctx, *corpus, *scale)
			defer in.Close()
			cmd.Stdin = in
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
			return fmt.Errorf("%s: %w\n%s", args[0], err, out)
		}
		fmt.Printf("%s: %.1f s\n", args[0], time.Since(t0).Seconds())
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return err
	}
	// serve's own tables are in schema stageindex (migrate's default).
	pcfg.ConnConfig.RuntimeParams["search_path"] = "stageindex, public"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	st := indexer.NewStore(pool)
	var readS []float64
	n := 0
	for i := range *reads {
		n = 0
		t0 := time.Now()
		if _, err := st.LoadOffers(ctx, func(stageindex.Offer) error { n++; return nil }); err != nil {
			return err
		}
		readS = append(readS, time.Since(t0).Seconds())
		fmt.Printf("read %d: %d offers in %.2f s\n", i+1, n, readS[i])
	}
	pool.Close()
	if len(readS) > 0 {
		fmt.Printf("read alone: median %.2f s (%.0f offers/s)\n", median(readS), float64(n)/median(readS))
	}
	work, err := os.MkdirTemp("", "buildab-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ready := make([][]float64, len(bins))
	built := make([][]float64, len(bins))
	for p := range *pairs {
		for b, bin := range bins {
			r, s, offers, err := firstBuild(ctx, bin, dsn, work)
			if err != nil {
				return fmt.Errorf("%s: %w", bin, err)
			}
			ready[b] = append(ready[b], r)
			built[b] = append(built[b], s)
			fmt.Printf("pair %d %s: %d offers, ready %.2f s, index built %.2f s (%.0f offers/s), load %s\n", p+1, bin, offers, r, s, float64(offers)/r, loadAverage())
		}
	}
	for b, bin := range bins {
		fmt.Printf("%s: ready median %.2f s, built median %.2f s\n", bin, median(ready[b]), median(built[b]))
		if b > 0 {
			var ratios []float64
			for i := range ready[b] {
				ratios = append(ratios, ready[b][i]/ready[0][i])
			}
			fmt.Printf("  ready %s / %s: median of the pairs' ratios %.3f, ratio of medians %.3f\n", bin, bins[0], median(ratios), median(ready[b])/median(ready[0]))
		}
	}
	return nil
}

// firstBuild starts bin serve with an empty data dir and returns the
// seconds to /readyz 200 and those its "index built" log line gives.
func firstBuild(ctx context.Context, bin, dsn, work string) (ready, built float64, offers int, err error) {
	data := filepath.Join(work, "data")
	os.RemoveAll(data)
	defer os.RemoveAll(data)
	logPath := filepath.Join(work, "serve.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return 0, 0, 0, err
	}
	defer logf.Close()
	addr, err := loopback.FreeAddr()
	if err != nil {
		return 0, 0, 0, err
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--database-url", dsn, "--data-dir", data)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	client := &http.Client{Timeout: time.Second}
	// Resident memory every second, to see when the peak comes.
	var rss []string
	lastSample := time.Now()
	defer func() {
		if os.Getenv("BUILDAB_RSS") != "" {
			fmt.Println("  rss (s:MB):", strings.Join(rss, " "))
		}
	}()
	for {
		if time.Since(lastSample) >= time.Second {
			lastSample = time.Now()
			rss = append(rss, fmt.Sprintf("%.0f:%.0f", time.Since(t0).Seconds(), statusMB(cmd.Process.Pid, "VmRSS")))
		}
		if ctx.Err() != nil {
			return 0, 0, 0, ctx.Err()
		}
		if time.Since(t0) > 20*time.Minute {
			return 0, 0, 0, errors.New("not ready after 20 min")
		}
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ready = time.Since(t0).Seconds()
	cpu, peak := cpuSeconds(cmd.Process.Pid), statusMB(cmd.Process.Pid, "VmHWM")
	defer func() { fmt.Printf("  cpu %.2f s (%.2f cores), peak RSS %.0f MB\n", cpu, cpu/ready, peak) }()
	// The log line comes just after /readyz turns 200.
	for range 500 {
		ready, built, offers, err = builtLine(logPath, ready)
		if err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if os.Getenv("BUILDAB_LOG") != "" {
		b, _ := os.ReadFile(logPath)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "TRACE") {
				fmt.Println("  ", l)
			}
		}
	}
	return ready, built, offers, err
}

// builtLine reads the "index built" line of serve's log.
func builtLine(logPath string, ready float64) (_, built float64, offers int, err error) {
	f, err := os.Open(logPath)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "index built") {
			continue
		}
		var rec struct {
			Offers  int     `json:"offers"`
			Seconds float64 `json:"seconds"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil {
			return ready, rec.Seconds, rec.Offers, nil
		}
		// A text log: key=value pairs.
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "offers":
				fmt.Sscan(v, &offers)
			case "seconds":
				fmt.Sscan(v, &built)
			}
		}
		return ready, built, offers, nil
	}
	return ready, 0, 0, fmt.Errorf("no \"index built\" line in %s", logPath)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// cpuSeconds is the user and system CPU time process pid has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name's closing parenthesis.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ut, st float64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) / 100 // USER_HZ
}

// statusMB is field (VmRSS, VmHWM) of process pid's /proc status, in
// MiB; 0 when it cannot be read (the process has ended).
func statusMB(pid int, field string) float64 {
	kb, _ := procstatus.KB(pid)
	return kb[field] / 1024
}
