package migrations

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"

	"github.com/stageindex/stageindex/internal/pgtest"
)

// connectTo opens a connection to dsn with the server's default
// search_path ("$user", public), as an operator's psql would.
func connectTo(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// installV2 migrates dsn as stageindex did before version 3: migrations 001
// and 002 in public, the version in public.schema_version.
func installV2(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	old := fstest.MapFS{}
	for _, name := range []string{"001_offers.sql", "002_offer_changes.sql"} {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: b}
	}
	m, err := migrate.NewMigrator(ctx, conn, legacyVersionTable)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(old); err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

// objectsIn lists the tables, sequences, views and functions of schema.
func objectsIn(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'S', 'v', 'm', 'p')
		UNION ALL
		SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1
		ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestUpgradeMovesObjectsIntoTheSchema(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	conn := connectTo(t, dsn)
	installV2(t, conn)
	if _, err := conn.Exec(ctx, `INSERT INTO public.offers (id, title, description, employer_name, tracks, latitude, longitude)
		VALUES ('kept-1', 'Stage', 'Une semaine', 'Mairie', '{generale}', 48.5, -2.7)`); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, conn, DefaultSchema); err == nil || !strings.Contains(err.Error(), "run stageindex migrate") {
		t.Fatalf("Check on a version-2 installation = %v, want behind", err)
	}
	if err := Migrate(ctx, conn, DefaultSchema); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, conn, DefaultSchema); err != nil {
		t.Fatalf("Check after the upgrade: %v", err)
	}
	if left := objectsIn(t, conn, "public"); len(left) != 0 {
		t.Errorf("left in public after the upgrade: %v", left)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM stageindex.offers WHERE id = 'kept-1'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the offer was not kept: %d %v", n, err)
	}
	// The triggers still capture changes from a session whose search_path
	// does not name the schema.
	if _, err := conn.Exec(ctx, `UPDATE stageindex.offers SET title = 'Stage moved' WHERE id = 'kept-1'`); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM stageindex.offer_changes WHERE offer_id = 'kept-1'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("changes of kept-1: %d %v, want 2 (insert, update)", n, err)
	}
}

func TestFreshInstallInACustomSchema(t *testing.T) {
	ctx := context.Background()
	conn := connectTo(t, pgtest.New(t))
	for range 2 {
		if err := Migrate(ctx, conn, "si_custom"); err != nil {
			t.Fatal(err)
		}
	}
	if left := objectsIn(t, conn, "public"); len(left) != 0 {
		t.Errorf("created in public: %v", left)
	}
	got := objectsIn(t, conn, "si_custom")
	for _, want := range []string{"offers", "offer_changes", "schema_version", "stageindex_offers_capture_insert"} {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+want+" ") {
			t.Errorf("si_custom lacks %s: %v", want, got)
		}
	}
	if err := Check(ctx, conn, "si_custom"); err != nil {
		t.Error(err)
	}
	if err := Check(ctx, conn, DefaultSchema); err == nil {
		t.Error("the default schema reports migrated although only si_custom is")
	}
	if _, err := conn.Exec(ctx, `INSERT INTO si_custom.offers (id, title, description, employer_name, tracks, remote)
		VALUES ('r-1', 'Stage', 'Une semaine', 'Agence', '{generale}', true)`); err != nil {
		t.Fatalf("a write from a session with another search_path: %v", err)
	}
}

func TestValidSchema(t *testing.T) {
	for name, ok := range map[string]bool{"stageindex": true, "si_2": true, "_x": true,
		"": false, "Stage": false, "a-b": false, "a;drop": false, "pg_catalog": false, "1abc": false} {
		if err := ValidSchema(name); (err == nil) != ok {
			t.Errorf("ValidSchema(%q) = %v", name, err)
		}
	}
}
