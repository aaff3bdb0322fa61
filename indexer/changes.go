package indexer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stageindex/stageindex"
)

// Cursor is where the sync resumes reading offer_changes. See docs/sync.md
// for why it never misses a committed change.
//
// XMin is pg_snapshot_xmin of the snapshot of the last read: every
// transaction below it had ended by then, so its changes were seen. Snapshot,
// when set, is that whole snapshot (pg_snapshot text form): a change visible
// in it was seen too, which lets the next read skip the changes of
// transactions that committed before it but above XMin. An empty Snapshot
// only means more, harmless, re-reads.
type Cursor struct {
	XMin     uint64 `json:"xmin"`
	Snapshot string `json:"snapshot,omitempty"`
	// Seq is the highest offer_changes.seq seen, for logs and metrics only:
	// seqs are taken before commit, so it is not a resume point.
	Seq int64 `json:"seq"`
}

// CursorOf returns the cursor that resumes after the snapshot of wm.
func CursorOf(wm Watermark) Cursor { return Cursor{XMin: wm.XMin, Seq: wm.Seq} }

// ChangeSet is what changed in offers since a Cursor.
type ChangeSet struct {
	// Upserts are the current rows of the offers that changed, published or
	// not: the caller decides what the index keeps.
	Upserts []stageindex.Offer
	// Deletes are the ids of changed offers that no longer exist (or, from
	// a view, whose row now breaks the offer rules).
	Deletes []string
	// Truncated is set when the table was truncated since the cursor, or
	// for a view when a change may have touched every offer (a table
	// watched with '*'): the caller must compare the whole index with the
	// database.
	Truncated bool
	// Next is the cursor to resume from once these changes are applied.
	Next Cursor
	// Rows is the number of offer_changes rows read (several per offer
	// when it changed more than once).
	Rows int
	// Oldest is the changed_at of the oldest change read, zero when none.
	Oldest time.Time
}

// changeSnapshotSQL runs first in the transaction, so that its snapshot is
// the one every later statement of the REPEATABLE READ transaction reads.
const changeSnapshotSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
	pg_current_snapshot()::text,
	coalesce((SELECT max(seq) FROM offer_changes), 0)`

// changedIDsSQL lists the offers with a change visible in the current
// snapshot and not in the previous one ($2, NULL when unknown). txid >= $1
// lets the (txid, seq) index bound the scan: every change below the previous
// xmin was visible in the previous snapshot. xid8 has no cast from bigint,
// hence text.
const changedIDsSQL = `SELECT offer_id, count(*), min(changed_at) FROM offer_changes
	WHERE txid >= $1::text::xid8
		AND pg_visible_in_snapshot(txid, pg_current_snapshot())
		AND ($2::text IS NULL OR NOT pg_visible_in_snapshot(txid, $2::text::pg_snapshot))
	GROUP BY offer_id`

// Changes reads the offers changed since c, in one read-only REPEATABLE READ
// transaction: the changed ids and their current rows come from the same
// snapshot, whose position is returned in ChangeSet.Next. It writes nothing,
// so any number of replicas may call it on the same database.
func (s *Store) Changes(ctx context.Context, c Cursor) (ChangeSet, error) {
	var cs ChangeSet
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return cs, fmt.Errorf("indexer: changes: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, s.q.snapshot).Scan(&cs.Next.XMin, &cs.Next.Snapshot, &cs.Next.Seq); err != nil {
		return cs, fmt.Errorf("indexer: changes: snapshot: %w", err)
	}
	if err := s.viewSettings(ctx, tx); err != nil {
		return cs, fmt.Errorf("indexer: changes: %w", err)
	}
	var prev *string
	if c.Snapshot != "" {
		prev = &c.Snapshot
	}
	args := []any{fmt.Sprint(c.XMin), prev}
	if s.view != "" {
		args = append(args, s.view)
	}
	rows, err := tx.Query(ctx, s.q.changedIDs, args...)
	if err != nil {
		return cs, fmt.Errorf("indexer: changes: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		var n int
		var at time.Time
		if err := rows.Scan(&id, &n, &at); err != nil {
			rows.Close()
			return cs, fmt.Errorf("indexer: changes: %w", err)
		}
		cs.Rows += n
		if cs.Oldest.IsZero() || at.Before(cs.Oldest) {
			cs.Oldest = at
		}
		if id == "" { // op T, or a view's whole-view marker
			cs.Truncated = true
			continue
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return cs, fmt.Errorf("indexer: changes: %w", err)
	}
	if len(ids) == 0 || cs.Truncated {
		return cs, nil // a truncate is followed by a whole reconcile anyway
	}
	cs.Upserts, err = s.readByIDs(ctx, tx, ids)
	if err != nil {
		return cs, fmt.Errorf("indexer: changes: %w", err)
	}
	found := make(map[string]bool, len(cs.Upserts))
	for _, o := range cs.Upserts {
		found[o.ID] = true
	}
	for _, id := range ids {
		if !found[id] {
			cs.Deletes = append(cs.Deletes, id)
		}
	}
	return cs, nil
}

// SameOffer reports whether a and b have the same content, whatever the
// time zone of PublishedAt or nil versus empty lists: it is how reconcile
// tells a stale indexed offer from an up-to-date one.
func SameOffer(a, b stageindex.Offer) bool {
	ja, erra := canonicalJSON(a)
	jb, errb := canonicalJSON(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

func canonicalJSON(o stageindex.Offer) ([]byte, error) {
	if o.PublishedAt != nil {
		t := o.PublishedAt.UTC()
		o.PublishedAt = &t
	}
	if len(o.Tracks) == 0 {
		o.Tracks = nil
	}
	return json.Marshal(o)
}
