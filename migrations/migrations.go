// Package migrations holds stageindex's PostgreSQL schema as numbered SQL
// files in tern's format (NNN_name.sql, "---- create above / drop below ----"),
// embedded in the binary, and applies them. Every object stageindex owns
// lives in one schema of its own (DefaultSchema unless configured), which
// the files name as {{.schema}}.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// DefaultSchema is the schema of stageindex's own objects (--schema).
const DefaultSchema = "stageindex"

// versionTable is where tern records the schema version.
func versionTable(schema string) string { return schema + ".schema_version" }

// legacyVersionTable is where versions before 3 kept it.
const legacyVersionTable = "public.schema_version"

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema reports whether name can be stageindex's schema: a plain
// lower-case SQL identifier, so that it needs no quoting in the migrations.
func ValidSchema(name string) error {
	if !schemaName.MatchString(name) || name == "pg_catalog" || name == "information_schema" {
		return fmt.Errorf("migrations: schema %q: want a lower-case identifier such as %s", name, DefaultSchema)
	}
	return nil
}

// PoolConfig parses a database URL for a pool whose connections resolve
// stageindex's tables in schema (search_path), then in public: the SQL of
// the indexer and the importer names them unqualified.
func PoolConfig(url, schema string) (*pgxpool.Config, error) {
	if err := ValidSchema(schema); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("migrations: database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ", public"
	return cfg, nil
}

//go:embed *.sql
var files embed.FS

// ErrBehind is matched (errors.Is) by the error Check returns when the
// database needs migrations this binary carries.
var ErrBehind = errors.New("migrations: database schema is behind")

// ErrAhead is matched by the error Check returns when the database was
// migrated by a newer binary: this one does not know the schema it would read.
var ErrAhead = errors.New("migrations: database schema is ahead")

// VersionError reports a database schema at another version than the binary's.
type VersionError struct {
	Current, Latest int32
}

func (e *VersionError) Error() string {
	if e.Current < e.Latest {
		return fmt.Sprintf("database schema is at version %d, this binary needs %d: run stageindex migrate", e.Current, e.Latest)
	}
	return fmt.Sprintf("database schema is at version %d, newer than this binary's %d: upgrade stageindex", e.Current, e.Latest)
}

// Is makes errors.Is(err, ErrBehind) and errors.Is(err, ErrAhead) work.
func (e *VersionError) Is(target error) bool {
	return (target == ErrBehind && e.Current < e.Latest) || (target == ErrAhead && e.Current > e.Latest)
}

// Latest returns the version the embedded migrations lead to.
func Latest() (int32, error) {
	paths, err := migrate.FindMigrations(files)
	if err != nil {
		return 0, fmt.Errorf("migrations: list: %w", err)
	}
	return int32(len(paths)), nil
}

// Migrate applies every pending migration to schema, each in its own
// transaction, under tern's advisory lock so that concurrent callers wait
// for each other. It creates the schema if needed, moves the version table
// of an installation from before version 3 into it. It works on a
// connection of its own, opened with conn's configuration.
func Migrate(ctx context.Context, conn *pgx.Conn, schema string) error {
	if err := ValidSchema(schema); err != nil {
		return err
	}
	// tern resets the session after each migration ("reset all"), back to
	// the search_path the connection started with: migrations run on a
	// connection of their own that starts with schema first.
	cfg, err := pgx.ParseConfig(conn.Config().ConnString())
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	for k, v := range conn.Config().RuntimeParams {
		cfg.RuntimeParams[k] = v
	}
	cfg.RuntimeParams["search_path"] = schema + ", public"
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// One migrate at a time moves the version table (tern's own lock
		// only covers what follows).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(8723410551)`); err != nil {
			return err
		}
		// Created only when missing: CREATE SCHEMA IF NOT EXISTS needs
		// the CREATE right on the database even when the schema exists,
		// and a DBA may give stageindex's role its schema and no more
		// (CREATE SCHEMA stageindex AUTHORIZATION …, docs/platforms.md).
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regnamespace($1) IS NOT NULL`, schema).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
				return err
			}
		}
		var legacy, current bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL`,
			legacyVersionTable, versionTable(schema)).Scan(&legacy, &current); err != nil {
			return err
		}
		if legacy && !current && schema != "public" {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+legacyVersionTable+` SET SCHEMA `+schema); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrations: schema %s: %w", schema, err)
	}
	m, err := migrate.NewMigrator(ctx, conn, versionTable(schema))
	if err != nil {
		return fmt.Errorf("migrations: init: %w", err)
	}
	m.Data["schema"] = schema
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("migrations: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrations: migrate: %w", err)
	}
	return nil
}

// Status returns the version of stageindex's schema (0 for a database never
// migrated, or migrated only before version 3: that is behind too) and the
// latest version this binary carries. Unlike tern's Migrator it writes
// nothing, so serve can call it with read-only rights.
func Status(ctx context.Context, conn *pgx.Conn, schema string) (current, latest int32, err error) {
	if err := ValidSchema(schema); err != nil {
		return 0, 0, err
	}
	latest, err = Latest()
	if err != nil {
		return 0, 0, err
	}
	const q = `SELECT to_regclass($1) IS NOT NULL`
	var exists bool
	if err := conn.QueryRow(ctx, q, versionTable(schema)).Scan(&exists); err != nil {
		return 0, latest, fmt.Errorf("migrations: status: %w", err)
	}
	table := versionTable(schema)
	if !exists {
		// An installation from before version 3 keeps its version in
		// public, and is behind.
		if err := conn.QueryRow(ctx, q, legacyVersionTable).Scan(&exists); err != nil {
			return 0, latest, fmt.Errorf("migrations: status: %w", err)
		}
		if !exists {
			return 0, latest, nil
		}
		table = legacyVersionTable
	}
	// The schema passed ValidSchema; a table name cannot be a parameter.
	if err := conn.QueryRow(ctx, `SELECT version FROM `+table).Scan(&current); err != nil {
		return 0, latest, fmt.Errorf("migrations: status: %w", err)
	}
	return current, latest, nil
}

// Check returns nil when the database schema is exactly at Latest, and
// otherwise an error wrapping a *VersionError that says what to do.
func Check(ctx context.Context, conn *pgx.Conn, schema string) error {
	current, latest, err := Status(ctx, conn, schema)
	if err != nil {
		return err
	}
	if current != latest {
		return fmt.Errorf("migrations: check: %w", &VersionError{Current: current, Latest: latest})
	}
	return nil
}
