// Package migrations holds stageindex's PostgreSQL schema as numbered SQL
// files in tern's format (NNN_name.sql, "---- create above / drop below ----"),
// embedded in the binary, and applies them.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

// VersionTable is where tern records the schema version (tern's default).
const VersionTable = "public.schema_version"

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

// Migrate applies every pending migration, each in its own transaction,
// under tern's advisory lock so that concurrent callers wait for each other.
func Migrate(ctx context.Context, conn *pgx.Conn) error {
	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return fmt.Errorf("migrations: init: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("migrations: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrations: migrate: %w", err)
	}
	return nil
}

// Status returns the database's schema version (0 for a database never
// migrated) and the latest version this binary carries. Unlike tern's
// Migrator it writes nothing, so serve can call it with read-only rights.
func Status(ctx context.Context, conn *pgx.Conn) (current, latest int32, err error) {
	latest, err = Latest()
	if err != nil {
		return 0, 0, err
	}
	const q = `SELECT to_regclass($1) IS NOT NULL`
	var exists bool
	if err := conn.QueryRow(ctx, q, VersionTable).Scan(&exists); err != nil {
		return 0, latest, fmt.Errorf("migrations: status: %w", err)
	}
	if !exists {
		return 0, latest, nil
	}
	// The table name is our constant, not input: it cannot be a parameter.
	if err := conn.QueryRow(ctx, `SELECT version FROM `+VersionTable).Scan(&current); err != nil {
		return 0, latest, fmt.Errorf("migrations: status: %w", err)
	}
	return current, latest, nil
}

// Check returns nil when the database schema is exactly at Latest, and
// otherwise an error wrapping a *VersionError that says what to do.
func Check(ctx context.Context, conn *pgx.Conn) error {
	current, latest, err := Status(ctx, conn)
	if err != nil {
		return err
	}
	if current != latest {
		return fmt.Errorf("migrations: check: %w", &VersionError{Current: current, Latest: latest})
	}
	return nil
}
