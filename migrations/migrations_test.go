package migrations_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := migrations.PoolConfig(pgtest.New(t), migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestCheckOnEmptyDatabaseIsBehind(t *testing.T) {
	ctx := context.Background()
	conn := connect(t)
	current, latest, err := migrations.Status(ctx, conn, migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	if current != 0 || latest < 2 {
		t.Errorf("Status = %d, %d; want 0 and at least 2", current, latest)
	}
	err = migrations.Check(ctx, conn, migrations.DefaultSchema)
	if !errors.Is(err, migrations.ErrBehind) || errors.Is(err, migrations.ErrAhead) {
		t.Fatalf("Check on an empty database = %v, want ErrBehind", err)
	}
	var ve *migrations.VersionError
	if !errors.As(err, &ve) || ve.Current != 0 || ve.Latest != latest {
		t.Errorf("Check error = %#v, want a *VersionError{0, %d}", err, latest)
	}
	if !strings.Contains(err.Error(), "run stageindex migrate") {
		t.Errorf("Check error %q does not say what to do", err)
	}
	// Status and Check must not create tern's table: serve may be read-only.
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, migrations.DefaultSchema+".schema_version").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("Status created the version table")
	}
}

func TestMigrateBringsSchemaToLatest(t *testing.T) {
	ctx := context.Background()
	conn := connect(t)
	for i := 0; i < 2; i++ { // the second run must be a no-op
		if err := migrations.Migrate(ctx, conn, migrations.DefaultSchema); err != nil {
			t.Fatalf("Migrate run %d: %v", i+1, err)
		}
	}
	current, latest, err := migrations.Status(ctx, conn, migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	if current != latest {
		t.Errorf("after Migrate: current %d, latest %d", current, latest)
	}
	if err := migrations.Check(ctx, conn, migrations.DefaultSchema); err != nil {
		t.Errorf("Check after Migrate: %v", err)
	}
	// A database migrated by a newer binary is reported as ahead.
	if _, err := conn.Exec(ctx, `UPDATE `+migrations.DefaultSchema+".schema_version"+` SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Check(ctx, conn, migrations.DefaultSchema); !errors.Is(err, migrations.ErrAhead) {
		t.Errorf("Check on a newer schema = %v, want ErrAhead", err)
	}
}
