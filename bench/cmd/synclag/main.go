// Command synclag measures how far a `stageindex serve --data-dir` process
// lags behind PostgreSQL while offers change at a sustained rate (issue 15:
// ≤ 1 s p99 at 1,000 changes/s). It builds the binary, starts a throwaway
// PostgreSQL cluster, migrates and imports the corpus with the binary,
// starts serve with a data dir as a user would (default flags), then drives
// the change stream of internal/changestream and measures:
//
//   - search-visible lag: a probe offer's title gets a new token every
//     -probe-every inside the stream; a client polls GET /api/v1/offers/{id}
//     and records, per token, the time from COMMIT returning to the API
//     answering with it (or a newer one);
//   - on-disk lag: how old the state persisted in the data dir is (the
//     cursor of DATA/index-…/sync.json, compared with the commits of the
//     stream: the age of the oldest commit it does not cover), sampled
//     every 20 ms: what a kill -9 would have to replay;
//   - the change rate achieved (overall and the slowest second).
//
// Run it with `make synclag` (docs/sync.md).
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stageindex/stageindex/internal/loopback"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/internal/changestream"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

const probeID = "synclag-probe"

func main() {
	corpus := flag.String("corpus", "../shared/bench/offers-100k.jsonl.gz", "offers to import (JSON lines, .gz or not)")
	nOffers := flag.Int("offers", 20000, "import the first N offers of the corpus (0: all)")
	rate := flag.Int("rate", 1000, "changes per second")
	dur := flag.Duration("duration", 60*time.Second, "how long the stream is measured")
	warmup := flag.Duration("warmup", 15*time.Second, "how long the stream runs before it is measured (the merges after the first build settle)")
	probeEvery := flag.Duration("probe-every", 100*time.Millisecond, "how often the probe offer changes")
	serveFlags := flag.String("serve-flags", "", "extra flags for stageindex serve, space-separated")
	out := flag.String("out", "", "write the report as JSON there too")
	keep := flag.Bool("keep", false, "keep the work directory (serve.log, the data dir)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, opts{*corpus, *nOffers, *rate, *dur, *warmup, *probeEvery, strings.Fields(*serveFlags), *keep})
	if err != nil {
		log.Fatalf("synclag: %v", err)
	}
	rep.print(os.Stdout)
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			log.Fatalf("synclag: %v", err)
		}
	}
	if rep.Failed != "" {
		os.Exit(1)
	}
}

type opts struct {
	corpus     string
	offers     int
	rate       int
	dur        time.Duration
	warmup     time.Duration
	probeEvery time.Duration
	serveFlags []string
	keep       bool
}

