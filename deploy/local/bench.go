package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/migrations"
)

// failoverReport is the outcome of `make replicas-bench`.
type failoverReport struct {
	Started     time.Time             `json:"started"`
	Corpus      string                `json:"corpus"`
	QueriesFile string                `json:"queries_file,omitempty"`
	InMemory    bool                  `json:"in_memory,omitempty"`
	Gzip        bool                  `json:"gzip"`
	Offers      int                   `json:"offers"`
	Replicas    int                   `json:"replicas"`
	FirstBuildS []float64             `json:"first_build_s"`
	LoadAvg     [2]string             `json:"load_average_start_end"`
	Conns       int                   `json:"conns"`
	Load        loadResult            `json:"load"`
	KillAtS     float64               `json:"kill_at_s"`
	RestartAtS  float64               `json:"restart_at_s"`
	Victim      string                `json:"victim"`
	WhileDown   changeSet             `json:"changes_while_down"`
	Restart     restartReport         `json:"restart"`
	HAProxy     map[string]serverStat `json:"haproxy"`
	Burst       burstReport           `json:"burst"`
	PGConns     int                   `json:"pg_connections_max"`
	RSSMB       map[string][2]float64 `json:"rss_mb_cur_peak"`
}

// restartReport follows the killed replica from its new start.
type restartReport struct {
	ReadyS     float64 `json:"ready_s"`      // process start → /readyz 200
	ReopenS    float64 `json:"reopen_s"`     // the index reopen, as the replica logs it
	UpS        float64 `json:"haproxy_up_s"` // process start → HAProxy routes to it
	CaughtUp   bool    `json:"caught_up"`
	CaughtUpS  float64 `json:"caught_up_s"` // process start → same offers, lag 0, same totals as a peer
	CheckError string  `json:"check_error,omitempty"`
}

// changeSet is a batch of single-offer commits made in PostgreSQL.
type changeSet struct {
	Unpublished int     `json:"unpublished"`
	Retitled    int     `json:"retitled"`
	Deleted     int     `json:"deleted"`
	WriteS      float64 `json:"write_s"`
}

func (c changeSet) total() int { return c.Unpublished + c.Retitled + c.Deleted }

// burstReport is the convergence of the replicas after a burst of changes.
type burstReport struct {
	changeSet
	Converged      bool    `json:"converged"`
	ConvergedS     float64 `json:"converged_s"` // last commit → every replica equal and as expected
	Checks         int     `json:"checks"`      // rounds of the 100 queries on every replica
	TotalsChanged  int     `json:"totals_changed"`
	ExpectedOffers int     `json:"expected_offers"`
	Detail         string  `json:"detail,omitempty"`
}

// benchOptions shapes the failover scenario.
type benchOptions struct {
	Conns                       int
	Duration, KillAt, RestartAt time.Duration
	Checks                      int // queries compared between replicas
	BurstSize                   int
	Gzip                        bool // the load client asks for compressed answers
	Out                         string
}

