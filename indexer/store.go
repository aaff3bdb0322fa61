// Package indexer moves offers between PostgreSQL and the search index:
// it imports interchange files into the database, loads every offer to build
// an index, and follows the change log to keep that index in sync.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
)

// Store reads and writes offers in a database migrated by package
// migrations.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store using pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Watermark marks the database state an index was built from, so that the
// sync can later replay exactly the changes the index has not seen.
//
// XMin is pg_snapshot_xmin of the snapshot the offers were read in: every
// transaction with a lower id had finished when it was taken, so the changes
// still to replay are the offer_changes rows with txid >= XMin (some of them
// may already be in the index; replaying a change is idempotent). Seq is the
// highest offer_changes.seq visible in that snapshot, for logs and metrics:
// it is not a safe resume point, since seqs are taken before commit.
type Watermark struct {
	XMin uint64
	Seq  int64
}

// watermarkSQL must run first in its transaction: in REPEATABLE READ the
// first statement takes the snapshot every later one reads.
const watermarkSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
	coalesce((SELECT max(seq) FROM offer_changes), 0)`

// offerColumns are read in the order scanOffer expects. Optional strings
// are NULL in the table and "" in stageindex.Offer.
const offerColumns = `id, title, description, employer_name,
	coalesce(employer_description, ''), coalesce(sector, ''), tracks,
	is_public, remote, handicap_accessible, coalesce(street, ''),
	coalesce(zipcode, ''), coalesce(city, ''), coalesce(department, ''),
	latitude, longitude, weeks, max_candidates, coalesce(url, ''), published_at`

// LoadOffers calls fn with every offer in the database, published or not
// (the search core decides with Offer.Searchable), all read in one
// consistent snapshot, and returns the Watermark of that snapshot. An error
// from fn stops the load and is returned wrapped.
func (s *Store) LoadOffers(ctx context.Context, fn func(stageindex.Offer) error) (Watermark, error) {
	var w Watermark
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	// Read-only: rolling back loses nothing and also ends the snapshot.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, watermarkSQL).Scan(&w.XMin, &w.Seq); err != nil {
		return w, fmt.Errorf("indexer: load: watermark: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+offerColumns+` FROM offers ORDER BY id`)
	if err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return w, fmt.Errorf("indexer: load: %w", err)
		}
		if err := fn(o); err != nil {
			return w, fmt.Errorf("indexer: load: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	return w, nil
}

// Get returns the offer with id, or an error of code stageindex.ENOTFOUND.
func (s *Store) Get(ctx context.Context, id string) (stageindex.Offer, error) {
	o, err := scanOffer(s.pool.QueryRow(ctx, `SELECT `+offerColumns+` FROM offers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("indexer: get: %w", stageindex.Errorf(stageindex.ENOTFOUND, "no offer with id %q", id))
	}
	if err != nil {
		return o, fmt.Errorf("indexer: get %q: %w", id, err)
	}
	return o, nil
}

// scanOffer reads one row of offerColumns into an Offer shaped exactly as
// stageindex.ParseOffer returns it: nil Weeks when none, UTC times.
func scanOffer(row pgx.Row) (stageindex.Offer, error) {
	var o stageindex.Offer
	var tracks []string
	err := row.Scan(&o.ID, &o.Title, &o.Description, &o.EmployerName,
		&o.EmployerDescription, &o.Sector, &tracks,
		&o.IsPublic, &o.Remote, &o.HandicapAccessible, &o.Street,
		&o.Zipcode, &o.City, &o.Department,
		&o.Latitude, &o.Longitude, &o.Weeks, &o.MaxCandidates, &o.URL, &o.PublishedAt)
	if err != nil {
		return stageindex.Offer{}, err
	}
	o.Tracks = make([]stageindex.Track, len(tracks))
	for i, t := range tracks {
		o.Tracks[i] = stageindex.Track(t)
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
