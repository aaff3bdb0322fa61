// Package indexer keeps search indexes equal to the offers of PostgreSQL:
// it loads every offer to build an index and follows the change log to keep
// that index in sync. It only reads the database; writing offers into it is
// package importer's job.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/internal/offerdb"
)

// Store reads offers from a database migrated by package migrations:
// either stageindex's own offers table (NewStore) or a platform's view
// (NewViewStore), whose changes come from the triggers `stageindex source
// install` put on the platform's tables.
type Store struct {
	pool *pgxpool.Pool
	// view is the platform's view as schema.view, "" for table offers.
	view string
	q    queries
	log  *slog.Logger
	// skips tracks the view rows that break the offer rules.
	skips skipTracker
}

// queries are the statements that differ between the table and a view.
type queries struct {
	load, byIDs, get string
	watermark        string // see watermarkSQL
	snapshot         string // see changeSnapshotSQL
	changedIDs       string // see changedIDsSQL; $3 is the source for a view
}

// NewStore returns a Store reading stageindex's offers table through pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, log: slog.Default(), q: queries{
		load:       `SELECT ` + offerdb.SelectList + ` FROM offers ORDER BY id`,
		byIDs:      `SELECT ` + offerdb.SelectList + ` FROM offers WHERE id = ANY($1)`,
		get:        `SELECT ` + offerdb.SelectList + ` FROM offers WHERE id = $1`,
		watermark:  watermarkSQL,
		snapshot:   changeSnapshotSQL,
		changedIDs: changedIDsSQL,
	}}
}

// NewViewStore returns a Store reading the platform's view (schema.view,
// see ValidSourceName) through pool, and its changes from the rows that
// `stageindex source install` triggers append to source_changes. Every
// row goes through stageindex.Offer.Validate: a row that breaks the offer
// rules is left out (as if absent from the view), logged once on logger
// with its id and reason, and counted in Skips.
func NewViewStore(pool *pgxpool.Pool, view string, logger *slog.Logger) (*Store, error) {
	if err := ValidSourceName(view); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	list := offerdb.ViewSelectList("v")
	// A view has no index on its id expression ('ms3-' || id): a join
	// with the wanted ids costs one hash join over the view, not one
	// scan per id.
	return &Store{pool: pool, view: view, log: logger, q: queries{
		load:  `SELECT ` + list + ` FROM ` + view + ` AS v ORDER BY 1`,
		byIDs: `SELECT ` + list + ` FROM ` + view + ` AS v JOIN unnest($1::text[]) AS c(id) ON v.id::text = c.id`,
		get:   `SELECT ` + list + ` FROM ` + view + ` AS v WHERE v.id::text = $1`,
		watermark: `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
	coalesce((SELECT max(seq) FROM source_changes), 0)`,
		snapshot: `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
	pg_current_snapshot()::text,
	coalesce((SELECT max(seq) FROM source_changes), 0)`,
		changedIDs: `SELECT offer_id, count(*), min(changed_at) FROM source_changes
	WHERE source = $3 AND txid >= $1::text::xid8
		AND pg_visible_in_snapshot(txid, pg_current_snapshot())
		AND ($2::text IS NULL OR NOT pg_visible_in_snapshot(txid, $2::text::pg_snapshot))
	GROUP BY offer_id`,
	}}, nil
}

// SourceName names what the Store reads: "offers" for stageindex's own
// table, else the view as schema.view. An index built from one source
// cannot be caught up from another's change log.
func (s *Store) SourceName() string {
	if s.view == "" {
		return "offers"
	}
	return s.view
}

// Watermark marks the database state an index was built from, so that the
// sync can later replay exactly the changes the index has not seen.
//
// XMin is pg_snapshot_xmin of the snapshot the offers were read in: every
// transaction with a lower id had finished when it was taken, so the changes
// still to replay are the change log rows with txid >= XMin (some of them
// may already be in the index; replaying a change is idempotent). Seq is the
// highest change log seq visible in that snapshot, for logs and metrics:
// it is not a safe resume point, since seqs are taken before commit.
type Watermark struct {
	XMin uint64
	Seq  int64
}