func run(ctx context.Context, o opts) (*report, error) {
	dir, err := os.MkdirTemp("", "synclag-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		log.Printf("work directory %s (kept)", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "stageindex")
	log.Printf("building stageindex")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/stageindex").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, b)
	}
	cluster, err := pgtest.StartCluster(ctx)
	if err != nil {
		return nil, err
	}
	defer cluster.Close()
	dsn := cluster.DSN("postgres")
	if err := tool(ctx, bin, nil, "migrate", "--database-url", dsn); err != nil {
		return nil, err
	}
	if err := importCorpus(ctx, bin, dsn, o.corpus, o.offers); err != nil {
		return nil, err
	}
	cfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO offers (id, title, description, employer_name, tracks, zipcode, city, department,
			latitude, longitude, weeks, published_at)
		VALUES ($1, 'Stage sonde 0', 'La sonde du banc synclag', 'Employeur', '{generale}', '35000', 'Rennes', '35',
			48.1173, -1.6778, '{2030-W11}', now() - interval '1 hour')`, probeID); err != nil {
		return nil, err
	}
	ids, err := offerIDs(ctx, pool)
	if err != nil {
		return nil, err
	}
	rep := &report{Offers: len(ids) + 1, Rate: o.rate, Seconds: o.dur.Seconds(), WarmupSeconds: o.warmup.Seconds(), LoadBefore: loadavg()}

	dataDir := filepath.Join(dir, "data")
	addr, err := loopback.FreeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "serve.log")
	srv, exited, err := startServe(bin, dsn, addr, dataDir, logPath, o.serveFlags)
	if err != nil {
		return nil, err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	start := time.Now()
	if err := waitReady(ctx, addr, 10*time.Minute); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, tailFile(logPath, 3000))
	}
	rep.ReadySeconds = time.Since(start).Seconds()
	log.Printf("serve ready with %d offers in %.1f s; %d changes/s for %v", rep.Offers, rep.ReadySeconds, o.rate, o.dur)

	var rec recorder
	w := &changestream.Writer{Pool: pool, IDs: ids, Rate: o.rate, Rand: rand.New(rand.NewPCG(7, 8)),
		ProbeID: probeID, ProbeEvery: o.probeEvery, OnCommit: rec.commit}
	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	werr := make(chan error, 1)
	go func() { werr <- w.Run(wctx) }()

	mctx, stopMeasure := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { rec.pollProbe(mctx, addr) })
	wg.Go(func() { rec.sampleDisk(mctx, dataDir) })

	w.Resume()
	select {
	case <-time.After(o.warmup):
	case err := <-werr:
		stopMeasure()
		wg.Wait()
		return nil, fmt.Errorf("writer: %v", err)
	case <-ctx.Done():
	}
	runStart := rec.startMeasuring()
	before := w.Changes()
	select {
	case <-time.After(o.dur):
	case err := <-werr:
		stopMeasure()
		wg.Wait()
		return nil, fmt.Errorf("writer: %v", err)
	case <-ctx.Done():
	}
	w.Pause()
	elapsed := time.Since(runStart)
	// Let the last tokens show and the last cursor reach the disk.
	lastProbe := rec.lastProbe()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !rec.covered(lastProbe); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stopMeasure()
	wg.Wait()
	stopWriter()
	rep.LoadAfter = loadavg()
	rec.fill(rep, w.Changes()-before, elapsed)
	select {
	case <-exited:
		rep.Failed = "serve exited during the run:\n" + tailFile(logPath, 2000)
	default:
	}
	return rep, nil
}

// tool runs a stageindex subcommand, its stdin from in.
func tool(ctx context.Context, bin string, in io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = in
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stageindex %s: %v\n%s", args[0], err, b)
	}
	return nil
}

// importCorpus pipes the first n lines of the corpus into stageindex
// import.
func importCorpus(ctx context.Context, bin, dsn, path string, n int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		bw := bufio.NewWriter(pw)
		for i := 0; (n == 0 || i < n) && sc.Scan(); i++ {
			bw.Write(sc.Bytes())
			bw.WriteByte('\n')
		}
		err := sc.Err()
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		pw.CloseWithError(err)
	}()
	log.Printf("importing %s (first %d offers)", path, n)
	return tool(ctx, bin, pr, "import", "--database-url", dsn, "-")
}

func offerIDs(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT id FROM offers WHERE id <> $1 ORDER BY id`, probeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no offers imported")
	}
	return ids, nil
}

// cleanEnv is the environment without the variables serve reads.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STAGEINDEX_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return env
}

// startServe starts serve as a user would: default flags but for the
// address, the database and the data dir (and extra); exited is closed
// when it ends.
func startServe(bin, dsn, addr, dataDir, logPath string, extra []string) (cmd *exec.Cmd, exited chan struct{}, err error) {
	args := append([]string{"serve", "--database-url", dsn, "--addr", addr, "--data-dir", dataDir}, extra...)
	cmd = exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	logs, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		logs.Close()
		return nil, nil, err
	}
	exited = make(chan struct{})
	go func() { cmd.Wait(); logs.Close(); close(exited) }()
	return cmd, exited, nil
}

