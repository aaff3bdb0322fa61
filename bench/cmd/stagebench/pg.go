package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

// pgEnv is the throwaway PostgreSQL of a run, migrated and filled.
type pgEnv struct {
	cluster *pgtest.Cluster
	pool    *pgxpool.Pool
	store   *indexer.Store
}

// startPG starts a throwaway cluster and migrates its postgres database.
// The pool allows one connection per load worker, plus one.
func startPG(ctx context.Context, conns int) (*pgEnv, error) {
	c, err := pgtest.StartCluster(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	dsn := c.DSN("postgres")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	err = migrations.Migrate(ctx, conn, migrations.DefaultSchema)
	conn.Close(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	cfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	cfg.MaxConns = int32(conns + 1)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	return &pgEnv{cluster: c, pool: pool, store: indexer.NewStore(pool)}, nil
}

// close stops the pool and removes the cluster.
func (e *pgEnv) close() error {
	e.pool.Close()
	return e.cluster.Close()
}

// vacuum leaves nothing for autovacuum to do during the measurements:
// hint bits set, visibility map and statistics up to date.
func (e *pgEnv) vacuum(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := e.pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return 0, fmt.Errorf("bench: vacuum: %w", err)
	}
	return time.Since(start), nil
}

// settings reports the server's version and the settings that matter for
// the baseline's speed, for the record.
func (e *pgEnv) settings(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	var v string
	if err := e.pool.QueryRow(ctx, `SELECT version()`).Scan(&v); err != nil {
		return nil, fmt.Errorf("bench: settings: %w", err)
	}
	out["version"] = v
	if err := e.pool.QueryRow(ctx, `SELECT postgis_lib_version()`).Scan(&v); err == nil {
		out["postgis"] = v
	}
	rows, err := e.pool.Query(ctx, `SELECT name, setting || coalesce(unit, '') FROM pg_settings
		WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit', 'max_parallel_workers_per_gather', 'random_page_cost')`)
	if err != nil {
		return nil, fmt.Errorf("bench: settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, s string
		if err := rows.Scan(&k, &s); err != nil {
			return nil, fmt.Errorf("bench: settings: %w", err)
		}
		out[k] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bench: settings: %w", err)
	}
	return out, nil
}
