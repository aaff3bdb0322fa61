package source_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/indexer/source"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/testdb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// shopSQL is a platform: jobs, the shifts (weeks) of each job in a join
// table, and a lookup of trades that any job may name; a counter column
// the view does not read; the view over the three.
const shopSQL = `
CREATE SCHEMA shop;
CREATE TABLE shop.trades (id bigint PRIMARY KEY, name text, note text);
CREATE TABLE shop.jobs (
	id bigint PRIMARY KEY,
	title varchar(200),
	trade_id bigint REFERENCES shop.trades,
	lat double precision,
	lng double precision,
	views integer NOT NULL DEFAULT 0,
	live boolean NOT NULL DEFAULT true
);
CREATE TABLE shop.shifts (id bigint PRIMARY KEY, job_id bigint REFERENCES shop.jobs, week text);
CREATE VIEW shop.offers AS
SELECT 'j-' || j.id AS id, j.title, 'Découvrir le métier' AS description, 'Boutique' AS employer_name,
	NULL::text AS employer_description, t.name AS sector,
	ARRAY['generale'] AS tracks, NULL::boolean AS is_public,
	false AS remote, NULL::boolean AS handicap_accessible,
	NULL::text AS street, NULL::text AS zipcode, NULL::text AS city, NULL::text AS department,
	j.lat AS latitude, j.lng AS longitude,
	ARRAY(SELECT s.week FROM shop.shifts s WHERE s.job_id = j.id ORDER BY s.week) AS weeks,
	NULL::integer AS max_candidates, NULL::text AS url,
	CASE WHEN j.live THEN timestamptz '2026-01-01 00:00:00Z' END AS published_at
FROM shop.jobs j LEFT JOIN shop.trades t ON t.id = j.trade_id;
INSERT INTO shop.trades VALUES (1, 'Commerce et distribution', ''), (2, 'Mode', '');
`

var shopWatches = []source.Watch{
	{Table: "shop.jobs", IDSQL: "'j-' || r.id"},
	{Table: "shop.shifts", IDSQL: "'j-' || r.job_id"},
	{Table: "shop.trades", IDSQL: "*"},
}

func newShop(t *testing.T) (*pgxpool.Pool, *pgx.Conn) {
	t.Helper()
	pool, dsn := testdb.New(t)
	if _, err := pool.Exec(context.Background(), shopSQL); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return pool, conn
}

