// Package source installs and removes the change capture that lets
// stageindex sync from a platform's own view (stageindex serve --source):
// statement-level triggers on the platform's tables, with transition
// tables, whose functions live in stageindex's schema and append the view
// ids a statement may have changed to source_changes (migration 004). It
// changes nothing else of the platform's. docs/platforms.md says how to use
// it; docs/sync.md why no committed change is missed.
package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/migrations"
)

// All is the ID_SQL of a table any change to which may touch every offer
// of the view: the sync then reconciles the whole view.
const All = "*"

// Watch is one table whose changes reach the view.
type Watch struct {
	// Table is the table, schema.table or a name the search_path finds.
	Table string
	// IDSQL is an SQL expression over the changed row, named r, giving the
	// id (or, as a set-returning expression, the ids) of the view rows the
	// row makes; or All.
	IDSQL string
}

// ParseWatch parses TABLE=ID_SQL, as --watch takes it.
func ParseWatch(s string) (Watch, error) {
	table, expr, ok := strings.Cut(s, "=")
	table, expr = strings.TrimSpace(table), strings.TrimSpace(expr)
	if !ok || table == "" || expr == "" {
		return Watch{}, fmt.Errorf("source: --watch %q: want TABLE=ID_SQL, an SQL expression over the changed row r (e.g. internship_offers='ms3-' || r.id) or * when any change may touch every offer", s)
	}
	return Watch{Table: table, IDSQL: expr}, nil
}

func (w Watch) String() string { return w.Table + "=" + w.IDSQL }

// Spec is what to install: the view and the tables it reads.
type Spec struct {
	View    string // schema.view, see indexer.ValidSourceName
	Watches []Watch
}

// Report says what Install or Uninstall did.
type Report struct {
	View string
	// Changed is false when nothing had to change: the same install was
	// already there, or nothing was installed to remove.
	Changed bool
	// Tables are the watched tables as installed (Install) or removed.
	Tables []Table
	// Warnings are doubts that did not stop the install.
	Warnings []string
	// SQL is the DDL run (or, with DryRun, that would have run).
	SQL []string
}

// Table is one watched table as installed.
type Table struct {
	Name  string // schema.table, as the catalog spells it
	IDSQL string
	// Compared are the columns whose change records the row: the ones the
	// view and IDSQL read (every column when the view reads whole rows).
	// An update that changes none of them (a counter, updated_at) costs
	// the trigger's comparison and writes nothing.
	Compared []string
	// Key is the primary key pairing old and new rows of an update; with
	// none, every updated row is recorded.
	Key      []string
	Function string   // schema.function
	Triggers []string // on Name
}

// Options tunes Install and Uninstall.
type Options struct {
	// Schema is stageindex's own schema (migrations.DefaultSchema if empty).
	Schema string
	// DryRun checks and builds everything, then rolls back.
	DryRun bool
}

// ErrNotMigrated is matched by the error of a database whose stageindex
// schema lacks the source tables.
var ErrNotMigrated = errors.New("source: stageindex's schema is not migrated: run stageindex migrate first")

// lockKey serialises installs and uninstalls (pg_advisory_xact_lock).
const lockKey = 8723410552

