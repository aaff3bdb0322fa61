// Package testdb gives tests a migrated database on a real PostgreSQL (see
// internal/pgtest; the calling package's TestMain must call pgtest.Main).
package testdb

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

// New returns a pool on a new, migrated database and its URL; the pool is
// closed and the database dropped when t ends.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := pgtest.New(t)
	return On(t, dsn), dsn
}

// On migrates the database at dsn and returns a pool on it, closed when t
// ends.
func On(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := migrations.Migrate(ctx, conn, migrations.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	cfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