func install(t *testing.T, conn *pgx.Conn, view string, ws ...source.Watch) source.Report {
	t.Helper()
	rep, err := source.Install(context.Background(), conn, source.Spec{View: view, Watches: ws}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// installed describes everything stageindex has put in the database for
// sources: triggers on any table, capture functions, records.
func installed(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var out string
	err := pool.QueryRow(context.Background(), `SELECT concat_ws(' | ',
		(SELECT string_agg(tgrelid::regclass || '.' || tgname, ',' ORDER BY 1) FROM pg_trigger WHERE tgname LIKE 'stageindex_%'),
		(SELECT string_agg(proname, ',' ORDER BY 1) FROM pg_proc WHERE proname LIKE 'capture_%'),
		(SELECT string_agg(view_name, ',') FROM stageindex.sources),
		(SELECT string_agg(table_name, ',' ORDER BY 1) FROM stageindex.source_watches))`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInstallRefusesAndInstallsNothing(t *testing.T) {
	ctx := context.Background()
	pool, conn := newShop(t)
	if _, err := pool.Exec(ctx, `CREATE VIEW shop.no_sector AS SELECT id, title, description, employer_name,
		employer_description, tracks, is_public, remote, handicap_accessible, street, zipcode, city, department,
		latitude, longitude, weeks, max_candidates, url, published_at FROM shop.offers`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		view    string
		watches []source.Watch
		want    string
	}{
		{"view lacking a column", "shop.no_sector", shopWatches, "lacks the column(s) sector"},
		{"no such view", "shop.nope", shopWatches, "no such view"},
		{"bad view name", "offers", shopWatches, "SCHEMA.VIEW"},
		{"id expression does not compile", "shop.offers", []source.Watch{shopWatches[0],
			{Table: "shop.shifts", IDSQL: "'j-' || r.jobid"}, shopWatches[2]}, `column r.jobid does not exist`},
		{"syntax error", "shop.offers", []source.Watch{{Table: "shop.jobs", IDSQL: "'j-' ||"}, shopWatches[1], shopWatches[2]}, "syntax error"},
		{"two statements", "shop.offers", []source.Watch{{Table: "shop.jobs", IDSQL: "r.id::text); DROP TABLE shop.trades; SELECT (1"}, shopWatches[1], shopWatches[2]}, "does not compile"},
		{"an aggregate", "shop.offers", []source.Watch{{Table: "shop.jobs", IDSQL: "max('j-' || r.id)"}, shopWatches[1], shopWatches[2]}, "does not compile"},
		{"a table left unwatched", "shop.offers", shopWatches[:2], "the view reads shop.trades, which --watch does not list"},
		{"no such table", "shop.offers", append(slices.Clone(shopWatches), source.Watch{Table: "shop.nope", IDSQL: "*"}), "no such table"},
		{"a view is no table", "shop.offers", append(slices.Clone(shopWatches), source.Watch{Table: "shop.offers", IDSQL: "*"}), "not a table"},
		{"twice", "shop.offers", append(slices.Clone(shopWatches), shopWatches[0]), "twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := source.Install(ctx, conn, source.Spec{View: c.view, Watches: c.watches}, source.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Install = %v, want an error with %q", err, c.want)
			}
			if got := installed(t, pool); got != "" {
				t.Errorf("a refused install left %s", got)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM shop.trades`).Scan(&n); err != nil || n != 2 {
		t.Errorf("trades: %d rows, %v", n, err)
	}
}

func TestInstallIsIdempotentAndUninstallRemovesIt(t *testing.T) {
	ctx := context.Background()
	pool, conn := newShop(t)
	rep := install(t, conn, "shop.offers", shopWatches...)
	if !rep.Changed || len(rep.Tables) != 3 {
		t.Fatalf("first install: %+v", rep)
	}
	first := installed(t, pool)
	for _, want := range []string{"shop.jobs.stageindex_", "shop.shifts.stageindex_", "shop.trades.stageindex_", "shop.offers"} {
		if !strings.Contains(first, want) {
			t.Errorf("installed %s, lacks %s", first, want)
		}
	}
	var jobs source.Table
	for _, tb := range rep.Tables {
		if tb.Name == "shop.jobs" {
			jobs = tb
		}
	}
	// The view reads id, title, trade_id, lat, lng, live: not the counter.
	if want := []string{"id", "lat", "live", "lng", "title", "trade_id"}; !slices.Equal(jobs.Compared, want) {
		t.Errorf("jobs compared on %v, want %v", jobs.Compared, want)
	}
	if rep := install(t, conn, "shop.offers", shopWatches...); rep.Changed {
		t.Errorf("second install changed something: %+v", rep)
	}
	if got := installed(t, pool); got != first {
		t.Errorf("after a second install: %s, want %s", got, first)
	}
	// Another ID_SQL replaces the install.
	other := slices.Clone(shopWatches)
	other[0].IDSQL = "'j-' || r.id::text"
	if rep := install(t, conn, "shop.offers", other...); !rep.Changed {
		t.Error("a changed watch list did not change the install")
	}
	// A trigger dropped by hand is put back.
	if _, err := pool.Exec(ctx, `DO $$ DECLARE t text; BEGIN
		SELECT tgname INTO t FROM pg_trigger WHERE tgrelid = 'shop.jobs'::regclass AND tgname LIKE '%_update';
		EXECUTE format('DROP TRIGGER %I ON shop.jobs', t); END $$`); err != nil {
		t.Fatal(err)
	}
	if rep := install(t, conn, "shop.offers", other...); !rep.Changed {
		t.Error("an install missing a trigger was not repaired")
	}
	if got := installed(t, pool); got != first {
		t.Errorf("after repair: %s, want %s", got, first)
	}
	// Dry run: the SQL, nothing done.
	rep, err := source.Uninstall(ctx, conn, "shop.offers", source.Options{DryRun: true})
	if err != nil || !rep.Changed || len(rep.SQL) != 3*4+3 {
		t.Errorf("dry-run uninstall: %v %d statements", err, len(rep.SQL))
	}
	if got := installed(t, pool); got != first {
		t.Errorf("a dry run removed something: %s", got)
	}
	// Renaming a watched table does not lose its triggers.
	if _, err := pool.Exec(ctx, `ALTER TABLE shop.shifts RENAME TO weeks_of_jobs`); err != nil {
		t.Fatal(err)
	}
	rep, err = source.Uninstall(ctx, conn, "shop.offers", source.Options{})
	if err != nil || !rep.Changed {
		t.Fatalf("uninstall: %v %+v", err, rep)
	}
	if got := installed(t, pool); got != "" {
		t.Errorf("after uninstall: %s", got)
	}
	var changes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM stageindex.source_changes WHERE source = 'shop.offers'`).Scan(&changes); err != nil || changes != 0 {
		t.Errorf("uninstall left %d change rows (%v)", changes, err)
	}
	if rep, err := source.Uninstall(ctx, conn, "shop.offers", source.Options{}); err != nil || rep.Changed {
		t.Errorf("second uninstall: %v %+v", err, rep)
	}
}

// change is one source_changes row as "offer_id".
func changesSince(t *testing.T, pool *pgxpool.Pool, seq *int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT seq, offer_id FROM stageindex.source_changes
		WHERE source = 'shop.offers' AND seq > $1 ORDER BY offer_id`, *seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s int64
		var id string
		if err := rows.Scan(&s, &id); err != nil {
			t.Fatal(err)
		}
		*seq = max(*seq, s)
		if id == "" {
			id = "*"
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCapture(t *testing.T) {
	ctx := context.Background()
	pool, conn := newShop(t)
	install(t, conn, "shop.offers", shopWatches...)
	var seq int64
	changesSince(t, pool, &seq) // the install's own marker
	steps := []struct{ name, sql, want string }{
		{"insert two", `INSERT INTO shop.jobs (id, title, trade_id, lat, lng) VALUES (1, 'Vendeur', 1, 48.5, -2.7), (2, 'Styliste', 2, 48.5, -2.7)`, "j-1,j-2"},
		{"edit a title", `UPDATE shop.jobs SET title = 'Vendeuse' WHERE id = 1`, "j-1"},
		{"a counter the view does not read", `UPDATE shop.jobs SET views = views + 1`, ""},
		{"an update that changes nothing", `UPDATE shop.jobs SET title = title`, ""},
		{"a float to the same value", `UPDATE shop.jobs SET lat = 48.5 WHERE id = 2`, ""},
		{"add weeks", `INSERT INTO shop.shifts VALUES (10, 1, '2030-W10'), (11, 1, '2030-W11'), (12, 2, '2030-W10')`, "j-1,j-2"},
		{"move a week to another job", `UPDATE shop.shifts SET job_id = 2 WHERE id = 11`, "j-1,j-2"},
		{"remove a week", `DELETE FROM shop.shifts WHERE id = 10`, "j-1"},
		{"a whole-view table", `UPDATE shop.trades SET name = 'Artisanat d''art' WHERE id = 2`, "*"},
		{"a whole-view table's unread column", `UPDATE shop.trades SET note = 'x'`, ""},
		{"a statement touching nothing", `DELETE FROM shop.jobs WHERE id = 404`, ""},
		{"an id changes", `UPDATE shop.jobs SET id = 3 WHERE id = 2 AND NOT EXISTS (SELECT FROM shop.shifts WHERE job_id = 2)`, ""},
		{"truncate", `TRUNCATE shop.shifts`, "*"},
		{"delete", `DELETE FROM shop.jobs WHERE id = 1`, "j-1"},
	}
	for _, s := range steps {
		if _, err := pool.Exec(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := strings.Join(changesSince(t, pool, &seq), ","); got != s.want {
			t.Errorf("%s: recorded %q, want %q", s.name, got, s.want)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO shop.jobs (id, title) VALUES (5, 'x'); UPDATE shop.jobs SET id = 6 WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(changesSince(t, pool, &seq), ","); got != "j-5,j-5,j-6" {
		t.Errorf("insert then renumber: recorded %q, want the insert, then the old and new ids", got)
	}
}

func TestInstallWarnsOfAClockInTheView(t *testing.T) {
	pool, conn := newShop(t)
	if _, err := pool.Exec(context.Background(), `CREATE VIEW shop.timed AS SELECT * FROM shop.offers WHERE published_at <= now()`); err != nil {
		t.Fatal(err)
	}
	rep := install(t, conn, "shop.timed", shopWatches...)
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "reads the clock") {
		t.Errorf("warnings %q, want one about the clock", rep.Warnings)
	}
	if rep := install(t, conn, "shop.offers", shopWatches...); len(rep.Warnings) != 0 {
		t.Errorf("warnings for a view without a clock: %q", rep.Warnings)
	}
}

// TestCapturePlanSurvivesABulkUpdate: a session whose first update touched
// one row, then updates 20,000 rows. With the plan of the first call kept
// (a nested loop over old and new rows), that took minutes.
func TestCapturePlanSurvivesABulkUpdate(t *testing.T) {
	ctx := context.Background()
	pool, conn := newShop(t)
	install(t, conn, "shop.offers", shopWatches...)
	if _, err := conn.Exec(ctx, `INSERT INTO shop.jobs (id, title) SELECT i, 'Vendeur' FROM generate_series(1, 20000) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE shop.jobs SET title = 'Vendeuse' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := conn.Exec(tctx, `UPDATE shop.jobs SET title = title || ' !'`); err != nil {
		t.Fatalf("a 20,000-row update after a one-row one in the same session: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT offer_id) FROM stageindex.source_changes WHERE offer_id LIKE 'j-%'`).Scan(&n); err != nil || n != 20000 {
		t.Errorf("%d ids recorded (%v), want 20000", n, err)
	}
}
