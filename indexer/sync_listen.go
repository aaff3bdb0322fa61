package indexer

import (
	"context"
	"fmt"
	"time"
)

// notifyChannel is the channel migration 002's triggers notify on.
const notifyChannel = "stageindex_offers"

// listen keeps a connection LISTENing on notifyChannel and wakes the loop
// on every notification, reconnecting with backoff until ctx is done.
func (s *Syncer) listen(ctx context.Context) {
	for failures := 0; ctx.Err() == nil; {
		listened, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			failures = 0
		}
		failures++
		s.setListening(false, err)
		d := backoff(failures, s.cfg.MaxBackoff)
		s.log.Warn("sync: notification listener lost", "err", err, "retry_in", d.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// listenOnce listens until the connection fails. The connection is taken
// out of the pool for good: LISTEN is session state that must not leak to
// other users of the pool.
func (s *Syncer) listenOnce(ctx context.Context) (listened bool, err error) {
	pc, err := s.cfg.Store.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("indexer: listen: %w", err)
	}
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false, fmt.Errorf("indexer: listen: %w", err)
	}
	s.setListening(true, nil)
	// Changes committed while no one listened sent notifications no one
	// received: poll once now that we listen.
	s.notified()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, fmt.Errorf("indexer: listen: %w", err)
		}
		s.notified()
	}
}