func waitReady(ctx context.Context, addr string, within time.Duration) error {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("serve not ready after %v", within)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// recorder collects the stream's commits, the probe's sightings and the
// data dir's samples.
type recorder struct {
	mu       sync.Mutex
	commits  []changestream.Commit
	probeAt  map[int64]time.Time // token → commit time
	seenAt   map[int64]time.Time // token → first time the API showed it (or a newer one)
	seenMax  int64
	diskLags []time.Duration
	noMeta   int       // samples with no readable sync.json
	from     time.Time // the warm-up's end: what comes before is not measured
}

func (r *recorder) startMeasuring() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.from = time.Now()
	return r.from
}

func (r *recorder) commit(c changestream.Commit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits = append(r.commits, c)
	if c.Probe > 0 {
		if r.probeAt == nil {
			r.probeAt = map[int64]time.Time{}
		}
		r.probeAt[c.Probe] = c.At
	}
}

func (r *recorder) lastProbe() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m int64
	for k := range r.probeAt {
		m = max(m, k)
	}
	return m
}

func (r *recorder) covered(token int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seenMax >= token
}

// pollProbe asks the API for the probe offer as fast as one client can
// (plain net/http, one connection kept alive) and notes when each token
// first shows.
func (r *recorder) pollProbe(ctx context.Context, addr string) {
	client := &http.Client{Timeout: 5 * time.Second}
	url := "http://" + addr + "/api/v1/offers/" + probeID
	for ctx.Err() == nil {
		resp, err := client.Get(url)
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		var o struct {
			Title string `json:"title"`
		}
		err = json.NewDecoder(resp.Body).Decode(&o)
		resp.Body.Close()
		now := time.Now()
		tok, perr := strconv.ParseInt(strings.TrimPrefix(o.Title, "Stage sonde "), 10, 64)
		if err != nil || perr != nil || resp.StatusCode != 200 {
			continue
		}
		r.mu.Lock()
		if r.seenAt == nil {
			r.seenAt = map[int64]time.Time{}
		}
		for ; r.seenMax < tok; r.seenMax++ {
			r.seenAt[r.seenMax+1] = now
		}
		r.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
}

// sampleDisk reads the data dir's cursor every 20 ms and notes the age of
// the oldest commit of the stream it does not cover.
func (r *recorder) sampleDisk(ctx context.Context, dataDir string) {
	first := 0 // commits before it are covered by a persisted cursor
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		snap, err := readCursor(dataDir)
		now := time.Now()
		r.mu.Lock()
		if err != nil {
			r.noMeta++
			r.mu.Unlock()
			continue
		}
		for first < len(r.commits) && snap.visible(r.commits[first].TxID) {
			first++
		}
		lag := time.Duration(0)
		if first < len(r.commits) {
			lag = now.Sub(r.commits[first].At)
		}
		if !r.from.IsZero() {
			r.diskLags = append(r.diskLags, lag)
		}
		r.mu.Unlock()
	}
}

// snapshot is a pg_snapshot "xmin:xmax:xip,…" (only xmin when the cursor
// has no snapshot: everything below it is covered).
type snapshot struct {
	xmin, xmax uint64
	xip        []uint64
}

func (s snapshot) visible(txid uint64) bool {
	if txid < s.xmin {
		return true
	}
	if txid >= s.xmax {
		return false
	}
	return !slices.Contains(s.xip, txid)
}

