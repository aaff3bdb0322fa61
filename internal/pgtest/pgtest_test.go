package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewGivesDistinctEmptyDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	if a == b {
		t.Fatalf("New returned the same database twice: %s", a)
	}
	for _, dsn := range []string{a, b} {
		var tables int
		err := connect(t, dsn).QueryRow(ctx,
			`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("%s: %d tables in a fresh database", dsn, tables)
		}
	}
	// A table made in one database is not seen in the other.
	if _, err := connect(t, a).Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	var found bool
	if err := connect(t, b).QueryRow(ctx, `SELECT to_regclass('only_in_a') IS NOT NULL`).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found {
		t.Error("databases from New share tables")
	}
}

func TestClusterStopStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second cluster")
	}
	ctx := context.Background()
	c := pgtest.NewCluster(t)
	dsn := c.CreateDB(t)
	conn := connect(t, dsn)
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("ping succeeded on a stopped server")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var x int
	if err := connect(t, dsn).QueryRow(ctx, `SELECT x FROM kept`).Scan(&x); err != nil {
		t.Fatal(err)
	}
	if x != 42 {
		t.Errorf("after restart x = %d, want 42", x)
	}
}
