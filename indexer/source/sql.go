package source

import (
	"slices"
	"strings"
)

// ddl returns the statements creating p's function and triggers.
func (p tablePlan) ddl() []string {
	out := []string{p.functionSQL()}
	if p.owner != "" {
		out = append(out, `ALTER FUNCTION `+p.Function+`() OWNER TO `+p.owner)
	}
	return append(out, p.triggerSQL()...)
}

// definition is what sameAsInstalled compares: the DDL, owner aside.
func (p tablePlan) definition() string {
	return p.functionSQL() + ";\n" + strings.Join(p.triggerSQL(), ";\n")
}

func (p tablePlan) triggerSQL() []string {
	call := ` FOR EACH STATEMENT EXECUTE FUNCTION ` + p.Function + `()`
	return []string{
		`CREATE TRIGGER ` + p.Triggers[0] + ` AFTER INSERT ON ` + p.Name + ` REFERENCING NEW TABLE AS new_rows` + call,
		`CREATE TRIGGER ` + p.Triggers[1] + ` AFTER UPDATE ON ` + p.Name + ` REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows` + call,
		`CREATE TRIGGER ` + p.Triggers[2] + ` AFTER DELETE ON ` + p.Name + ` REFERENCING OLD TABLE AS old_rows` + call,
		`CREATE TRIGGER ` + p.Triggers[3] + ` AFTER TRUNCATE ON ` + p.Name + call,
	}
}

// unchanged is the condition that row o of one transition table is row r
// of the other with the same values in every compared column: the pair is
// found by primary key; without one, no row is ever unchanged.
func (p tablePlan) unchanged() string {
	if len(p.Key) == 0 {
		return "false"
	}
	var conds []string
	for _, k := range p.Key {
		q := quoteIdent(k)
		conds = append(conds, "o."+q+" = r."+q)
	}
	for _, name := range p.Compared {
		if slices.Contains(p.Key, name) {
			continue // paired on already
		}
		c := p.columns[name]
		q := quoteIdent(name)
		a, b := "o."+q, "r."+q
		switch {
		case c.collate:
			a, b = a+` COLLATE "C"`, b+` COLLATE "C"`
		case !c.exact:
			a, b = a+"::text", b+"::text"
		}
		conds = append(conds, a+" IS NOT DISTINCT FROM "+b)
	}
	return strings.Join(conds, "\n\t\t\t\tAND ")
}

// functionSQL is the trigger function: on every statement it appends to
// source_changes the view ids of the rows the statement inserted, deleted,
// or updated in a compared column (old and new ids both: a row that moves
// from an offer to another touches the two), or for a '*' watch and any
// TRUNCATE the whole-view marker, and wakes the syncs. It runs as its
// owner (SECURITY DEFINER), so the platform's roles need no right on
// stageindex's schema.
//
// enable_nestloop is off in it: PL/pgSQL keeps the plan of each statement
// for the session, made for the transition tables of the first call. A
// session whose first update touched one row would otherwise keep a
// nested-loop pairing of old and new rows, and a later 10,000-row update
// would compare 10⁸ pairs (minutes, measured). A hash join costs nothing
// more on one row.
func (p tablePlan) functionSQL() string {
	changes := p.schema + ".source_changes"
	view := "'" + p.view + "'" // a valid source name needs no escaping
	marker := func(indent string) string {
		return `INSERT INTO ` + changes + ` (source, offer_id) VALUES (` + view + `, '');
` + indent + `n := 1;`
	}
	var insert, update, delete string
	if p.IDSQL == All {
		insert = `IF EXISTS (SELECT FROM new_rows) THEN
            ` + marker("            ") + `
        END IF;`
		delete = strings.ReplaceAll(insert, "new_rows", "old_rows")
		// An update has as many old rows as new: if every new row has an
		// unchanged old one, nothing changed.
		update = `IF EXISTS (SELECT FROM new_rows AS r WHERE NOT EXISTS (
                SELECT FROM old_rows AS o WHERE ` + p.unchanged() + `)) THEN
            ` + marker("            ") + `
        END IF;`
	} else {
		ids := func(from string) string {
			return `INSERT INTO ` + changes + ` (source, offer_id)
        SELECT DISTINCT ` + view + `, s.id FROM (SELECT (` + p.IDSQL + `)::text AS id FROM ` + from + ` AS r) AS s
        WHERE s.id IS NOT NULL;
        GET DIAGNOSTICS n = ROW_COUNT;`
		}
		insert, delete = ids("new_rows"), ids("old_rows")
		update = `INSERT INTO ` + changes + ` (source, offer_id)
        SELECT DISTINCT ` + view + `, s.id FROM (
            SELECT (` + p.IDSQL + `)::text AS id FROM new_rows AS r
            WHERE NOT EXISTS (SELECT FROM old_rows AS o WHERE ` + p.unchanged() + `)
            UNION ALL
            SELECT (` + p.IDSQL + `)::text AS id FROM old_rows AS r
            WHERE NOT EXISTS (SELECT FROM new_rows AS o WHERE ` + p.unchanged() + `)
        ) AS s
        WHERE s.id IS NOT NULL;
        GET DIAGNOSTICS n = ROW_COUNT;`
	}
	return `CREATE FUNCTION ` + p.Function + `() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ` + p.searchPath + `
SET enable_nestloop = off
AS $stageindex$
-- stageindex source install: view ` + p.view + `, table ` + p.Name + `, ids ` + oneLine(p.IDSQL) + `
DECLARE
    n bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        ` + marker("        ") + `
    ELSIF TG_OP = 'INSERT' THEN
        ` + insert + `
    ELSIF TG_OP = 'DELETE' THEN
        ` + delete + `
    ELSE
        ` + update + `
    END IF;
    IF n > 0 THEN
        -- A hint: the listener reads source_changes, not the payload.
        PERFORM pg_notify('stageindex_offers', '*');
    END IF;
    RETURN NULL;
END
$stageindex$`
}

// oneLine keeps ID_SQL on the comment's line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
