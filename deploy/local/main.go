// Command local runs stageindex replicas behind HAProxy on loopback, and
// measures them (docs/deploy.md). Run it from the repository's root:
//
//	go run ./deploy/local up        PostgreSQL, 3 replicas, HAProxy; Ctrl-C stops all (make replicas)
//	go run ./deploy/local bench     load through HAProxy, kill -9 and restart a replica,
//	                                then a burst of changes (make replicas-bench)
//	go run ./deploy/local capacity  how far one replica goes (make replica-capacity)
//
// It needs PostgreSQL's server binaries (as the tests do, internal/pgtest)
// and, but for capacity, HAProxy (apt-get install haproxy). Every process
// it starts is its child and is stopped when it ends.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex/bench/querymix"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "deploy/local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: go run ./deploy/local up|bench|capacity|load [flags] (-h for the flags)")
	}
	cmd := args[0]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	corpus := fs.String("corpus", os.Getenv("CORPUS"), "offers to import (JSON lines, .gz or not); empty: the embedded demo offers (CORPUS)")
	queriesPath := fs.String("queries", os.Getenv("QUERIES"), "query mix (the format of ../shared/bench/queries-1k.jsonl); empty: made from the offers (QUERIES)")
	replicas := fs.Int("replicas", 3, "stageindex serve processes")
	port := fs.Int("port", 8080, "HAProxy's port on 127.0.0.1 (up); 0 for a free one")
	conns := fs.Int("conns", 32, "client connections (bench)")
	duration := fs.Duration("duration", 30*time.Second, "load duration (bench), per level (capacity)")
	killAt := fs.Duration("kill-at", 10*time.Second, "when to kill -9 a replica (bench)")
	restartAt := fs.Duration("restart-at", 20*time.Second, "when to start it again (bench)")
	levels := fs.String("levels", "1,8,32", "connection counts, one run each (capacity)")
	out := fs.String("out", "", "write the report as JSON to this file ('' for none)")
	gzip := fs.Bool("gzip", true, "the load client asks for gzip, as browsers do (false: uncompressed answers)")
	inMemory := fs.Bool("in-memory", false, "replicas without --data-dir (a restart rebuilds), to compare")
	keep := fs.Bool("keep", false, "keep the working directory (data dirs, logs, haproxy.cfg)")
	target := fs.String("url", "", "a running server to load (load): its base URL, e.g. http://127.0.0.1:8080")
	mix := fs.Int("mix", 1000, "queries made from the offers when -queries is empty (load): more than the server's kept answers hold (~4,000) measures searches it has not seen lately")
	pid := fs.Int("pid", 0, "the loaded server's process id (load): its resident memory is read from /proc after each level")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, a...))
	}
	if *corpus != "" {
		if _, err := os.Stat(*corpus); err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
	}
	loadStart := loadAverage()
	if cmd == "load" {
		cs, err := parseLevels(*levels)
		if err != nil {
			return err
		}
		rep, err := runLoadOnly(ctx, *target, *pid, *queriesPath, *mix, cs, *duration, *gzip)
		rep.LoadAvg = [2]string{loadStart, loadAverage()}
		if err != nil {
			return err
		}
		printLoadOnly(rep)
		return writeJSON(*out, rep)
	}
	o := stackOptions{Replicas: *replicas, Corpus: *corpus, Port: *port, HAProxy: true, InMemory: *inMemory, Log: logf}
	switch cmd {
	case "up":
	case "bench":
		o.Port = 0
	case "capacity":
		o.Replicas, o.HAProxy = 0, false
	default:
		return fmt.Errorf("unknown command %q: up, bench, capacity or load", cmd)
	}
	if o.Replicas < 2 && cmd == "bench" {
		return errors.New("bench needs at least 2 replicas")
	}
	s, err := startStack(ctx, o)
	if s != nil {
		defer func() {
			s.close()
			if *keep {
				logf("kept %s", s.dir)
			} else {
				os.RemoveAll(s.dir)
			}
		}()
	}
	if err != nil {
		return err
	}
	qs, err := loadQueries(ctx, s, *queriesPath)
	if err != nil {
		return err
	}
	switch cmd {
	case "up":
		fmt.Printf("stageindex on http://%s/ (HAProxy), replicas:", s.frontend)
		for _, r := range s.replicas {
			fmt.Printf(" %s=http://%s", r.name, r.addr)
		}
		fmt.Printf("\nPostgreSQL: %s\nlogs and data: %s\nCtrl-C stops everything.\n", s.dsn, s.dir)
		<-ctx.Done()
		return nil
	case "bench":
		rep := failoverReport{Started: time.Now().UTC(), Corpus: corpusName(*corpus), QueriesFile: *queriesPath, InMemory: *inMemory, Gzip: *gzip,
			Replicas: len(s.replicas), Conns: *conns, RSSMB: map[string][2]float64{}}
		for _, r := range s.replicas {
			rep.FirstBuildS = append(rep.FirstBuildS, r.firstBuild.Seconds())
		}
		err := runFailover(ctx, s, qs, benchOptions{Conns: *conns, Duration: *duration, KillAt: *killAt,
			RestartAt: *restartAt, Checks: 100, BurstSize: 1000, Gzip: *gzip}, &rep)
		for _, r := range s.replicas {
			if cur, peak, err := rss(r.pid()); err == nil {
				rep.RSSMB[r.name] = [2]float64{cur, peak}
			}
		}
		rep.LoadAvg = [2]string{loadStart, loadAverage()}
		if err != nil {
			return err
		}
		printFailover(rep)
		return writeJSON(*out, rep)
	case "capacity":
		rep := capacityReport{Started: time.Now().UTC(), Corpus: corpusName(*corpus), QueriesFile: *queriesPath, Gzip: *gzip}
		cs, err := parseLevels(*levels)
		if err != nil {
			return err
		}
		err = runCapacity(ctx, s, qs, cs, *duration, *gzip, &rep)
		rep.LoadAvg = [2]string{loadStart, loadAverage()}
		if err != nil {
			return err
		}
		printCapacity(rep)
		return writeJSON(*out, rep)
	}
	return nil
}