// Install puts the change capture of spec on the platform's tables, in one
// transaction on conn: for each watched table a function in stageindex's
// schema and four statement-level triggers (insert, update, delete,
// truncate), recorded in sources and source_watches. A second call with
// the same spec changes nothing; with another spec it replaces the first
// (same transaction). It refuses, with nothing installed, a view that is
// not a valid source, a table of the view left unwatched, or an ID_SQL
// that does not compile. A change of the watches also appends a
// whole-view marker, so that running syncs reconcile once.
func Install(ctx context.Context, conn *pgx.Conn, spec Spec, opt Options) (Report, error) {
	rep := Report{View: spec.View}
	schema, err := schemaOf(opt)
	if err != nil {
		return rep, err
	}
	if err := indexer.ValidSourceName(spec.View); err != nil {
		return rep, err
	}
	if len(spec.Watches) == 0 {
		return rep, fmt.Errorf("source: install %s: no --watch: list every table the view reads", spec.View)
	}
	err = inTx(ctx, conn, opt.DryRun, func(tx pgx.Tx) error {
		if err := prepare(ctx, tx, schema); err != nil {
			return err
		}
		if err := indexer.CheckView(ctx, tx, spec.View); err != nil {
			return err
		}
		plan, warnings, err := planInstall(ctx, tx, schema, spec)
		if err != nil {
			return err
		}
		rep.Warnings = warnings
		for _, p := range plan {
			rep.Tables = append(rep.Tables, p.Table)
		}
		same, err := sameAsInstalled(ctx, tx, schema, spec.View, plan)
		if err != nil || same {
			return err
		}
		rep.Changed = true
		drops, err := dropStatements(ctx, tx, schema, spec.View)
		if err != nil {
			return err
		}
		run := func(sql string, args ...any) error {
			rep.SQL = append(rep.SQL, sql)
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return fmt.Errorf("%s: %w", firstLine(sql), err)
			}
			return nil
		}
		for _, sql := range drops {
			if err := run(sql); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+schema+`.sources WHERE view_name = $1`, spec.View); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.sources (view_name) VALUES ($1)`, spec.View); err != nil {
			return err
		}
		for _, p := range plan {
			for _, sql := range p.ddl() {
				if err := run(sql); err != nil {
					return err
				}
			}
			if err := smoke(ctx, tx, p); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.source_watches
				(view_name, table_name, id_sql, function, triggers, definition) VALUES ($1, $2, $3, $4, $5, $6)`,
				spec.View, p.Name, p.IDSQL, p.Function, p.Triggers, p.definition()); err != nil {
				return err
			}
		}
		// The watches changed: whatever a previous watch list missed, a
		// running sync repairs by reconciling the view once.
		if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.source_changes (source, offer_id) VALUES ($1, '')`, spec.View); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify('stageindex_offers', '*')`); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("source: install %s: %w (nothing installed)", spec.View, err)
	}
	return rep, nil
}

// errDryRun rolls a dry run back.
var errDryRun = errors.New("dry run")

// inTx runs fn in one transaction, rolled back after fn when dryRun (a dry
// run does everything, so its report is the real one, and keeps nothing).
func inTx(ctx context.Context, conn *pgx.Conn, dryRun bool, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// Uninstall removes, in one transaction, exactly what Install made for
// view: the triggers calling its functions (wherever their tables now
// are), the functions, its records, and its rows of source_changes. Without
// an install it changes nothing and says so in the Report.
func Uninstall(ctx context.Context, conn *pgx.Conn, view string, opt Options) (Report, error) {
	rep := Report{View: view}
	schema, err := schemaOf(opt)
	if err != nil {
		return rep, err
	}
	if err := indexer.ValidSourceName(view); err != nil {
		return rep, err
	}
	err = inTx(ctx, conn, opt.DryRun, func(tx pgx.Tx) error {
		if err := prepare(ctx, tx, schema); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT table_name, id_sql, function, triggers FROM `+schema+`.source_watches
			WHERE view_name = $1 ORDER BY table_name`, view)
		if err != nil {
			return err
		}
		rep.Tables, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Table, error) {
			var t Table
			err := r.Scan(&t.Name, &t.IDSQL, &t.Function, &t.Triggers)
			return t, err
		})
		if err != nil {
			return err
		}
		drops, err := dropStatements(ctx, tx, schema, view)
		if err != nil {
			return err
		}
		for _, sql := range drops {
			rep.SQL = append(rep.SQL, sql)
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM `+schema+`.sources WHERE view_name = $1`, view)
		if err != nil {
			return err
		}
		rep.Changed = tag.RowsAffected() > 0 || len(drops) > 0
		if _, err := tx.Exec(ctx, `DELETE FROM `+schema+`.source_changes WHERE source = $1`, view); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("source: uninstall %s: %w (nothing removed)", view, err)
	}
	return rep, nil
}

// Installed lists the views with change capture installed.
func Installed(ctx context.Context, conn *pgx.Conn, opt Options) ([]string, error) {
	schema, err := schemaOf(opt)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT view_name FROM `+schema+`.sources ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("source: installed: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func schemaOf(opt Options) (string, error) {
	if opt.Schema == "" {
		return migrations.DefaultSchema, nil
	}
	return opt.Schema, migrations.ValidSchema(opt.Schema)
}

// prepare takes the install lock and checks that the schema has the
// source tables.
func prepare(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockKey)); err != nil {
		return err
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, schema+".source_watches").Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ErrNotMigrated
	}
	return nil
}