// watermarkSQL must run first in its transaction: in REPEATABLE READ the
// first statement takes the snapshot every later one reads.
const watermarkSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
	coalesce((SELECT max(seq) FROM offer_changes), 0)`

// LoadOffers calls fn with every offer in the database, published or not
// (the search core decides with Offer.Searchable), all read in one
// consistent snapshot, and returns the Watermark of that snapshot. An error
// from fn stops the load and is returned wrapped. From a view, the rows
// breaking the offer rules are left out and counted (Skips).
func (s *Store) LoadOffers(ctx context.Context, fn func(stageindex.Offer) error) (Watermark, error) {
	var w Watermark
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	// Read-only: rolling back loses nothing and also ends the snapshot.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, s.q.watermark).Scan(&w.XMin, &w.Seq); err != nil {
		return w, fmt.Errorf("indexer: load: watermark: %w", err)
	}
	if err := s.viewSettings(ctx, tx); err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	rows, err := tx.Query(ctx, s.q.load)
	if err != nil {
		return w, fmt.Errorf("indexer: load %s: %w", s.SourceName(), err)
	}
	defer rows.Close()
	each, flush := fn, func() error { return nil }
	if s.view != "" {
		each, flush = s.validLoad(fn)
	}
	for rows.Next() {
		o, err := offerdb.Scan(rows)
		if err != nil {
			return w, fmt.Errorf("indexer: load %s: %w", s.SourceName(), err)
		}
		if err := each(o); err != nil {
			return w, fmt.Errorf("indexer: load: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return w, fmt.Errorf("indexer: load %s: %w", s.SourceName(), err)
	}
	if err := flush(); err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	return w, nil
}

// validLoad wraps fn for a view's rows, read in id order: each holds a row
// until the next one shows whether its id is unique, validates it, and
// passes on the valid ones; flush handles the last row and records the
// rows found invalid as all the invalid rows of the view.
func (s *Store) validLoad(fn func(stageindex.Offer) error) (each func(stageindex.Offer) error, flush func() error) {
	var held stageindex.Offer
	var has, dup bool
	invalid := map[string]string{}
	release := func() error {
		if !has {
			return nil
		}
		if reason := s.check(&held, dup); reason != "" {
			invalid[held.ID] = reason
			return nil
		}
		return fn(held)
	}
	each = func(o stageindex.Offer) error {
		if has && o.ID == held.ID {
			dup = true
			return nil
		}
		if err := release(); err != nil {
			return err
		}
		held, has, dup = o, true, false
		return nil
	}
	flush = func() error {
		if err := release(); err != nil {
			return err
		}
		s.skips.replace(s, invalid)
		return nil
	}
	return each, flush
}

// viewSettings tunes the planner for the rest of tx when reading a view.
// JIT off: a view's per-row subqueries (its weeks, say) inflate the cost
// estimate far past jit_above_cost, and compiling then takes longer than
// the query (measured on the monstage view: 0.97 s of JIT for 0.6 s of
// execution over 10,000 rows). Custom plans always: the same statement
// reads one id or 10,000, and a generic plan made for neither could be
// kept by the statement cache. Run after the snapshot statement, which
// must stay first.
func (s *Store) viewSettings(ctx context.Context, tx pgx.Tx) error {
	if s.view == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan`)
	return err
}

// check validates a row of the view in place (Validate also normalises)
// and returns why it is left out, "" when it is valid.
func (s *Store) check(o *stageindex.Offer, dup bool) string {
	if dup {
		return "id: several rows of the view have this id"
	}
	// The id is the key of later changes and deletes: it must be exactly
	// the view's, not trimmed by Validate.
	if id := o.ID; strings.TrimSpace(id) != id {
		return "id: has leading or trailing spaces"
	}
	oe := &stageindex.OfferError{}
	o.Validate(oe)
	if len(oe.Fields) > 0 {
		return oe.Error()
	}
	return ""
}

// Get returns the offer with id, or an error of code stageindex.ENOTFOUND
// (also for a view row that breaks the offer rules).
func (s *Store) Get(ctx context.Context, id string) (stageindex.Offer, error) {
	if s.view != "" {
		offers, err := s.readByIDs(ctx, s.pool, []string{id})
		if err != nil {
			return stageindex.Offer{}, fmt.Errorf("indexer: get %q: %w", id, err)
		}
		if len(offers) == 0 {
			return stageindex.Offer{}, fmt.Errorf("indexer: get: %w", stageindex.Errorf(stageindex.ENOTFOUND, "no valid offer with id %q in %s", id, s.view))
		}
		return offers[0], nil
	}
	o, err := offerdb.Scan(s.pool.QueryRow(ctx, s.q.get, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("indexer: get: %w", stageindex.Errorf(stageindex.ENOTFOUND, "no offer with id %q", id))
	}
	if err != nil {
		return o, fmt.Errorf("indexer: get %q: %w", id, err)
	}
	return o, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readByIDs returns the current rows among ids, in q's snapshot. From a
// view, only the valid ones: the others are noted in s.skips, and a
// missing id is cleared from it.
func (s *Store) readByIDs(ctx context.Context, q querier, ids []string) ([]stageindex.Offer, error) {
	rows, err := q.Query(ctx, s.q.byIDs, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stageindex.Offer
	for rows.Next() {
		o, err := offerdb.Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.view == "" {
		return out, nil
	}
	n := map[string]int{}
	for _, o := range out {
		n[o.ID]++
	}
	valid := out[:0]
	for i := range out {
		o := out[i]
		reason := s.check(&o, n[o.ID] > 1)
		if reason != "" {
			s.skips.note(s, o.ID, reason)
			continue
		}
		s.skips.clear(o.ID)
		valid = append(valid, o)
	}
	for _, id := range ids {
		if n[id] == 0 {
			s.skips.clear(id)
		}
	}
	return valid, nil
}
