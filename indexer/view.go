package indexer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex/indexer/internal/offerdb"
)

var sourceName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$`)

// ValidSourceName reports whether name can name a platform's view: schema
// and view as plain lower-case SQL identifiers, so that the name is the
// same quoted or not and can be written into SQL as is.
func ValidSourceName(name string) error {
	if !sourceName.MatchString(name) {
		return fmt.Errorf("indexer: source %q: want SCHEMA.VIEW, both lower-case SQL identifiers, such as public.stageindex_offers", name)
	}
	return nil
}

// Skips counts the rows of a view left out because they break the offer
// rules.
type Skips struct {
	// Invalid is the number of rows found invalid when last read (a later
	// valid version, or the row's removal, takes it off).
	Invalid int
	// Total counts the rows found invalid since start, each version of a
	// row once (a row read invalid again for the same reason is not
	// counted again).
	Total int64
}

// Skips returns the counts of view rows left out; zero for the table.
func (s *Store) Skips() Skips {
	s.skips.mu.Lock()
	defer s.skips.mu.Unlock()
	return Skips{Invalid: len(s.skips.invalid), Total: s.skips.total}
}

// skipTracker remembers the invalid rows of a view by id, so that each is
// logged once, not at every reconcile. The sync reads the view from one
// goroutine at a time, but a background build may load while a poll
// reads changes: hence the mutex. A load replaces the whole set with
// what its snapshot saw, which a concurrent poll of a newer snapshot may
// have bettered: the count is as of the last read, not a transaction.
type skipTracker struct {
	mu      sync.Mutex
	invalid map[string]string // id → reason
	total   int64
}

func (t *skipTracker) note(s *Store, id, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.invalid == nil {
		t.invalid = map[string]string{}
	}
	if t.invalid[id] == reason {
		return
	}
	t.invalid[id] = reason
	t.total++
	s.log.Warn("source row skipped: it breaks the offer rules", "source", s.view, "id", id, "reason", reason)
}

func (t *skipTracker) clear(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.invalid, id)
}

// replace makes set the invalid rows, logging and counting those new or
// with a new reason.
func (t *skipTracker) replace(s *Store, set map[string]string) {
	var fresh []string
	t.mu.Lock()
	for id, reason := range set {
		if t.invalid[id] != reason {
			fresh = append(fresh, id)
		}
	}
	t.invalid = set
	t.total += int64(len(fresh))
	t.mu.Unlock()
	sort.Strings(fresh)
	for _, id := range fresh {
		s.log.Warn("source row skipped: it breaks the offer rules", "source", s.view, "id", id, "reason", set[id])
	}
}

// viewTypes are the column types a view may give each offer column: those
// whose cast to the column's type cannot fail on any value, so that no row
// of the view can make a whole read fail. Domains count as their base type.
var viewTypes = map[string][]string{
	"text":             {"text", "character varying", "character", "name"},
	"text[]":           {"text[]", "character varying[]"},
	"boolean":          {"boolean"},
	"integer":          {"integer", "smallint"},
	"double precision": {"double precision", "real", "integer", "smallint"},
	"timestamptz":      {"timestamp with time zone"},
}

// viewColumnsSQL lists the columns of a relation with their types (a
// domain's base type), "" when the relation does not exist.
const viewColumnsSQL = `SELECT c.relkind::text, a.attname::text,
	format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), NULL)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.oid = to_regclass($1)`

// CheckView returns nil when view (schema.view) can be a source: it
// exists, is readable, and has every offer column with a type that reads
// without error; otherwise an error saying what to change in the view.
func CheckView(ctx context.Context, conn interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, view string) error {
	if err := ValidSourceName(view); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, viewColumnsSQL, view)
	if err != nil {
		return fmt.Errorf("indexer: source %s: %w", view, err)
	}
	types := map[string]string{}
	var kind string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&kind, &name, &typ); err != nil {
			rows.Close()
			return fmt.Errorf("indexer: source %s: %w", view, err)
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("indexer: source %s: %w", view, err)
	}
	switch kind {
	case "":
		return fmt.Errorf("indexer: source %s: no such view (or no access to it)", view)
	case "v", "r", "p":
	case "m":
		return fmt.Errorf("indexer: source %s is a materialized view: its rows change on REFRESH, which no trigger sees; use a plain view", view)
	default:
		return fmt.Errorf("indexer: source %s is not a view", view)
	}
	var missing, wrong []string
	for _, c := range offerdb.Table {
		typ, ok := types[c.Name]
		switch {
		case !ok:
			missing = append(missing, c.Name)
		case typ == "timestamp without time zone" || typ == "date":
			wrong = append(wrong, fmt.Sprintf("%s is %s, whose time zone would be the session's: write it as timestamptz (e.g. %s AT TIME ZONE 'UTC')", c.Name, typ, c.Name))
		case !slices.Contains(viewTypes[c.Type], typ):
			wrong = append(wrong, fmt.Sprintf("%s is %s, want %s (cast it in the view)", c.Name, typ, strings.Join(viewTypes[c.Type], " or ")))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("indexer: source %s lacks the column(s) %s: a source view has every offer column (%s), NULL where the platform has none",
			view, strings.Join(missing, ", "), offerdb.Names)
	}
	if len(wrong) > 0 {
		return fmt.Errorf("indexer: source %s: %s", view, strings.Join(wrong, "; "))
	}
	// Reading it also checks the rights on the view and what it reads.
	rows, err = conn.Query(ctx, `SELECT `+offerdb.ViewSelectList("v")+` FROM `+view+` AS v LIMIT 0`)
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	if err != nil {
		return fmt.Errorf("indexer: source %s cannot be read: %w", view, err)
	}
	return nil
}

// Check returns nil when the Store can sync from its source: always for
// the table; for a view, CheckView and an installed change capture (a
// view without it would only be caught up by the periodic reconcile).
func (s *Store) Check(ctx context.Context) error {
	if s.view == "" {
		return nil
	}
	if err := CheckView(ctx, s.pool, s.view); err != nil {
		return err
	}
	var installed bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sources WHERE view_name = $1)`, s.view).Scan(&installed); err != nil {
		return fmt.Errorf("indexer: source %s: %w", s.view, err)
	}
	if !installed {
		return fmt.Errorf("indexer: source %s has no change capture installed: run stageindex source install --view %s --watch TABLE=ID_SQL…", s.view, s.view)
	}
	return nil
}
