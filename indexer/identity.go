package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex"
)

// Identity names the database and source an index was built from. An
// index on disk whose identity differs from the database's is rebuilt: a
// data directory restored next to another database, or a database restored
// from a backup, would otherwise serve offers that are not there.
type Identity struct {
	// System is the PostgreSQL cluster's system identifier (pg_control_system).
	System string `json:"system"`
	// Database is current_database().
	Database string `json:"database"`
	// Generation is stageindex's own installation id, created by migrate
	// (table instance): a dump restored into a new database keeps it, a
	// new installation gets another.
	Generation string `json:"generation"`
	// Source is the relation offers are read from.
	Source string `json:"source"`
}

const identitySQL = `SELECT (SELECT system_identifier::text FROM pg_control_system()),
	current_database(), (SELECT generation::text FROM instance)`

// Identity reads the identity of the database s reads from.
func (s *Store) Identity(ctx context.Context) (Identity, error) {
	id := Identity{Source: s.SourceName()}
	if err := s.pool.QueryRow(ctx, identitySQL).Scan(&id.System, &id.Database, &id.Generation); err != nil {
		return id, fmt.Errorf("indexer: identity: %w", err)
	}
	return id, nil
}

// currentXMin is the xmin of a snapshot taken now. Transaction ids only
// grow on one timeline: a cursor above it was taken on a database that has
// since gone back in time (a restore), whose new transactions may reuse
// ids the cursor believes seen.
func (s *Store) currentXMin(ctx context.Context) (uint64, error) {
	var x uint64
	err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&x)
	if err != nil {
		return 0, fmt.Errorf("indexer: xmin: %w", err)
	}
	return x, nil
}

// OffersByID returns the current rows of the offers among ids, read in one
// snapshot; an id without a row is absent from the result.
func (s *Store) OffersByID(ctx context.Context, ids []string) (offers []stageindex.Offer, err error) {
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := s.viewSettings(ctx, tx); err != nil {
			return err
		}
		offers, err = s.readByIDs(ctx, tx, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("indexer: offers by id: %w", err)
	}
	return offers, nil
}

// ErrLocked is returned by LockDataDir when another process holds the
// data directory.
var ErrLocked = errors.New("indexer: the data directory is in use by another stageindex process")

// LockDataDir takes the data directory for this process (an advisory lock
// on DIR/LOCK, released by the returned function or when the process
// ends): two servers writing one index would corrupt it.
func LockDataDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("indexer: data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("indexer: data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("indexer: data dir lock: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
