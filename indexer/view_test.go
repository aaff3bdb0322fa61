package indexer_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
)

// platformSQL is a small platform of its own: a table of jobs in its own
// schema and the view a stageindex operator would write over it, with
// types other than stageindex's (bigint ids, varchar, a NULL for every
// field it lacks).
const platformSQL = `
CREATE SCHEMA plat;
CREATE TABLE plat.jobs (
	id bigint PRIMARY KEY,
	title varchar(200),
	body text,
	company varchar(100),
	zip varchar(10),
	lat double precision,
	lng double precision,
	week text,
	live boolean NOT NULL DEFAULT true,
	pub timestamptz
);
CREATE VIEW plat.offers AS
SELECT 'j-' || j.id AS id, j.title, j.body AS description, j.company AS employer_name,
	NULL::text AS employer_description, NULL::text AS sector,
	ARRAY['generale']::varchar[] AS tracks, NULL::boolean AS is_public,
	j.lat IS NULL AS remote, NULL::boolean AS handicap_accessible,
	NULL::text AS street, j.zip AS zipcode, NULL::text AS city, NULL::text AS department,
	j.lat AS latitude, j.lng AS longitude,
	CASE WHEN j.week IS NULL THEN NULL ELSE ARRAY[j.week] END AS weeks,
	NULL::integer AS max_candidates, NULL::text AS url,
	CASE WHEN j.live THEN coalesce(j.pub, timestamptz '2026-01-01 00:00:00Z') END AS published_at
FROM plat.jobs j;
INSERT INTO stageindex.sources (view_name) VALUES ('plat.offers');
`