// sameAsInstalled reports whether view is installed exactly as plan would
// install it, with every object still there.
func sameAsInstalled(ctx context.Context, tx pgx.Tx, schema, view string, plan []tablePlan) (bool, error) {
	rows, err := tx.Query(ctx, `SELECT w.table_name, w.definition,
			to_regprocedure(w.function || '()') IS NOT NULL
			AND (SELECT count(*) FROM pg_trigger t
				WHERE t.tgfoid = to_regprocedure(w.function || '()') AND t.tgname = ANY(w.triggers)
					AND t.tgrelid = to_regclass(w.table_name)) = cardinality(w.triggers)
		FROM `+schema+`.source_watches w WHERE w.view_name = $1`, view)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	have := map[string]string{}
	for rows.Next() {
		var table, def string
		var intact bool
		if err := rows.Scan(&table, &def, &intact); err != nil {
			return false, err
		}
		if !intact {
			def = "" // an object was dropped by hand: install again
		}
		have[table] = def
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(have) != len(plan) {
		return false, nil
	}
	for _, p := range plan {
		if have[p.Name] != p.definition() {
			return false, nil
		}
	}
	return true, nil
}

// dropStatements returns the DDL removing what is installed for view: the
// triggers that call its recorded functions, found by function wherever
// their table is now (renamed, moved), then the functions.
func dropStatements(ctx context.Context, tx pgx.Tx, schema, view string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT format('DROP TRIGGER %I ON %s', t.tgname, t.tgrelid::regclass)
		FROM `+schema+`.source_watches w
		JOIN pg_trigger t ON t.tgfoid = to_regprocedure(w.function || '()')
		WHERE w.view_name = $1
		ORDER BY w.table_name, t.tgname`, view)
	if err != nil {
		return nil, err
	}
	drops, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT 'DROP FUNCTION ' || w.function || '()'
		FROM `+schema+`.source_watches w
		WHERE w.view_name = $1 AND to_regprocedure(w.function || '()') IS NOT NULL
		ORDER BY w.table_name`, view)
	if err != nil {
		return nil, err
	}
	fns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return append(drops, fns...), nil
}

// smoke fires the new triggers on statements that change no row, so that
// a function that cannot run (its owner may not write source_changes, an
// ID_SQL that fails on a real transition table) fails the install rather
// than the platform's next write. Rows are never touched; statement-level
// triggers of the platform's own, if any, do fire.
func smoke(ctx context.Context, tx pgx.Tx, p tablePlan) error {
	for _, sql := range []string{
		`INSERT INTO ` + p.Name + ` (` + p.insertable + `) SELECT ` + p.insertable + ` FROM ` + p.Name + ` WHERE false`,
		`UPDATE ` + p.Name + ` SET ` + p.insertable + ` = ` + p.insertable + ` WHERE false`,
		`DELETE FROM ` + p.Name + ` WHERE false`,
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("the trigger of %s cannot run (%s): %w", p.Name, firstLine(sql), err)
		}
	}
	return nil
}

// hashName is a short stable name for what view installs on table.
func hashName(view, table string) string {
	h := sha256.Sum256([]byte(view + "\x00" + table))
	return hex.EncodeToString(h[:6])
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// pgMessage shortens a PostgreSQL error to its message and position hint.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

var dollarTag = regexp.MustCompile(`\$stageindex\$`)
