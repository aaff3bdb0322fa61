// Package offerdb declares the columns of stageindex's offers table once,
// for the importer that writes them and the indexer that reads them.
package offerdb

import (
	"strings"
	"time"

	"github.com/stageindex/stageindex"
)

// Column is one column of the offers table and the stageindex.Offer field
// it holds. Table is the only list of them: the SELECT list, the scan,
// the staging table, the COPY row and the upsert are all derived from it,
// so that adding a field to the offer format is one line here (plus the
// migration adding the column).
type Column struct {
	Name string // column name, in table offers and in the staging table
	Type string // its type in the staging table
	// NotNull: the staging column is NOT NULL. Otherwise an optional string
	// is stored as NULL when empty and read back as "".
	NotNull bool
	// Value is what COPY writes for o; Dest is where a scan reads into o.
	Value func(o *stageindex.Offer) any
	Dest  func(o *stageindex.Offer) any
	// Absent is the SQL value a NULL of a platform's view reads as (the
	// interchange format's default), "" when NULL is itself a value
	// (no coordinates, not published).
	Absent string
}

// str declares an optional (nullable) or required text column.
func str(name string, notNull bool, field func(o *stageindex.Offer) *string) Column {
	c := Column{Name: name, Type: "text", NotNull: notNull, Absent: "''", Dest: func(o *stageindex.Offer) any { return field(o) }}
	c.Value = func(o *stageindex.Offer) any {
		if s := *field(o); s != "" || notNull {
			return s
		}
		return nil // an absent optional string is NULL, as the table stores it
	}
	return c
}

func boolean(name string, field func(o *stageindex.Offer) *bool) Column {
	return Column{Name: name, Type: "boolean", NotNull: true, Absent: "false",
		Value: func(o *stageindex.Offer) any { return *field(o) },
		Dest:  func(o *stageindex.Offer) any { return field(o) }}
}

// Table lists the columns of table offers in the order of the
// interchange format.
var Table = []Column{
	str("id", true, func(o *stageindex.Offer) *string { return &o.ID }),
	str("title", true, func(o *stageindex.Offer) *string { return &o.Title }),
	str("description", true, func(o *stageindex.Offer) *string { return &o.Description }),
	str("employer_name", true, func(o *stageindex.Offer) *string { return &o.EmployerName }),
	str("employer_description", false, func(o *stageindex.Offer) *string { return &o.EmployerDescription }),
	str("sector", false, func(o *stageindex.Offer) *string { return &o.Sector }),
	{Name: "tracks", Type: "text[]", NotNull: true, Absent: "'{}'",
		Value: func(o *stageindex.Offer) any { return o.Tracks },
		Dest:  func(o *stageindex.Offer) any { return &o.Tracks }},
	boolean("is_public", func(o *stageindex.Offer) *bool { return &o.IsPublic }),
	boolean("remote", func(o *stageindex.Offer) *bool { return &o.Remote }),
	boolean("handicap_accessible", func(o *stageindex.Offer) *bool { return &o.HandicapAccessible }),
	str("street", false, func(o *stageindex.Offer) *string { return &o.Street }),
	str("zipcode", false, func(o *stageindex.Offer) *string { return &o.Zipcode }),
	str("city", false, func(o *stageindex.Offer) *string { return &o.City }),
	str("department", false, func(o *stageindex.Offer) *string { return &o.Department }),
	{Name: "latitude", Type: "double precision",
		Value: func(o *stageindex.Offer) any { return o.Latitude },
		Dest:  func(o *stageindex.Offer) any { return &o.Latitude }},
	{Name: "longitude", Type: "double precision",
		Value: func(o *stageindex.Offer) any { return o.Longitude },
		Dest:  func(o *stageindex.Offer) any { return &o.Longitude }},
	{Name: "weeks", Type: "text[]", NotNull: true, Absent: "'{}'",
		Value: func(o *stageindex.Offer) any {
			if o.Weeks == nil {
				return []string{} // NOT NULL: pgx sends a nil slice as NULL
			}
			return o.Weeks
		},
		Dest: func(o *stageindex.Offer) any { return &o.Weeks }},
	{Name: "max_candidates", Type: "integer", NotNull: true, Absent: "1",
		Value: func(o *stageindex.Offer) any { return o.MaxCandidates },
		Dest:  func(o *stageindex.Offer) any { return &o.MaxCandidates }},
	str("url", false, func(o *stageindex.Offer) *string { return &o.URL }),
	{Name: "published_at", Type: "timestamptz",
		Value: func(o *stageindex.Offer) any { return o.PublishedAt },
		Dest:  func(o *stageindex.Offer) any { return &o.PublishedAt }},
}

// List joins what f makes of each column of cols with ", ".
func List(cols []Column, f func(c Column) string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = f(c)
	}
	return strings.Join(parts, ", ")
}

// Names is the list of column names.
var Names = List(Table, func(c Column) string { return c.Name })

// SelectList is the SELECT list Scan reads: optional strings are NULL in
// the table and "" in stageindex.Offer.
var SelectList = List(Table, func(c Column) string {
	if c.Type == "text" && !c.NotNull {
		return "coalesce(" + c.Name + ", '')"
	}
	return c.Name
})

// ViewSelectList is the SELECT list Scan reads from a platform's view
// aliased alias: each column cast to its type (a view may use varchar,
// bigint…), NULL read as the format's default. The row must then pass
// stageindex.Offer.Validate: a view has none of the table's CHECKs.
func ViewSelectList(alias string) string {
	return List(Table, func(c Column) string {
		e := alias + "." + c.Name + "::" + c.Type
		if c.Absent != "" {
			e = "coalesce(" + e + ", " + c.Absent + ")"
		}
		return e
	})
}

// Scan reads one row of SelectList into an Offer shaped exactly as
// stageindex.ParseOffer returns it: nil Weeks when none, UTC times.
func Scan(row interface{ Scan(dest ...any) error }) (stageindex.Offer, error) {
	var o stageindex.Offer
	dest := make([]any, len(Table))
	for i, c := range Table {
		dest[i] = c.Dest(&o)
	}
	if err := row.Scan(dest...); err != nil {
		return stageindex.Offer{}, err
	}
	if o.Tracks == nil {
		o.Tracks = []stageindex.Track{}
	}
	if len(o.Weeks) == 0 {
		o.Weeks = nil
	}
	if o.PublishedAt != nil {
		t := o.PublishedAt.In(time.UTC)
		o.PublishedAt = &t
	}
	return o, nil
}

// Row appends the COPY row of o, in Table's order, to row.
func Row(o *stageindex.Offer, row []any) []any {
	for _, c := range Table {
		row = append(row, c.Value(o))
	}
	return row
}

// HasNUL reports whether a text value of o holds a NUL byte, which
// PostgreSQL cannot store.
func HasNUL(o *stageindex.Offer) bool {
	for _, c := range Table {
		switch v := c.Value(o).(type) {
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return true
			}
		case []string:
			for _, s := range v {
				if strings.IndexByte(s, 0) >= 0 {
					return true
				}
			}
		}
	}
	return false
}
