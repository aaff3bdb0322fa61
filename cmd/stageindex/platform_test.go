package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/monstage"
	"github.com/stageindex/stageindex/internal/pgtest"
)

// platform is the database of TestMonstagePlatform: one cluster, the roles
// a DBA would make, and connections as each.
type platform struct {
	t         *testing.T
	cluster   *pgtest.Cluster
	db        string
	owner     string // URL as monstage, the platform's role, owner of its tables
	stageRole string // URL as stageindex: read on the view and its tables, write on schema stageindex
}

func (p *platform) url(role string) string {
	u, _ := url.Parse(p.cluster.DSN(p.db))
	u.User = url.User(role)
	return u.String()
}

// exec runs sql as the role of dsn.
func (p *platform) exec(dsn, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

func (p *platform) must(dsn, sql string, args ...any) {
	p.t.Helper()
	if err := p.exec(dsn, sql, args...); err != nil {
		p.t.Fatalf("%s: %v", firstLineOf(sql), err)
	}
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// definitions is pg_dump's schema of the platform's tables (with their
// triggers) and a digest of their rows.
func (p *platform) definitions() (schema, rows string) {
	p.t.Helper()
	args := []string{"--schema-only", "--no-comments", "--dbname", p.cluster.DSN(p.db)}
	for _, tb := range monstage.Tables {
		args = append(args, "--table", tb)
	}
	out, err := exec.Command(p.cluster.Tool("pg_dump"), args...).Output()
	if err != nil {
		p.t.Fatalf("pg_dump: %v", err)
	}
	var kept []string
	for _, l := range strings.Split(string(out), "\n") {
		// Comments and settings vary from run to run, not the schema.
		if !strings.HasPrefix(l, "--") && !strings.HasPrefix(l, "SET ") && !strings.HasPrefix(l, "SELECT pg_catalog.set_config") &&
			!strings.HasPrefix(l, `\restrict`) && !strings.HasPrefix(l, `\unrestrict`) && l != "" {
			kept = append(kept, l)
		}
	}
	conn, err := pgx.Connect(context.Background(), p.cluster.DSN(p.db))
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var digest []string
	for _, tb := range monstage.Tables {
		var d string
		if err := conn.QueryRow(context.Background(), `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM `+tb+` t`).Scan(&d); err != nil {
			p.t.Fatal(err)
		}
		digest = append(digest, tb+"="+d)
	}
	return strings.Join(kept, "\n"), strings.Join(digest, " ")
}

// platformAPI reads the running server.
type platformAPI struct {
	t    *testing.T
	base string
}

// offer returns the indexed offer with id, false on 404.
func (a platformAPI) offer(id string) (stageindex.Offer, bool) {
	var o stageindex.Offer
	resp, err := http.Get(a.base + "/api/v1/offers/" + id)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case 404:
		return o, false
	case 200:
		if err := json.Unmarshal(body, &o); err != nil {
			a.t.Fatal(err)
		}
		return o, true
	}
	a.t.Fatalf("GET offer %s: %d %s", id, resp.StatusCode, body)
	return o, false
}

// total returns how many offers a search for q finds.
func (a platformAPI) total(q string) int {
	var res stageindex.SearchResult
	getJSON(a.t, a.base+"/api/v1/offers?per_page=1&q="+url.QueryEscape(q), &res)
	return res.Total
}

func (a platformAPI) ready() map[string]any {
	var body struct {
		Sync map[string]any `json:"sync"`
	}
	getJSON(a.t, a.base+"/readyz", &body)
	return body.Sync
}

// latency is one lifecycle step and how long its change took to show.
type latency struct {
	step  string
	took  time.Duration
	bound time.Duration // what the issue asks: 1 s, 5 s for a whole-view reconcile
}

// TestMonstagePlatform plugs stageindex into a monstage-shaped database
// through its view, with the rights docs/platforms.md lists, and follows an
// offer's life through the platform's own writes. Each step's delay from
// commit to search is measured and logged (docs/platforms.md quotes it);
// the deadline only bounds a failing test.
func TestMonstagePlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL cluster with PostGIS")
	}
	// 10,000 offers, as the issue asks; 2,000 under the race detector (make
	// test), which makes indexing ten times slower: the figures of
	// docs/platforms.md come from runs without it.
	n := 10000
	if raceDetector {
		n = 2000
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cluster := pgtest.NewCluster(t)
	admin := cluster.CreateDB(t)
	u, _ := url.Parse(admin)
	p := &platform{t: t, cluster: cluster, db: strings.TrimPrefix(u.Path, "/")}
	p.owner, p.stageRole = p.url("monstage"), p.url("stageindex")

	// What a DBA does once: the two roles, the platform's database owned by
	// the platform, PostGIS, stageindex's schema owned by stageindex, and
	// the platform's role a member of stageindex's (to install triggers
	// whose functions live in stageindex's schema).
	p.must(admin, `CREATE ROLE monstage LOGIN; CREATE ROLE stageindex LOGIN;
		ALTER DATABASE `+p.db+` OWNER TO monstage;
		CREATE EXTENSION postgis;
		CREATE SCHEMA stageindex AUTHORIZATION stageindex;
		GRANT stageindex TO monstage`)
	// The platform, as it is.
	p.must(p.owner, monstage.Schema)
	for _, sql := range monstage.SeedSQL(n) {
		p.must(p.owner, sql)
	}
	// Three offers without coordinates (monstage has no remote offers):
	// stageindex must skip and count them; and a draft to publish later.
	p.must(p.owner, `INSERT INTO internship_offers (id, title, description, zipcode, city, created_at, updated_at,
			employer_name, sector_id, published_at, first_date, last_date, aasm_state, remaining_seats_count)
		SELECT i, CASE WHEN i = 20004 THEN 'Luthier en atelier' ELSE 'Sans adresse' END, 'Découverte', '22000', 'Saint-Brieuc', now(), now(),
			'Atelier', 1, CASE WHEN i = 20004 THEN NULL ELSE timestamp '2026-09-01 08:00' END,
			'2030-03-04', '2030-03-15', CASE WHEN i = 20004 THEN 'drafted' ELSE 'published' END, 1
		FROM generate_series(20001, 20004) AS i;
		UPDATE internship_offers SET coordinates = public.st_setsrid(public.st_makepoint(-2.76, 48.51), 4326)::public.geography WHERE id = 20004`)
	// The operator's view and stageindex's read rights.
	p.must(p.owner, monstage.View)
	p.must(p.owner, `GRANT USAGE ON SCHEMA exports TO stageindex;
		GRANT SELECT ON exports.stageindex_offers, `+strings.Join(monstage.Tables, ", ")+` TO stageindex`)
	before, rowsBefore := p.definitions()

	log := quietLogger()
	if _, err := run(ctx, []string{"migrate", "--database-url", p.stageRole}, log); err != nil {
		t.Fatalf("migrate as stageindex (owner of its schema, no right on the database): %v", err)
	}

	// stageindex's role can write nothing of the platform's.
	var pe *pgconn.PgError
	for _, sql := range []string{
		`UPDATE public.internship_offers SET title = title WHERE id = 1`,
		`CREATE TABLE public.stageindex_was_here (id int)`,
		`CREATE TRIGGER x AFTER UPDATE ON public.sectors FOR EACH STATEMENT EXECUTE FUNCTION suppress_redundant_updates_trigger()`,
	} {
		if err := p.exec(p.stageRole, sql); !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("as stageindex, %s: %v; want permission denied", sql, err)
		}
	}

	watch := func(ws []string) []string {
		var args []string
		for _, w := range ws {
			args = append(args, "--watch", w)
		}
		return args
	}
	install := append([]string{"source", "install", "--database-url", p.owner, "--view", monstage.ViewName}, watch(monstage.Watches)...)
	t.Run("install refuses, installing nothing", func(t *testing.T) {
		cases := []struct {
			args []string
			want string
		}{
			{append([]string{"source", "install", "--database-url", p.owner, "--view", monstage.ViewName}, watch(monstage.Watches[:3])...),
				"the view reads public.weeks, which --watch does not list"},
			{append([]string{"source", "install", "--database-url", p.owner, "--view", monstage.ViewName,
				"--watch", "public.internship_offers='ms3-' || r.offer_id"}, watch(monstage.Watches[1:])...), "column r.offer_id does not exist"},
			{append([]string{"source", "install", "--database-url", p.owner, "--view", "exports.nope"}, watch(monstage.Watches)...), "no such view"},
			// stageindex's own role cannot put triggers on the platform's tables.
			{append([]string{"source", "install", "--database-url", p.stageRole, "--view", monstage.ViewName}, watch(monstage.Watches)...), "permission denied"},
		}
		for _, c := range cases {
			code, err := run(ctx, c.args, log)
			if code != 1 || err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing installed") {
				t.Errorf("%v: code %d, %v; want 1 and %q", c.args[5:], code, err, c.want)
			}
		}
		if now, _ := p.definitions(); now != before {
			t.Error("a refused install changed the platform's tables")
		}
	})
	out := captureStdout(t, func() {
		if code, err := run(ctx, install, log); code != 0 || err != nil {
			t.Fatalf("source install: %d %v", code, err)
		}
	})
	if !strings.Contains(out, "installed change capture for exports.stageindex_offers") {
		t.Errorf("install printed %q", out)
	}
	out = captureStdout(t, func() { run(ctx, install, log) })
	if !strings.Contains(out, "already installed as asked") {
		t.Errorf("second install printed %q", out)
	}
	after, rowsAfter := p.definitions()
	if rowsAfter != rowsBefore {
		t.Errorf("install changed the platform's rows: %s, was %s", rowsAfter, rowsBefore)
	}
	// The only difference: the triggers, four per table, and they are ours.
	var added []string
	for _, l := range strings.Split(after, "\n") {
		if !strings.Contains(before, l) {
			added = append(added, l)
		}
	}
	if len(added) != 16 || strings.Count(after, "\n") != strings.Count(before, "\n")+16 {
		t.Errorf("install changed %d lines of the platform's schema, want 16 triggers:\n%s", len(added), strings.Join(added, "\n"))
	}
	for _, l := range added {
		if !strings.HasPrefix(l, "CREATE TRIGGER stageindex_") || !strings.Contains(l, "FOR EACH STATEMENT EXECUTE FUNCTION stageindex.capture_") {
			t.Errorf("install added %q", l)
		}
	}

	// serve as stageindex, from the view; notifications only (a poll an
	// hour), no scheduled reconcile: every change must come through the
	// triggers.
	addr, dataDir := freeAddr(t), t.TempDir()
	serveArgs := []string{"serve", "--database-url", p.stageRole, "--addr", addr, "--data-dir", dataDir,
		"--source", monstage.ViewName, "--poll-interval", "1h", "--reconcile-schedule", "", "--retire-schedule", "",
		"--rate-limit", "-1"} // the test polls the API every 5 ms
	startServe := func() (stop func(), rec *recorder) {
		sctx, scancel := context.WithCancel(ctx)
		served := make(chan error, 1)
		rec = &recorder{}
		go func() {
			_, err := run(sctx, serveArgs, slog.New(rec))
			served <- err
		}()
		waitReady(t, "http://"+addr, served)
		var once sync.Once
		return func() {
			once.Do(func() {
				scancel()
				select {
				case err := <-served:
					if err != nil {
						t.Errorf("serve: %v", err)
					}
				case <-time.After(20 * time.Second):
					t.Error("serve did not stop")
				}
			})
		}, rec
	}
	built := time.Now()
	stop, rec := startServe()
	defer func() { stop() }()
	a := platformAPI{t: t, base: "http://" + addr}
	t.Logf("%d-offer view built and ready in %v", n, time.Since(built).Round(time.Millisecond))
	st := a.ready()
	if st["source"] != monstage.ViewName || st["offers"] != float64(n) || st["invalid_rows"] != 3.0 || st["rows_skipped_total"] != 3.0 {
		t.Errorf("readyz sync = %v; want the view, %d offers, 3 invalid rows", st, n)
	}
	skipped := 0
	for _, m := range rec.messages(slog.LevelWarn) {
		if strings.Contains(m, "source row skipped") {
			skipped++
		}
	}
	if skipped != 3 {
		t.Errorf("%d skip log lines, want one per invalid row (3)", skipped)
	}
	resp, err := http.Get(a.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "stageindex_source_invalid_rows 3\n") {
		t.Errorf("/metrics lacks the invalid rows gauge")
	}

	var lat []latency
	step := func(name string, bound time.Duration, write string, done func() bool) {
		t.Helper()
		if done() {
			t.Fatalf("%s: already true before the write", name)
		}
		p.must(p.owner, write)
		start := time.Now()
		for !done() {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: not searchable after 30 s", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, latency{name, time.Since(start), bound})
	}
	gone := func(id string) func() bool { return func() bool { _, ok := a.offer(id); return !ok } }
	title := func(id, want string) func() bool {
		return func() bool { o, _ := a.offer(id); return o.Title == want }
	}

	step("publish", time.Second, `UPDATE internship_offers SET aasm_state = 'published', published_at = now() AT TIME ZONE 'UTC' WHERE id = 20004`,
		func() bool { return a.total("luthier") == 1 })
	step("edit a title", time.Second, `UPDATE internship_offers SET title = 'Ébéniste en atelier', updated_at = now() WHERE id = 20004`,
		func() bool { return a.total("ébéniste") == 1 })
	step("add a week", time.Second, `INSERT INTO internship_offer_weeks (internship_offer_id, week_id, created_at, updated_at)
		SELECT 20004, id, now(), now() FROM weeks WHERE year = 2030 AND number = 12`,
		func() bool { o, _ := a.offer("ms3-20004"); return slices.Contains(o.Weeks, "2030-W12") })
	step("remove a week", time.Second, `DELETE FROM internship_offer_weeks WHERE internship_offer_id = 20004
		AND week_id = (SELECT id FROM weeks WHERE year = 2030 AND number = 12)`,
		func() bool { o, _ := a.offer("ms3-20004"); return !slices.Contains(o.Weeks, "2030-W12") })
	// Sector 2 is "Agriculture" (stageindex.Sectors order); its offers
	// take the new name, all of them, through a whole-view reconcile.
	step("rename a sector (whole view)", 5*time.Second, `UPDATE sectors SET name = 'Filiere bois' WHERE id = 2`,
		func() bool {
			o, _ := a.offer("ms3-1")
			o2, _ := a.offer("ms3-48")
			return o.Sector == "Filiere bois" && o2.Sector == "Filiere bois"
		})
	step("discard", time.Second, `UPDATE internship_offers SET discarded_at = now() WHERE id = 2`, gone("ms3-2"))
	step("unpublish", time.Second, `UPDATE internship_offers SET aasm_state = 'unpublished', published_at = NULL WHERE id = 3`, gone("ms3-3"))
	step("remaining seats reach zero", time.Second, `UPDATE internship_offers SET remaining_seats_count = remaining_seats_count - 1 WHERE id = 4`, gone("ms3-4"))

	var changesBefore int64
	count := func() int64 {
		var n int64
		conn, err := pgx.Connect(ctx, p.stageRole)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM stageindex.source_changes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	changesBefore = count()
	p.must(p.owner, `UPDATE internship_offers SET view_count = view_count + 1`)
	if got := count(); got != changesBefore {
		t.Errorf("a counter update of every offer recorded %d changes, want none (the view does not read it)", got-changesBefore)
	}
	// Every searchable offer (all but the three gone above).
	step(fmt.Sprintf("bulk update of %d rows", n), time.Second, `UPDATE internship_offers SET title = title || ' zorglub' WHERE id <= `+fmt.Sprint(n),
		func() bool {
			first, _ := a.offer("ms3-1")
			last, _ := a.offer(fmt.Sprintf("ms3-%d", n))
			return strings.HasSuffix(first.Title, " zorglub") && strings.HasSuffix(last.Title, " zorglub")
		})
	if got := a.total("zorglub"); got != n-3 {
		t.Errorf("a search finds %d offers of the bulk update, want every searchable one (%d)", got, n-3)
	}

	t.Run("a long transaction that commits last", func(t *testing.T) {
		long, err := pgx.Connect(ctx, p.owner)
		if err != nil {
			t.Fatal(err)
		}
		defer long.Close(ctx)
		tx, err := long.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `UPDATE internship_offers SET title = 'Écrit en premier' WHERE id = 10`); err != nil {
			t.Fatal(err)
		}
		step("a short transaction while a long one is open", time.Second,
			`UPDATE internship_offers SET title = 'Écrit en second' WHERE id = 11`, title("ms3-11", "Écrit en second"))
		if o, _ := a.offer("ms3-10"); o.Title == "Écrit en premier" {
			t.Fatal("an uncommitted write was indexed")
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for o, _ := a.offer("ms3-10"); o.Title != "Écrit en premier"; o, _ = a.offer("ms3-10") {
			if time.Since(start) > 30*time.Second {
				t.Fatal("the long transaction's write never showed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, latency{"the long transaction commits last", time.Since(start), time.Second})
	})

	t.Run("PostgreSQL restarts", func(t *testing.T) {
		if err := cluster.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "a disconnected status", func() bool { return a.ready()["connected"] == false })
		if _, ok := a.offer("ms3-5"); !ok {
			t.Error("the index stopped answering while PostgreSQL is down")
		}
		if err := cluster.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "a connected status", func() bool { return a.ready()["connected"] == true })
		step("an edit after PostgreSQL restarted", time.Second, `UPDATE internship_offers SET title = 'Après redémarrage' WHERE id = 5`,
			title("ms3-5", "Après redémarrage"))
	})

	t.Run("stageindex restarts", func(t *testing.T) {
		stop()
		// Written while stageindex is down.
		p.must(p.owner, `UPDATE internship_offers SET title = 'Pendant l''arrêt' WHERE id = 6;
			UPDATE internship_offers SET discarded_at = now() WHERE id = 7`)
		stop, rec = startServe()
		for _, m := range rec.messages(slog.LevelInfo) {
			if strings.Contains(m, "index built") {
				t.Error("the restart rebuilt the index instead of reopening it")
			}
		}
		waitFor(t, 10*time.Second, "the writes made while down", func() bool {
			o, _ := a.offer("ms3-6")
			_, seven := a.offer("ms3-7")
			return o.Title == "Pendant l'arrêt" && !seven
		})
	})

	var table strings.Builder
	for _, l := range lat {
		fmt.Fprintf(&table, "\n  %-45s %8.1f ms (issue: ≤ %v)", l.step, float64(l.took.Microseconds())/1000, l.bound)
	}
	t.Logf("from commit to search:%s", table.String())

	stop()
	out = captureStdout(t, func() {
		if code, err := run(ctx, []string{"source", "uninstall", "--database-url", p.owner, "--view", monstage.ViewName}, log); code != 0 || err != nil {
			t.Fatalf("source uninstall: %d %v", code, err)
		}
	})
	if !strings.Contains(out, "removed change capture for exports.stageindex_offers") {
		t.Errorf("uninstall printed %q", out)
	}
	if now, _ := p.definitions(); now != before {
		t.Errorf("after uninstall the platform's schema differs from before install")
	}
	// The platform writes as before, and nothing is recorded.
	recorded := count()
	p.must(p.owner, `UPDATE internship_offers SET title = 'Sans stageindex' WHERE id = 8`)
	if count() != recorded {
		t.Error("a write after uninstall was recorded")
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
