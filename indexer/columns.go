package indexer

import (
	"strings"
	"time"

	"github.com/stageindex/stageindex"
)

// column is one column of the offers table and the stageindex.Offer field
// it holds. offerTable is the only list of them: the SELECT list, the scan,
// the staging table, the COPY row and the upsert are all derived from it,
// so that adding a field to the offer format is one line here (plus the
// migration adding the column).
type column struct {
	name string // column name, in table offers and in the staging table
	typ  string // its type in the staging table
	// notNull: the staging column is NOT NULL. Otherwise an optional string
	// is stored as NULL when empty and read back as "".
	notNull bool
	// value is what COPY writes for o; dest is where a scan reads into o.
	value func(o *stageindex.Offer) any
	dest  func(o *stageindex.Offer) any
}

// str declares an optional (nullable) or required text column.
func str(name string, notNull bool, field func(o *stageindex.Offer) *string) column {
	c := column{name: name, typ: "text", notNull: notNull, dest: func(o *stageindex.Offer) any { return field(o) }}
	c.value = func(o *stageindex.Offer) any {
		if s := *field(o); s != "" || notNull {
			return s
		}
		return nil // an absent optional string is NULL, as the table stores it
	}
	return c
}

func boolean(name string, field func(o *stageindex.Offer) *bool) column {
	return column{name: name, typ: "boolean", notNull: true,
		value: func(o *stageindex.Offer) any { return *field(o) },
		dest:  func(o *stageindex.Offer) any { return field(o) }}
}

// offerTable lists the columns of table offers in the order of the
// interchange format.
var offerTable = []column{
	str("id", true, func(o *stageindex.Offer) *string { return &o.ID }),
	str("title", true, func(o *stageindex.Offer) *string { return &o.Title }),
	str("description", true, func(o *stageindex.Offer) *string { return &o.Description }),
	str("employer_name", true, func(o *stageindex.Offer) *string { return &o.EmployerName }),
	str("employer_description", false, func(o *stageindex.Offer) *string { return &o.EmployerDescription }),
	str("sector", false, func(o *stageindex.Offer) *string { return &o.Sector }),
	{name: "tracks", typ: "text[]", notNull: true,
		value: func(o *stageindex.Offer) any { return o.Tracks },
		dest:  func(o *stageindex.Offer) any { return &o.Tracks }},
	boolean("is_public", func(o *stageindex.Offer) *bool { return &o.IsPublic }),
	boolean("remote", func(o *stageindex.Offer) *bool { return &o.Remote }),
	boolean("handicap_accessible", func(o *stageindex.Offer) *bool { return &o.HandicapAccessible }),
	str("street", false, func(o *stageindex.Offer) *string { return &o.Street }),
	str("zipcode", false, func(o *stageindex.Offer) *string { return &o.Zipcode }),
	str("city", false, func(o *stageindex.Offer) *string { return &o.City }),
	str("department", false, func(o *stageindex.Offer) *string { return &o.Department }),
	{name: "latitude", typ: "double precision",
		value: func(o *stageindex.Offer) any { return o.Latitude },
		dest:  func(o *stageindex.Offer) any { return &o.Latitude }},
	{name: "longitude", typ: "double precision",
		value: func(o *stageindex.Offer) any { return o.Longitude },
		dest:  func(o *stageindex.Offer) any { return &o.Longitude }},
	{name: "weeks", typ: "text[]", notNull: true,
		value: func(o *stageindex.Offer) any {
			if o.Weeks == nil {
				return []string{} // NOT NULL: pgx sends a nil slice as NULL
			}
			return o.Weeks
		},
		dest: func(o *stageindex.Offer) any { return &o.Weeks }},
	{name: "max_candidates", typ: "integer", notNull: true,
		value: func(o *stageindex.Offer) any { return o.MaxCandidates },
		dest:  func(o *stageindex.Offer) any { return &o.MaxCandidates }},
	str("url", false, func(o *stageindex.Offer) *string { return &o.URL }),
	{name: "published_at", typ: "timestamptz",
		value: func(o *stageindex.Offer) any { return o.PublishedAt },
		dest:  func(o *stageindex.Offer) any { return &o.PublishedAt }},
}

// columnList joins the column names, each through f.
func columnList(f func(c column) string) string {
	parts := make([]string, len(offerTable))
	for i, c := range offerTable {
		parts[i] = f(c)
	}
	return strings.Join(parts, ", ")
}

// offerColumns is the SELECT list scanOffer reads: optional strings are
// NULL in the table and "" in stageindex.Offer.
var offerColumns = columnList(func(c column) string {
	if c.typ == "text" && !c.notNull {
		return "coalesce(" + c.name + ", '')"
	}
	return c.name
})

// scanOffer reads one row of offerColumns into an Offer shaped exactly as
// stageindex.ParseOffer returns it: nil Weeks when none, UTC times.
func scanOffer(row interface{ Scan(dest ...any) error }) (stageindex.Offer, error) {
	var o stageindex.Offer
	dest := make([]any, len(offerTable))
	for i, c := range offerTable {
		dest[i] = c.dest(&o)
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

// offerRow is the COPY row of o, in offerTable's order.
func offerRow(o *stageindex.Offer, row []any) []any {
	for _, c := range offerTable {
		row = append(row, c.value(o))
	}
	return row
}

// hasNUL reports whether a text value of o holds a NUL byte, which
// PostgreSQL cannot store.
func hasNUL(o *stageindex.Offer) bool {
	for _, c := range offerTable {
		switch v := c.value(o).(type) {
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
