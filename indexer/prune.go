package indexer

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds the rows one DELETE removes, so that pruning a large
// backlog never holds long locks or one huge transaction.
const pruneBatch = 10000

// pruneSQL deletes old rows of one change log (offer_changes for the
// offers table, source_changes for platforms' views).
var pruneSQL = map[string]string{
	"offer_changes": `DELETE FROM offer_changes WHERE seq IN (
	SELECT seq FROM offer_changes WHERE changed_at < $1 ORDER BY seq LIMIT $2)`,
	"source_changes": `DELETE FROM source_changes WHERE seq IN (
	SELECT seq FROM source_changes WHERE changed_at < $1 ORDER BY seq LIMIT $2)`,
}

// PruneChanges deletes the change-log rows (of the offers table and of
// every source) older than retention and
// returns how many went. It is the Syncer's only write, on stageindex's
// own table; every replica may run it (the deletes are idempotent). A
// replica whose cursor is older than retention rebuilds instead of
// following the log (SyncConfig.ChangeRetention).
func (s *Store) PruneChanges(ctx context.Context, retention time.Duration) (int64, error) {
	before := time.Now().Add(-retention)
	var total int64
	for _, table := range []string{"offer_changes", "source_changes"} {
		for {
			tag, err := s.pool.Exec(ctx, pruneSQL[table], before, pruneBatch)
			if err != nil {
				return total, fmt.Errorf("indexer: prune %s: %w", table, err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

// Prune runs PruneChanges with the configured retention (none: nothing to
// do) and logs what it did.
func (s *Syncer) Prune(ctx context.Context) {
	if s.cfg.ChangeRetention <= 0 {
		return
	}
	n, err := s.cfg.Store.PruneChanges(ctx, s.cfg.ChangeRetention)
	if err != nil {
		s.log.Warn("sync: pruning the change log failed", "err", err)
		return
	}
	s.log.Info("change log pruned", "rows", n, "retention", s.cfg.ChangeRetention.String())
}