func readCursor(dataDir string) (snapshot, error) {
	var s snapshot
	cur, err := os.ReadFile(filepath.Join(dataDir, "CURRENT"))
	if err != nil {
		return s, err
	}
	b, err := os.ReadFile(filepath.Join(dataDir, strings.TrimSpace(string(cur)), "sync.json"))
	if err != nil {
		return s, err
	}
	var m struct {
		Cursor struct {
			XMin     uint64 `json:"xmin"`
			Snapshot string `json:"snapshot"`
		} `json:"cursor"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return s, err
	}
	s.xmin, s.xmax = m.Cursor.XMin, m.Cursor.XMin
	if m.Cursor.Snapshot == "" {
		return s, nil
	}
	parts := strings.Split(m.Cursor.Snapshot, ":")
	if len(parts) != 3 {
		return s, fmt.Errorf("snapshot %q", m.Cursor.Snapshot)
	}
	if s.xmin, err = strconv.ParseUint(parts[0], 10, 64); err != nil {
		return s, err
	}
	if s.xmax, err = strconv.ParseUint(parts[1], 10, 64); err != nil {
		return s, err
	}
	for _, x := range strings.Split(parts[2], ",") {
		if x == "" {
			continue
		}
		v, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return s, err
		}
		s.xip = append(s.xip, v)
	}
	return s, nil
}

// report is what a run measured.
type report struct {
	Offers        int     `json:"offers"`
	Rate          int     `json:"rate"`
	Seconds       float64 `json:"seconds"`
	WarmupSeconds float64 `json:"warmup_seconds"`
	ReadySeconds  float64 `json:"ready_seconds"`
	Changes       int64   `json:"changes"`
	AchievedRate  float64 `json:"achieved_rate"`
	SlowestSecond int     `json:"slowest_second"` // fewest changes committed in one whole second of the run
	Probes        int     `json:"probes"`
	ProbesUnseen  int     `json:"probes_unseen"`
	Visible       lags    `json:"visible_ms"`
	Disk          lags    `json:"disk_ms"`
	DiskSamples   int     `json:"disk_samples"`
	LoadBefore    string  `json:"load_before"`
	LoadAfter     string  `json:"load_after"`
	Failed        string  `json:"failed,omitempty"`
}

type lags struct {
	P50, P95, P99, Max float64
}

func quantiles(d []time.Duration) lags {
	if len(d) == 0 {
		return lags{}
	}
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	return lags{q(0.50), q(0.95), q(0.99), float64(d[len(d)-1].Microseconds()) / 1000}
}

func (r *recorder) fill(rep *report, changes int64, elapsed time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep.Changes = changes
	rep.AchievedRate = float64(changes) / elapsed.Seconds()
	if len(r.commits) > 0 {
		per := map[int]int{}
		for _, c := range r.commits {
			if c.At.After(r.from) {
				per[int(c.At.Sub(r.from)/time.Second)] += c.Changes
			}
		}
		rep.SlowestSecond = -1
		for s := 0; s < int(elapsed/time.Second)-1; s++ {
			if rep.SlowestSecond < 0 || per[s] < rep.SlowestSecond {
				rep.SlowestSecond = per[s]
			}
		}
	}
	var vis []time.Duration
	for tok, at := range r.probeAt {
		if at.Before(r.from) {
			continue
		}
		rep.Probes++
		seen, ok := r.seenAt[tok]
		if !ok {
			rep.ProbesUnseen++
			continue
		}
		// The API may answer before COMMIT has returned to the writer.
		vis = append(vis, max(0, seen.Sub(at)))
	}
	rep.Visible = quantiles(vis)
	rep.Disk = quantiles(r.diskLags)
	rep.DiskSamples = len(r.diskLags)
	if rep.ProbesUnseen > 0 {
		rep.Failed = fmt.Sprintf("%d probe tokens never showed", rep.ProbesUnseen)
	}
}

func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "corpus %d offers, serve ready in %.1f s; load average %s → %s\n", rep.Offers, rep.ReadySeconds, rep.LoadBefore, rep.LoadAfter)
	fmt.Fprintf(w, "changes: %d in %.0f s (after %.0f s of warm-up), %.0f/s achieved (target %d/s), slowest second %d\n",
		rep.Changes, rep.Seconds, rep.WarmupSeconds, rep.AchievedRate, rep.Rate, rep.SlowestSecond)
	fmt.Fprintf(w, "search-visible lag over %d probe tokens (ms): p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n",
		rep.Probes, rep.Visible.P50, rep.Visible.P95, rep.Visible.P99, rep.Visible.Max)
	fmt.Fprintf(w, "on-disk lag over %d samples (ms):           p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n",
		rep.DiskSamples, rep.Disk.P50, rep.Disk.P95, rep.Disk.P99, rep.Disk.Max)
	if rep.Failed != "" {
		fmt.Fprintf(w, "FAILED: %s\n", rep.Failed)
	}
}
