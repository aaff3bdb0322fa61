// Package indexer keeps search indexes equal to the offers of PostgreSQL:
// it loads every offer to build an index and follows the change log to keep
// that index in sync. It only reads the database; writing offers into it is
// package importer's job.
package indexer

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/internal/offerdb"
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
	rows, err := tx.Query(ctx, `SELECT `+offerdb.SelectList+` FROM offers ORDER BY id`)
	if err != nil {
		return w, fmt.Errorf("indexer: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := offerdb.Scan(rows)
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
	o, err := offerdb.Scan(s.pool.QueryRow(ctx, `SELECT `+offerdb.SelectList+` FROM offers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("indexer: get: %w", stageindex.Errorf(stageindex.ENOTFOUND, "no offer with id %q", id))
	}
	if err != nil {
		return o, fmt.Errorf("indexer: get %q: %w", id, err)
	}
	return o, nil
}