// newViewStore returns a Store reading plat.offers, its pool, and the log
// it writes.
func newViewStore(t *testing.T) (*indexer.Store, *pgxpool.Pool, *bytes.Buffer) {
	t.Helper()
	_, pool := newStore(t)
	if _, err := pool.Exec(context.Background(), platformSQL); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	st, err := indexer.NewViewStore(pool, "plat.offers", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return st, pool, &log
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// touched records what a trigger of `source install` would: view ids a
// statement changed, in the writing transaction.
func touched(t *testing.T, pool *pgxpool.Pool, source string, ids ...string) {
	t.Helper()
	exec(t, pool, `INSERT INTO stageindex.source_changes (source, offer_id) SELECT $1, unnest($2::text[])`, source, ids)
}

func TestViewStoreReadsAndValidates(t *testing.T) {
	ctx := context.Background()
	st, pool, log := newViewStore(t)
	if got := st.SourceName(); got != "plat.offers" {
		t.Errorf("SourceName = %q", got)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	exec(t, pool, `INSERT INTO plat.jobs (id, title, body, company, zip, lat, lng, week) VALUES
		(1, '  Boulanger  ', 'Pétrir', 'Au Fournil', '22000', 48.5, -2.7, '2030-W10'),
		(2, 'Télétravail', 'Coder', 'Agence', NULL, NULL, NULL, NULL),
		(3, 'Mauvais code postal', 'x', 'Mairie', '2200', 48.5, -2.7, NULL),
		(4, NULL, 'Sans titre', 'Mairie', NULL, 48.5, -2.7, NULL)`)
	got, _ := loadAll(t, st)
	if len(got) != 2 {
		t.Fatalf("LoadOffers gave %d offers, want the 2 valid ones: %v", len(got), got)
	}
	one := got["j-1"]
	if one.Title != "Boulanger" || one.MaxCandidates != 1 || one.IsPublic || len(one.Tracks) != 1 ||
		one.PublishedAt == nil || !one.HasLocation() || len(one.Weeks) != 1 {
		t.Errorf("j-1 read as %+v: want trimmed, the format's defaults for NULLs", one)
	}
	if two := got["j-2"]; !two.Remote || two.HasLocation() || two.Weeks != nil {
		t.Errorf("j-2 read as %+v: want remote, no coordinates, no weeks", two)
	}
	if sk := st.Skips(); sk.Invalid != 2 || sk.Total != 2 {
		t.Errorf("Skips = %+v, want 2 invalid rows counted once each", sk)
	}
	for _, want := range []string{"id=j-3", "zipcode", "id=j-4", "title: is required"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// Reconciles read the view again: the same invalid rows are not
	// counted or logged again.
	lines := strings.Count(log.String(), "\n")
	loadAll(t, st)
	if sk := st.Skips(); sk.Total != 2 || strings.Count(log.String(), "\n") != lines {
		t.Errorf("a second load counted or logged again: %+v\n%s", sk, log)
	}
	if o, err := st.Get(ctx, "j-1"); err != nil || o.Title != "Boulanger" {
		t.Errorf("Get(j-1) = %+v, %v", o, err)
	}
	if _, err := st.Get(ctx, "j-3"); stageindex.ErrorCodeOf(err) != stageindex.ENOTFOUND {
		t.Errorf("Get(invalid j-3) = %v, want ENOTFOUND", err)
	}
}

func TestViewStoreChanges(t *testing.T) {
	ctx := context.Background()
	st, pool, _ := newViewStore(t)
	exec(t, pool, `INSERT INTO plat.jobs (id, title, body, company, zip, lat, lng) VALUES
		(1, 'Boulanger', 'Pétrir', 'Au Fournil', '22000', 48.5, -2.7),
		(2, 'Fleuriste', 'Composer', 'Fleurs', '22000', 48.5, -2.7)`)
	_, wm := loadAll(t, st)
	cur := indexer.CursorOf(wm)
	steps := []struct {
		name      string
		write     func()
		ups, dels []string
		truncated bool
		invalid   int
	}{
		{name: "nothing", write: func() {}},
		{name: "edit", write: func() {
			exec(t, pool, `UPDATE plat.jobs SET title = 'Boulangère' WHERE id = 1`)
			touched(t, pool, "plat.offers", "j-1")
		}, ups: []string{"j-1"}},
		{name: "another source's change is not ours", write: func() {
			touched(t, pool, "plat.other", "j-2")
		}},
		{name: "a row turns invalid: out of the index", write: func() {
			exec(t, pool, `UPDATE plat.jobs SET zip = 'x' WHERE id = 2`)
			touched(t, pool, "plat.offers", "j-2")
		}, dels: []string{"j-2"}, invalid: 1},
		{name: "fixed: back", write: func() {
			exec(t, pool, `UPDATE plat.jobs SET zip = '22100' WHERE id = 2`)
			touched(t, pool, "plat.offers", "j-2")
		}, ups: []string{"j-2"}},
		{name: "filtered out of the view or deleted", write: func() {
			exec(t, pool, `DELETE FROM plat.jobs WHERE id = 1`)
			touched(t, pool, "plat.offers", "j-1", "j-404")
		}, dels: []string{"j-1", "j-404"}},
		{name: "whole-view marker", write: func() {
			touched(t, pool, "plat.offers", "", "j-2")
		}, truncated: true},
	}
	for _, s := range steps {
		s.write()
		cs, err := st.Changes(ctx, cur)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ups, dels := changedIDs(cs)
		if strings.Join(ups, ",") != strings.Join(s.ups, ",") || strings.Join(dels, ",") != strings.Join(s.dels, ",") ||
			cs.Truncated != s.truncated {
			t.Errorf("%s: upserts %v deletes %v truncated %v; want %v %v %v", s.name, ups, dels, cs.Truncated, s.ups, s.dels, s.truncated)
		}
		if got := st.Skips().Invalid; got != s.invalid {
			t.Errorf("%s: %d invalid rows, want %d", s.name, got, s.invalid)
		}
		if s.name == "edit" && (len(cs.Upserts) != 1 || cs.Upserts[0].Title != "Boulangère") {
			t.Errorf("edit: read %+v", cs.Upserts)
		}
		cur = cs.Next
	}
}

func TestViewStoreDuplicateIDs(t *testing.T) {
	_, pool, _ := newViewStore(t)
	exec(t, pool, `CREATE VIEW plat.dup AS SELECT * FROM plat.offers UNION ALL SELECT * FROM plat.offers WHERE id = 'j-1'`)
	exec(t, pool, `INSERT INTO stageindex.sources (view_name) VALUES ('plat.dup')`)
	exec(t, pool, `INSERT INTO plat.jobs (id, title, body, company, zip, lat, lng) VALUES
		(1, 'Boulanger', 'Pétrir', 'Au Fournil', '22000', 48.5, -2.7),
		(2, 'Fleuriste', 'Composer', 'Fleurs', '22000', 48.5, -2.7)`)
	dup, err := indexer.NewViewStore(pool, "plat.dup", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	got, wm := loadAll(t, dup)
	if _, ok := got["j-1"]; ok || len(got) != 1 {
		t.Errorf("load of a view with a duplicated id gave %v, want only j-2", got)
	}
	touched(t, pool, "plat.dup", "j-1")
	cs, err := dup.Changes(context.Background(), indexer.CursorOf(wm))
	if err != nil {
		t.Fatal(err)
	}
	if ups, dels := changedIDs(cs); len(ups) != 0 || strings.Join(dels, ",") != "j-1" {
		t.Errorf("changes of a duplicated id: upserts %v deletes %v, want a delete", ups, dels)
	}
	if sk := dup.Skips(); sk.Invalid != 1 || sk.Total != 1 {
		t.Errorf("Skips = %+v", sk)
	}
}

func TestCheckView(t *testing.T) {
	ctx := context.Background()
	_, pool, _ := newViewStore(t)
	exec(t, pool, `
		CREATE VIEW plat.no_url AS SELECT id, title, description, employer_name, employer_description, sector,
			tracks, is_public, remote, handicap_accessible, street, zipcode, city, department, latitude, longitude,
			weeks, max_candidates, published_at FROM plat.offers;
		CREATE VIEW plat.naive_time AS SELECT id, title, description, employer_name, employer_description, sector,
			tracks, is_public, remote, handicap_accessible, street, zipcode, city, department, latitude, longitude,
			weeks, max_candidates, url, published_at::timestamp AS published_at FROM plat.offers;
		CREATE VIEW plat.big_max AS SELECT id, title, description, employer_name, employer_description, sector,
			tracks, is_public, remote, handicap_accessible, street, zipcode, city, department, latitude, longitude,
			weeks, max_candidates::bigint AS max_candidates, url, published_at FROM plat.offers;
		CREATE MATERIALIZED VIEW plat.mat AS SELECT * FROM plat.offers;
		CREATE VIEW plat.uninstalled AS SELECT * FROM plat.offers;
		CREATE ROLE stranger;`)
	cases := []struct{ view, want string }{
		{"plat.offers", ""},
		{"plat.nope", "no such view"},
		{"Plat.Offers", "lower-case"},
		{"offers", "SCHEMA.VIEW"},
		{"plat.no_url", "lacks the column(s) url"},
		{"plat.naive_time", "AT TIME ZONE"},
		{"plat.big_max", "max_candidates is bigint, want integer or smallint"},
		{"plat.mat", "materialized view"},
	}
	for _, c := range cases {
		err := indexer.CheckView(ctx, pool, c.view)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckView(%s) = %v, want %q", c.view, err, c.want)
		}
	}
	un, err := indexer.NewViewStore(pool, "plat.uninstalled", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := un.Check(ctx); err == nil || !strings.Contains(err.Error(), "stageindex source install --view plat.uninstalled") {
		t.Errorf("Check of a view without change capture = %v", err)
	}
	// Reading needs the rights on the view.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET ROLE stranger`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `RESET ROLE`)
	if err := indexer.CheckView(ctx, conn.Conn(), "plat.offers"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("CheckView without rights = %v, want permission denied", err)
	}
}
