package source

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tablePlan is what Install creates for one watched table.
type tablePlan struct {
	Table
	view, schema string
	// columns are the table's columns by name, for the comparison.
	columns map[string]column
	// insertable is a column that smoke statements may name.
	insertable string
	// searchPath is the functions' search_path: pg_catalog first, so that
	// nothing shadows a built-in, then the table's schema, so that ID_SQL
	// reads as it would in the platform's own SQL.
	searchPath string
	owner      string // ALTER FUNCTION … OWNER TO, "" to keep the installer
}

// column is one column of a watched table.
type column struct {
	name string
	// exact: its type's equality is identity of the value (integers,
	// booleans, text compared in collation "C", dates, times, uuid, bytea,
	// arrays of those), so that the typed comparison is both exact and
	// fast. Other types (numeric 1.0 = 1.00, citext, float -0 = 0, PostGIS'
	// bounding-box based comparisons, json without equality) are compared
	// through their text form, which no two different values share.
	exact   bool
	collate bool // text-like: compared in collation "C"
}

// chainSQL walks the view's dependencies down through the views it reads
// to the relations at the bottom. The rules of a view record a dependency
// on every column it reads (pg_depend, refobjsubid > 0), or on the table
// (refobjsubid 0) when it reads none by name.
const chainSQL = `WITH RECURSIVE chain(oid) AS (
	SELECT to_regclass($1)::oid
	UNION
	SELECT d.refobjid FROM chain
	JOIN pg_rewrite rw ON rw.ev_class = chain.oid
	JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
		AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> chain.oid
)`

// relationsSQL lists the relations of the chain below the view, with
// whether a view of the chain reads whole rows (a whole-row Var, e.g.
// to_json(t), records no column dependency: then every column counts).
const relationsSQL = chainSQL + `
SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text,
	EXISTS (SELECT 1 FROM chain ch JOIN pg_rewrite rw ON rw.ev_class = ch.oid
		WHERE rw.ev_action::text ~ ':varattno 0 ')
FROM chain JOIN pg_class c ON c.oid = chain.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid <> to_regclass($1)
ORDER BY 1`

// usedColumnsSQL lists the columns of tables the chain reads.
const usedColumnsSQL = chainSQL + `
SELECT DISTINCT format('%I.%I', n.nspname, c.relname), a.attname::text
FROM chain
JOIN pg_rewrite rw ON rw.ev_class = chain.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
	AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p')
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid`

// clockFunctions match what makes a view's rows change with time alone.
const clockFunctions = `\m(now|current_date|current_timestamp|localtimestamp|localtime|current_time|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday)\M`

// exactTypes are the types whose equality is identity of the value.
const exactTypes = `'smallint', 'integer', 'bigint', 'boolean', 'text', 'character varying',
	'date', 'timestamp without time zone', 'timestamp with time zone', 'uuid', 'bytea', 'oid'`