// runFailover drives load through HAProxy, kills and restarts a replica,
// then makes a burst of changes and checks that the replicas converge.
func runFailover(ctx context.Context, s *stack, qs []query, o benchOptions, rep *failoverReport) error {
	pool, err := writerPool(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	stopPG := samplePGConns(ctx, pool, &rep.PGConns)
	defer stopPG()

	checks := qs[:min(o.Checks, len(qs))]
	victim, peer := s.replicas[len(s.replicas)/2], s.replicas[0]
	rep.Victim = victim.name
	rep.KillAtS, rep.RestartAtS = o.KillAt.Seconds(), o.RestartAt.Seconds()
	st, _, err := peer.status(ctx, newClient(1))
	if err != nil {
		return err
	}
	rep.Offers = st.Sync.Offers

	s.log("load: %d connections through HAProxy for %v; kill -9 %s at %v, restart at %v",
		o.Conns, o.Duration, victim.name, o.KillAt, o.RestartAt)
	var wg sync.WaitGroup
	var scenarioErr error
	start := time.Now()
	wg.Go(func() {
		scenarioErr = func() error {
			sleepUntil(start.Add(o.KillAt))
			if err := victim.kill(); err != nil {
				return err
			}
			s.log("%s killed (kill -9)", victim.name)
			// Changes it must catch up with once back.
			sleepUntil(start.Add(o.KillAt + 2*time.Second))
			cs, err := makeChanges(ctx, pool, 100, 1)
			if err != nil {
				return err
			}
			rep.WhileDown = cs
			s.log("%d changes while %s is down", cs.total(), victim.name)
			sleepUntil(start.Add(o.RestartAt))
			logSize := fileSize(victim.logPath)
			if err := victim.start(); err != nil {
				return err
			}
			victim.mu.Lock()
			t0 := victim.started
			victim.mu.Unlock()
			ready, err := victim.waitReady(ctx, 5*time.Minute)
			if err != nil {
				return err
			}
			rep.Restart.ReadyS = ready.Seconds()
			rep.Restart.ReopenS = reopenSeconds(victim.logPath, logSize, 3*time.Second)
			s.log("%s restarted: ready in %.2f s (index reopened in %.2f s)", victim.name, rep.Restart.ReadyS, rep.Restart.ReopenS)
			for time.Since(t0) < time.Minute {
				if st, err := s.serverStates(); err == nil && st[victim.name].Status == "UP" {
					rep.Restart.UpS = time.Since(t0).Seconds()
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			client := newClient(4)
			var lastLog time.Time
			for time.Since(t0) < time.Minute {
				if err := sameAs(ctx, client, victim, peer, checks, -1); err != nil {
					if time.Since(lastLog) > 250*time.Millisecond {
						s.log("restart: +%.3f s: %v", time.Since(t0).Seconds(), err)
						lastLog = time.Now()
					}
					rep.Restart.CheckError = err.Error()
					time.Sleep(50 * time.Millisecond)
					continue
				}
				rep.Restart.CaughtUp, rep.Restart.CaughtUpS, rep.Restart.CheckError = true, time.Since(t0).Seconds(), ""
				break
			}
			return nil
		}()
	})
	rep.Load = runLoad("http://"+s.frontend, qs, o.Conns, o.Duration, o.Gzip)
	wg.Wait()
	if scenarioErr != nil {
		return scenarioErr
	}
	s.log("load: %d requests, %d failed, %.0f q/s, p50 %.2f ms, p99 %.2f ms",
		rep.Load.Requests, rep.Load.Failed, rep.Load.QPS, rep.Load.P50ms, rep.Load.P99ms)
	if rep.HAProxy, err = s.serverStates(); err != nil {
		return err
	}
	return runBurst(ctx, s, pool, checks, o.BurstSize, &rep.Burst)
}

// runBurst commits size single-offer changes, then checks every replica
// until all answer the same totals for checks and index the offers
// expected, or 30 s pass.
func runBurst(ctx context.Context, s *stack, pool *pgxpool.Pool, checks []query, size int, br *burstReport) error {
	client := newClient(8)
	base := s.replicas[0]
	// Every replica equal before: the burst starts from a known state.
	for _, r := range s.replicas[1:] {
		if err := waitSame(ctx, client, r, base, checks, -1, 30*time.Second); err != nil {
			return fmt.Errorf("before the burst: %w", err)
		}
	}
	st, _, err := base.status(ctx, client)
	if err != nil {
		return err
	}
	before, err := totals(ctx, client, base, checks)
	if err != nil {
		return err
	}
	cs, err := makeChanges(ctx, pool, size, 8)
	if err != nil {
		return err
	}
	done := time.Now()
	br.changeSet = cs
	br.ExpectedOffers = st.Sync.Offers - cs.Unpublished - cs.Deleted
	s.log("burst: %d changes committed in %.2f s (8 connections, one commit each)", cs.total(), cs.WriteS)
	var lastLog time.Time
	for time.Since(done) < 30*time.Second {
		br.Checks++
		err := converged(ctx, client, s.replicas, checks, br.ExpectedOffers)
		if err == nil {
			br.Converged, br.ConvergedS, br.Detail = true, time.Since(done).Seconds(), ""
			break
		}
		if time.Since(lastLog) > 250*time.Millisecond {
			s.log("burst: +%.3f s: %v", time.Since(done).Seconds(), err)
			lastLog = time.Now()
		}
		br.Detail = err.Error()
		// Not too often: the checks must not take the CPU the sync needs.
		time.Sleep(20 * time.Millisecond)
	}
	after, err := totals(ctx, client, base, checks)
	if err != nil {
		return err
	}
	for i := range after {
		if after[i] != before[i] {
			br.TotalsChanged++
		}
	}
	s.log("burst: converged %v in %.2f s after the last commit (%d check rounds); %d of %d totals changed",
		br.Converged, br.ConvergedS, br.Checks, br.TotalsChanged, len(checks))
	return nil
}

// converged checks one round: every replica indexes want offers, is
// connected with no lag, and answers the totals of the first.
func converged(ctx context.Context, client *client, rs []*replica, checks []query, want int) error {
	var ref []int
	for _, r := range rs {
		st, ok, err := r.status(ctx, client)
		if err != nil || !ok {
			return fmt.Errorf("%s: not ready (%v)", r.name, err)
		}
		if st.Sync.Offers != want || st.Sync.LagSeconds != 0 || !st.Sync.Connected {
			return fmt.Errorf("%s: %d offers (want %d), lag %v s, connected %v", r.name, st.Sync.Offers, want, st.Sync.LagSeconds, st.Sync.Connected)
		}
		t, err := totals(ctx, client, r, checks)
		if err != nil {
			return err
		}
		if ref == nil {
			ref = t
		} else if i := firstDiff(ref, t); i >= 0 {
			return fmt.Errorf("%s: query %d total %d, %s has %d", r.name, i, t[i], rs[0].name, ref[i])
		}
	}
	return nil
}

// sameAs reports whether r indexes as many offers as peer (or want, when
// ≥ 0), is connected with no lag, and answers the same totals for checks.
func sameAs(ctx context.Context, client *client, r, peer *replica, checks []query, want int) error {
	a, ok, err := r.status(ctx, client)
	if err != nil || !ok {
		return fmt.Errorf("%s not ready (%v)", r.name, err)
	}
	b, _, err := peer.status(ctx, client)
	if err != nil {
		return err
	}
	if want < 0 {
		want = b.Sync.Offers
	}
	if a.Sync.Offers != want || a.Sync.LagSeconds != 0 || !a.Sync.Connected {
		return fmt.Errorf("%s: %d offers (want %d), lag %v s, connected %v", r.name, a.Sync.Offers, want, a.Sync.LagSeconds, a.Sync.Connected)
	}
	ta, err := totals(ctx, client, r, checks)
	if err != nil {
		return err
	}
	tb, err := totals(ctx, client, peer, checks)
	if err != nil {
		return err
	}
	if i := firstDiff(ta, tb); i >= 0 {
		return fmt.Errorf("%s: query %d total %d, %s has %d", r.name, i, ta[i], peer.name, tb[i])
	}
	return nil
}

func waitSame(ctx context.Context, client *client, r, peer *replica, checks []query, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := sameAs(ctx, client, r, peer, checks, want)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func firstDiff(a, b []int) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

// totals runs checks on r directly (not through HAProxy), one hit a page,
// eight at a time, and returns each one's total.
func totals(ctx context.Context, client *client, r *replica, checks []query) ([]int, error) {
	out := make([]int, len(checks))
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, q := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var res struct {
				Total int `json:"total"`
			}
			url := "http://" + r.addr + strings.Replace(q.Path(perPage), "per_page=30", "per_page=1", 1)
			errs[i] = client.getJSON(ctx, url, &res)
			out[i] = res.Total
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	return out, nil
}

// writerPool connects to the stack's database as the platform would, in
// stageindex's schema.
func writerPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.RuntimeParams["application_name"] = "stageindex-local-writer"
	return pgxpool.NewWithConfig(ctx, cfg)
}

// makeChanges commits n changes to distinct indexable offers, one
// transaction each, from conns connections: two in five unpublished, three
// in ten retitled (a new word that searches find), the rest deleted.
func makeChanges(ctx context.Context, pool *pgxpool.Pool, n, conns int) (changeSet, error) {
	ids, err := indexableIDs(ctx, pool, n)
	if err != nil {
		return changeSet{}, err
	}
	var cs changeSet
	kinds := make([]int, len(ids))
	for i := range ids {
		switch {
		case i%10 < 4:
			kinds[i] = 0
			cs.Unpublished++
		case i%10 < 7:
			kinds[i] = 1
			cs.Retitled++
		default:
			kinds[i] = 2
			cs.Deleted++
		}
	}
	stmts := []string{
		`UPDATE offers SET published_at = NULL WHERE id = $1`,
		`UPDATE offers SET title = left('Boulangerie ' || title, 150) WHERE id = $1`,
		`DELETE FROM offers WHERE id = $1`,
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for w := range conns {
		wg.Go(func() {
			for i := w; i < len(ids); i += conns {
				tag, err := pool.Exec(ctx, stmts[kinds[i]], ids[i])
				if err == nil && tag.RowsAffected() != 1 {
					err = fmt.Errorf("change %s: %d rows", ids[i], tag.RowsAffected())
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	cs.WriteS = time.Since(t0).Seconds()
	for _, err := range errs {
		if err != nil {
			return cs, err
		}
	}
	return cs, nil
}

// indexableIDs returns n random ids of offers the index holds now.
func indexableIDs(ctx context.Context, pool *pgxpool.Pool, n int) ([]string, error) {
	const q = `SELECT id, published_at, weeks FROM offers
		WHERE published_at IS NOT NULL ORDER BY random() LIMIT $1`
	rows, err := pool.Query(ctx, q, 3*n)
	if err != nil {
		return nil, fmt.Errorf("pick offers: %w", err)
	}
	now := time.Now()
	var ids []string
	for rows.Next() {
		var o stageindex.Offer
		if err := rows.Scan(&o.ID, &o.PublishedAt, &o.Weeks); err != nil {
			return nil, err
		}
		if o.Indexable(now) && len(ids) < n {
			ids = append(ids, o.ID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pick offers: %w", err)
	}
	if len(ids) < n {
		return nil, fmt.Errorf("pick offers: only %d indexable offers left, want %d", len(ids), n)
	}
	return ids, nil
}

// samplePGConns records, every 100 ms until stopped, the most client
// connections the database has seen (the writer pool's excluded).
func samplePGConns(ctx context.Context, pool *pgxpool.Pool, maxSeen *int) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		const q = `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND backend_type = 'client backend'
			AND application_name <> 'stageindex-local-writer'`
		for ctx.Err() == nil {
			var n int
			if err := pool.QueryRow(ctx, q).Scan(&n); err == nil && n > *maxSeen {
				*maxSeen = n
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

var reopenRE = regexp.MustCompile(`"msg":"index reopened".*?"seconds":([0-9.e+-]+)`)

// reopenSeconds finds, in a replica's log past offset, how long the
// reopen took by its own account; 0 if it did not reopen. The line is
// written just after /readyz turns 200, so it waits up to wait for it.
func reopenSeconds(path string, offset int64, wait time.Duration) float64 {
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && int64(len(b)) >= offset {
			if m := reopenRE.FindSubmatch(b[offset:]); m != nil {
				v, _ := strconv.ParseFloat(string(m[1]), 64)
				return v
			}
		}
		if time.Now().After(deadline) {
			return 0
		}
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
