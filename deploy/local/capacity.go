package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// readFrom returns the file's content past offset ("" on error).
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// capacityReport is how far one replica goes: a separate `stageindex
// serve` process, loaded directly (no proxy) by a net/http client on the
// same machine, its memory read from /proc.
type capacityReport struct {
	Started      time.Time     `json:"started"`
	Corpus       string        `json:"corpus"`
	QueriesFile  string        `json:"queries_file,omitempty"`
	Gzip         bool          `json:"gzip"`
	Offers       int           `json:"offers"`
	LoadAvg      [2]string     `json:"load_average_start_end"`
	FirstBuildS  float64       `json:"first_build_s"`
	AfterBuildMB [2]float64    `json:"rss_mb_after_build_cur_peak"`
	Runs         []capacityRun `json:"runs"`
	RebuildS     float64       `json:"rebuild_s"` // SIGHUP: a full rebuild while the old index serves
	RebuildMB    [2]float64    `json:"rss_mb_after_rebuild_cur_peak"`
	RestartS     float64       `json:"restart_ready_s"` // SIGTERM, start again, /readyz 200
	ReopenS      float64       `json:"restart_reopen_s"`
	PGConnsIdle  int           `json:"pg_connections_idle"`
	PGConnsMax   int           `json:"pg_connections_max"`
}

// capacityRun is one load level.
type capacityRun struct {
	Conns   int        `json:"conns"`
	Load    loadResult `json:"load"`
	AfterMB [2]float64 `json:"rss_mb_after_cur_peak"`
}

// runCapacity starts one replica into an empty data dir (its first build),
// lets its background warm-up pass, loads it at each level of conns, and
// restarts it.
func runCapacity(ctx context.Context, s *stack, qs []query, conns []int, dur time.Duration, gzip bool, rep *capacityReport) error {
	pool, err := writerPool(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	stopPG := samplePGConns(ctx, pool, &rep.PGConnsMax)
	defer stopPG()
	r, err := s.addReplica(ctx)
	if err != nil {
		return err
	}
	rep.FirstBuildS = r.firstBuild.Seconds()
	st, _, err := r.status(ctx, newClient(1))
	if err != nil {
		return err
	}
	rep.Offers = st.Sync.Offers
	// serve warms its text cache in the background after a load (a few
	// seconds of one core at 100k offers): let it finish.
	time.Sleep(10 * time.Second)
	const q = `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND backend_type = 'client backend'
		AND application_name <> 'stageindex-local-writer'`
	if err := pool.QueryRow(ctx, q).Scan(&rep.PGConnsIdle); err != nil {
		return err
	}
	cur, peak, err := rss(r.pid())
	if err != nil {
		return err
	}
	rep.AfterBuildMB = [2]float64{cur, peak}
	anon, file := rssParts(r.pid())
	s.log("%s: %d offers, first build %.1f s, RSS %.0f MB (peak %.0f MB; %.0f MB anonymous, %.0f MB mapped files), %d PostgreSQL connections idle",
		r.name, rep.Offers, rep.FirstBuildS, cur, peak, anon, file, rep.PGConnsIdle)
	for _, c := range conns {
		res := runLoad("http://"+r.addr, qs, c, dur, gzip)
		cur, peak, err := rss(r.pid())
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, capacityRun{Conns: c, Load: res, AfterMB: [2]float64{cur, peak}})
		anon, file := rssParts(r.pid())
		s.log("%d connections: %.0f q/s, p50 %.2f ms, p99 %.2f ms (first pass %.2f, repeats %.2f), %d failed; RSS %.0f MB (peak %.0f MB; %.0f MB anonymous, %.0f MB mapped files)",
			c, res.QPS, res.P50ms, res.P99ms, res.FirstPassP99ms, res.RepeatP99ms, res.Failed, cur, peak, anon, file)
	}
	// A rebuild (SIGHUP, or --rebuild-schedule) holds the old index and
	// the new one at once: its peak sizes the memory limit.
	offset := fileSize(r.logPath)
	t0 := time.Now()
	if err := r.signal(syscall.SIGHUP); err != nil {
		return err
	}
	for !strings.Contains(readFrom(r.logPath, offset), `"msg":"index built"`) {
		if time.Since(t0) > 10*time.Minute {
			return fmt.Errorf("%s: no rebuild after 10 min", r.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep.RebuildS = time.Since(t0).Seconds()
	if cur, peak, err = rss(r.pid()); err != nil {
		return err
	}
	rep.RebuildMB = [2]float64{cur, peak}
	s.log("rebuild (SIGHUP): %.1f s; RSS %.0f MB (peak %.0f MB)", rep.RebuildS, cur, peak)
	r.stop()
	offset = fileSize(r.logPath)
	if err := r.start(); err != nil {
		return err
	}
	d, err := r.waitReady(ctx, 10*time.Minute)
	if err != nil {
		return err
	}
	rep.RestartS, rep.ReopenS = d.Seconds(), reopenSeconds(r.logPath, offset, 3*time.Second)
	s.log("restart: ready in %.2f s (index reopened in %.2f s)", rep.RestartS, rep.ReopenS)
	return nil
}