// parseLevels reads -levels, connection counts separated by commas.
func parseLevels(levels string) ([]int, error) {
	var cs []int
	for _, f := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-levels: %q is not a connection count", f)
		}
		cs = append(cs, n)
	}
	return cs, nil
}

// loadQueries reads the query mix, or makes 1,000 queries from the offers.
func loadQueries(ctx context.Context, s *stack, path string) ([]query, error) {
	if path != "" {
		return querymix.Read(path)
	}
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SET search_path = stageindex, public`); err != nil {
		return nil, err
	}
	return queriesFromOffers(ctx, conn, 1000)
}

func corpusName(p string) string {
	if p == "" {
		return "embedded demo offers"
	}
	return filepath.Base(p)
}

func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "report:", path)
	return nil
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func printFailover(r failoverReport) {
	fmt.Printf("replicas bench %s  %s, %d offers, %d replicas behind HAProxy, load average %s → %s\n",
		r.Started.Format(time.RFC3339), r.Corpus, r.Offers, r.Replicas, r.LoadAvg[0], r.LoadAvg[1])
	fmt.Printf("first builds (s): %v\n", roundAll(r.FirstBuildS))
	l := r.Load
	fmt.Printf("load: %d conns for %.0f s: %d requests, %d failed (target 0: %s), %.0f q/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.0f ms\n",
		r.Conns, l.WallS, l.Requests, l.Failed, yes(l.Failed == 0), l.QPS, l.P50ms, l.P95ms, l.P99ms, l.MaxMs)
	for k, v := range l.Failures {
		fmt.Printf("  failed: %d × %s\n", v, k)
	}
	if len(l.FailedAt) > 0 {
		fmt.Printf("  failures at (s): %v\n", roundAll(l.FailedAt))
	}
	fmt.Printf("kill -9 %s at %.0f s; %d changes while down; restarted at %.0f s\n",
		r.Victim, r.KillAtS, r.WhileDown.total(), r.RestartAtS)
	rs := r.Restart
	fmt.Printf("restart: ready %.2f s after start (target ≤ 2 s: %s; index reopen %.2f s), routed by HAProxy at %.2f s, caught up %s at %.2f s\n",
		rs.ReadyS, yes(rs.ReadyS <= 2), rs.ReopenS, rs.UpS, yes(rs.CaughtUp), rs.CaughtUpS)
	if rs.CheckError != "" {
		fmt.Printf("  last check: %s\n", rs.CheckError)
	}
	for _, name := range sortedNames(r.HAProxy) {
		st := r.HAProxy[name]
		fmt.Printf("haproxy %s: %s, %d retries, %d redispatches, %d connection errors, %d response errors\n",
			name, st.Status, st.Retries, st.Redispatches, st.ConnErrors, st.RespErrors)
	}
	b := r.Burst
	fmt.Printf("burst: %d changes (%d unpublished, %d retitled, %d deleted) committed in %.2f s; replicas identical on %d offers and 100 totals %.2f s after the last commit (target ≤ 2 s: %s; %d rounds; %d totals changed)\n",
		b.total(), b.Unpublished, b.Retitled, b.Deleted, b.WriteS, b.ExpectedOffers, b.ConvergedS,
		yes(b.Converged && b.ConvergedS <= 2), b.Checks, b.TotalsChanged)
	if !b.Converged {
		fmt.Printf("  not converged: %s\n", b.Detail)
	}
	fmt.Printf("PostgreSQL client connections, most seen: %d\n", r.PGConns)
	for _, name := range sortedNames(r.RSSMB) {
		fmt.Printf("%s RSS %.0f MB (peak %.0f MB)\n", name, r.RSSMB[name][0], r.RSSMB[name][1])
	}
}

func printCapacity(r capacityReport) {
	fmt.Printf("one replica %s  %s, %d offers, load average %s → %s\n",
		r.Started.Format(time.RFC3339), r.Corpus, r.Offers, r.LoadAvg[0], r.LoadAvg[1])
	fmt.Printf("first build %.1f s (%.0f offers/s); RSS after it %.0f MB, peak %.0f MB\n",
		r.FirstBuildS, float64(r.Offers)/r.FirstBuildS, r.AfterBuildMB[0], r.AfterBuildMB[1])
	for _, run := range r.Runs {
		l := run.Load
		fmt.Printf("%3d conns: %6.0f q/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  max %6.0f ms  %d failed  RSS %.0f MB (peak %.0f MB)\n",
			run.Conns, l.QPS, l.P50ms, l.P95ms, l.P99ms, l.MaxMs, l.Failed, run.AfterMB[0], run.AfterMB[1])
	}
	fmt.Printf("rebuild (SIGHUP) %.1f s; RSS after it %.0f MB, peak since start %.0f MB\n", r.RebuildS, r.RebuildMB[0], r.RebuildMB[1])
	fmt.Printf("restart to ready %.2f s (index reopen %.2f s)\n", r.RestartS, r.ReopenS)
	fmt.Printf("PostgreSQL connections: %d idle, %d at most (first build included)\n", r.PGConnsIdle, r.PGConnsMax)
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(int(x*100+0.5)) / 100
	}
	return out
}