// columnsSQL lists a table's columns: exact comparison, collatable,
// insertable by a smoke statement.
const columnsSQL = `SELECT a.attname::text,
	format_type(coalesce(nullif(et.typbasetype, 0), et.oid), NULL) IN (` + exactTypes + `),
	format_type(coalesce(nullif(et.typbasetype, 0), et.oid), NULL) IN ('text', 'character varying'),
	a.attgenerated = '' AND a.attidentity <> 'a'
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
-- an array compares as its elements do
JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// keySQL lists a table's primary key columns in order.
const keySQL = `SELECT a.attname::text
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = to_regclass($1) AND i.indisprimary
ORDER BY k.ord`

// planInstall checks spec against the catalog and returns what to create.
func planInstall(ctx context.Context, tx pgx.Tx, schema string, spec Spec) ([]tablePlan, []string, error) {
	var warnings []string
	base := map[string]bool{} // tables the view reads
	wholeRows := false
	rows, err := tx.Query(ctx, relationsSQL, spec.View)
	if err != nil {
		return nil, nil, err
	}
	var refused []string
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind, &wholeRows); err != nil {
			rows.Close()
			return nil, nil, err
		}
		switch kind {
		case "r", "p":
			base[name] = true
		case "m":
			refused = append(refused, name+" is a materialized view (its rows change on REFRESH, which no trigger sees)")
		case "f":
			refused = append(refused, name+" is a foreign table (its rows change elsewhere)")
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(refused) > 0 {
		return nil, nil, fmt.Errorf("the view reads %s", strings.Join(refused, "; "))
	}
	var sourceKind string
	if err := tx.QueryRow(ctx, `SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)`, spec.View).Scan(&sourceKind); err != nil {
		return nil, nil, err
	}
	used := map[string][]string{}
	if sourceKind != "v" {
		// A table as the source: it reads its own offer columns.
		base[spec.View] = true
		wholeRows = true
	} else {
		rows, err = tx.Query(ctx, usedColumnsSQL, spec.View)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var table, col string
			if err := rows.Scan(&table, &col); err != nil {
				rows.Close()
				return nil, nil, err
			}
			used[table] = append(used[table], col)
		}
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	var clock bool
	if err := tx.QueryRow(ctx, chainSQL+`
		SELECT coalesce(bool_or(pg_get_viewdef(c.oid) ~* $2), false)
		FROM chain JOIN pg_class c ON c.oid = chain.oid WHERE c.relkind = 'v'`, spec.View, clockFunctions).Scan(&clock); err != nil {
		return nil, nil, err
	}
	if clock {
		warnings = append(warnings, "the view reads the clock (now(), current_date…): a row that changes with time alone is written by no one, so no trigger sees it and only the periodic reconcile catches it; give stageindex the dates instead (weeks, published_at), it hides past and future offers by itself")
	}
	if wholeRows {
		warnings = append(warnings, "the view reads whole rows (e.g. to_json(t)): every column of its tables is compared, so updates of any column are recorded")
	}

	owner, err := functionOwner(ctx, tx, schema)
	if err != nil {
		return nil, nil, err
	}
	var plan []tablePlan
	watched := map[string]bool{}
	for _, w := range spec.Watches {
		p, err := planTable(ctx, tx, schema, spec.View, w)
		if err != nil {
			return nil, nil, err
		}
		if watched[p.Name] {
			return nil, nil, fmt.Errorf("--watch lists %s twice", p.Name)
		}
		watched[p.Name] = true
		if !base[p.Name] {
			warnings = append(warnings, fmt.Sprintf("the view does not read %s by name: its triggers only matter if a function of the view reads it", p.Name))
		}
		cols := used[p.Name]
		if wholeRows || p.probeWholeRow {
			cols = p.allColumns
		}
		cols = append(cols, p.idColumns...)
		slices.Sort(cols)
		p.Compared = slices.Compact(cols)
		p.owner = owner
		plan = append(plan, p.tablePlan)
	}
	var unwatched []string
	for t := range base {
		if !watched[t] {
			unwatched = append(unwatched, t)
		}
	}
	if len(unwatched) > 0 {
		slices.Sort(unwatched)
		return nil, nil, fmt.Errorf("the view reads %s, which --watch does not list: its changes would be missed. Add --watch %s=ID_SQL (the ids of the offers a row makes, over the row r), or =* when a change may touch every offer",
			strings.Join(unwatched, ", "), unwatched[0])
	}
	slices.SortFunc(plan, func(a, b tablePlan) int { return strings.Compare(a.Name, b.Name) })
	return plan, warnings, nil
}

// planned is a tablePlan with what the checks of ID_SQL found.
type planned struct {
	tablePlan
	allColumns    []string
	idColumns     []string // columns ID_SQL reads
	probeWholeRow bool     // ID_SQL reads the whole row r
}

// planTable resolves one watch and checks its ID_SQL.
func planTable(ctx context.Context, tx pgx.Tx, schema, view string, w Watch) (planned, error) {
	var p planned
	var kind, tableSchema string
	err := tx.QueryRow(ctx, `SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text, quote_ident(n.nspname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`, w.Table).
		Scan(&p.Name, &kind, &tableSchema)
	if err == pgx.ErrNoRows {
		return p, fmt.Errorf("--watch %s: no such table", w.Table)
	}
	if err != nil {
		return p, fmt.Errorf("--watch %s: %s", w.Table, pgMessage(err))
	}
	if kind != "r" && kind != "p" {
		return p, fmt.Errorf("--watch %s: not a table (triggers go on the tables the view reads)", w.Table)
	}
	p.view, p.schema, p.IDSQL = view, schema, w.IDSQL
	p.searchPath = "pg_catalog, " + tableSchema + ", pg_temp"
	h := hashName(view, p.Name)
	p.Function = schema + ".capture_" + h
	for _, op := range []string{"insert", "update", "delete", "truncate"} {
		p.Triggers = append(p.Triggers, "stageindex_"+h+"_"+op)
	}
	p.columns = map[string]column{}
	rows, err := tx.Query(ctx, columnsSQL, p.Name)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var c column
		var insertable bool
		if err := rows.Scan(&c.name, &c.exact, &c.collate, &insertable); err != nil {
			rows.Close()
			return p, err
		}
		p.columns[c.name] = c
		p.allColumns = append(p.allColumns, c.name)
		if insertable && p.insertable == "" {
			p.insertable = quoteIdent(c.name)
		}
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if p.insertable == "" {
		return p, fmt.Errorf("--watch %s: the table has no column a statement can write", p.Name)
	}
	rows, err = tx.Query(ctx, keySQL, p.Name)
	if err != nil {
		return p, err
	}
	if p.Key, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return p, err
	}
	if w.IDSQL == All {
		return p, nil
	}
	if dollarTag.MatchString(w.IDSQL) {
		return p, fmt.Errorf("--watch %s: ID_SQL must not contain $stageindex$", w)
	}
	if err := p.checkIDSQL(ctx, tx); err != nil {
		return p, fmt.Errorf("--watch %s: ID_SQL does not compile: %s", w, err)
	}
	return p, nil
}

// checkIDSQL compiles ID_SQL over the table, with the search_path of the
// trigger functions, as one prepared statement (so it is one expression,
// nothing more), and finds the columns it reads from a temporary view.
func (p *planned) checkIDSQL(ctx context.Context, tx pgx.Tx) error {
	var saved string
	if err := tx.QueryRow(ctx, `SELECT current_setting('search_path')`).Scan(&saved); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, p.searchPath); err != nil {
		return err
	}
	defer tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, saved)
	// r.ctid beside it refuses an aggregate (one id for the whole table).
	probe := `SELECT (` + p.IDSQL + `)::text AS id, r.ctid FROM ` + p.Name + ` AS r`
	if _, err := tx.Conn().PgConn().Prepare(ctx, "", probe, nil); err != nil {
		return fmt.Errorf("%s", pgMessage(err))
	}
	// Which columns it reads: the dependencies of a temporary view over
	// it, dropped at once. Without the right to create one, compare every
	// column.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	defer sp.Rollback(ctx)
	if _, err := sp.Exec(ctx, `CREATE TEMPORARY VIEW stageindex_id_probe AS SELECT (`+p.IDSQL+`)::text AS id FROM `+p.Name+` AS r`); err != nil {
		p.probeWholeRow = true
		return nil
	}
	rows, err := sp.Query(ctx, `SELECT a.attname::text FROM pg_rewrite rw
		JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
			AND d.refobjid = to_regclass($1) AND d.refobjsubid > 0
		JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE rw.ev_class = 'pg_temp.stageindex_id_probe'::regclass`, p.Name)
	if err != nil {
		return err
	}
	if p.idColumns, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	if err := sp.QueryRow(ctx, `SELECT ev_action::text ~ ':varattno 0 ' FROM pg_rewrite
		WHERE ev_class = 'pg_temp.stageindex_id_probe'::regclass`).Scan(&p.probeWholeRow); err != nil {
		return err
	}
	return nil // the savepoint's rollback drops the probe
}

// functionOwner returns the owner of stageindex's schema when the
// installing role may hand the functions to it, so that the triggers run
// with stageindex's rights (write its own schema, read the platform's
// tables), not the installer's; "" otherwise.
func functionOwner(ctx context.Context, tx pgx.Tx, schema string) (string, error) {
	var owner string
	var can bool
	err := tx.QueryRow(ctx, `SELECT quote_ident(r.rolname), r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER')
		FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = $1`, schema).Scan(&owner, &can)
	if err != nil {
		return "", err
	}
	if !can {
		return "", nil
	}
	return owner, nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
