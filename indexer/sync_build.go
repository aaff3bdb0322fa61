package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stageindex/stageindex/search"
)

// builtIndex is a full build handed from its goroutine to the sync loop.
type builtIndex struct {
	ix       *search.Index
	gen      string // generation directory, "" in memory
	cursor   Cursor
	identity *Identity
	started  time.Time
}

// start loads the first index: the one on disk if it opens, caught up by
// the polls that follow; otherwise a build in the background, while the
// loop already runs (and answers requests).
func (s *Syncer) start(ctx context.Context, l *loop, wg *sync.WaitGroup) error {
	s.mu.Lock()
	s.st.started = time.Now()
	s.mu.Unlock()
	if s.cfg.DataDir != "" {
		if err := os.MkdirAll(s.cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("indexer: data dir: %w", err)
		}
		ix, gen, m, err := s.openExisting(ctx)
		if err == nil {
			if err := s.cfg.Live.Swap(ix); err != nil {
				s.log.Warn("sync: closing the previous index", "err", err)
			}
			l.ix, l.gen, l.cursor, l.metaAt = ix, gen, m.Cursor, time.Now()
			l.identity, l.lastOK = m.Identity, m.WrittenAt
			l.unverified = m.unverified
			if !m.unverified {
				s.setCatchingUp()
			}
			s.setReady(l.cursor)
			s.log.Info("index reopened", "dir", gen, "offers", ix.Len(), "xmin", m.Cursor.XMin,
				"seconds", time.Since(s.st.started).Seconds())
			if err := removeStale(s.cfg.DataDir, gen); err != nil {
				s.log.Warn("sync: cleaning the data dir", "err", err)
			}
			return nil
		}
		if _, serr := os.Stat(filepath.Join(s.cfg.DataDir, currentFile)); errors.Is(serr, os.ErrNotExist) {
			// A first start (or a data dir emptied on purpose): nothing is wrong.
			s.log.Info("no index on disk yet: building one from the database", "dir", s.cfg.DataDir)
		} else {
			s.log.Warn("no usable index on disk: building one from the database", "dir", s.cfg.DataDir, "err", err)
		}
		// Whatever is there cannot be opened by this binary; the build
		// writes a new generation and CURRENT only moves once it is done.
		if err := removeStale(s.cfg.DataDir, ""); err != nil {
			return err
		}
	}
	l.building = true
	s.buildInBackground(ctx, wg)
	return nil
}

// openExisting opens the current generation of the data directory, when
// it was built from this database (checked when PostgreSQL answers; when
// it does not, the index is served and m.unverified set, for the first
// successful poll to check).
func (s *Syncer) openExisting(ctx context.Context) (*search.Index, string, openedMeta, error) {
	gen, err := currentGen(s.cfg.DataDir)
	if err != nil {
		return nil, "", openedMeta{}, err
	}
	mm, err := readMeta(gen)
	if err != nil {
		return nil, "", openedMeta{}, err
	}
	m := openedMeta{meta: mm}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	why, err := s.mismatch(cctx, mm.Identity, mm.Cursor, mm.WrittenAt)
	cancel()
	switch {
	case err != nil:
		s.log.Warn("PostgreSQL unreachable: serving the index on disk unverified until it answers", "err", err)
		m.unverified = true
	case why != "":
		return nil, "", openedMeta{}, fmt.Errorf("indexer: %s: %w", why, errNoIndex)
	}
	ix, err := openIndex(s.cfg.Search, filepath.Join(gen, searchDir))
	if err != nil {
		return nil, "", openedMeta{}, fmt.Errorf("indexer: open %s: %w", gen, err)
	}
	return ix, gen, m, nil
}

// openedMeta is a generation's meta as openExisting found it.
type openedMeta struct {
	meta
	unverified bool
}

// mismatch says why an index built from id, synced to cursor c whose last
// successful sync was at synced, cannot follow the database ("" when it
// can); err when the database cannot be asked.
func (s *Syncer) mismatch(ctx context.Context, id *Identity, c Cursor, synced time.Time) (string, error) {
	cur, err := s.cfg.Store.Identity(ctx)
	if err != nil {
		return "", err
	}
	xmin, err := s.cfg.Store.currentXMin(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case id == nil:
		return "the index records no database identity", nil
	case *id != cur:
		return fmt.Sprintf("built from %+v, the database is %+v", *id, cur), nil
	case xmin < c.XMin:
		return fmt.Sprintf("the database went back in time (xmin %d, the index is at %d): restored from a backup?", xmin, c.XMin), nil
	case s.cfg.ChangeRetention > 0 && !synced.IsZero() && time.Since(synced) > s.cfg.ChangeRetention:
		return fmt.Sprintf("last synced %s ago, longer than the change log keeps changes (%s)", time.Since(synced).Round(time.Second), s.cfg.ChangeRetention), nil
	}
	return "", nil
}

// unload stops serving l's index (searches answer 503) and builds a new
// one from the database.
func (s *Syncer) unload(l *loop) {
	if err := s.cfg.Live.Swap(nil); err != nil {
		s.log.Warn("sync: closing the index", "err", err)
	}
	s.mu.Lock()
	s.st.ready, s.st.catchingUp = false, false
	s.mu.Unlock()
	*l = loop{building: l.building}
	s.Rebuild()
}

// buildInBackground builds a full index in a goroutine, retrying with
// backoff while the database is unreachable, and hands it to the loop.
func (s *Syncer) buildInBackground(ctx context.Context, wg *sync.WaitGroup) {
	s.setRebuilding(true, 0)
	wg.Go(func() {
		for failures := 0; ; {
			b, err := s.build(ctx)
			if err == nil {
				select {
				case s.done <- b:
				case <-ctx.Done():
					s.discard(b)
				}
				return
			}
			if ctx.Err() != nil {
				return
			}
			failures++
			s.failed(err)
			d := backoff(failures, s.cfg.MaxBackoff)
			s.log.Error("index build failed", "err", err, "retry_in", d.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
	})
}

// build reads every offer in one snapshot into a new index, in a new
// generation directory when on disk, with its cursor saved beside it.
func (s *Syncer) build(ctx context.Context) (builtIndex, error) {
	b := builtIndex{started: time.Now()}
	cfg := s.cfg.Search
	if s.cfg.DataDir != "" {
		gen, err := newGen(s.cfg.DataDir)
		if err != nil {
			return b, err
		}
		b.gen = gen
		cfg = withDir(cfg, filepath.Join(gen, searchDir))
	}
	id, err := s.cfg.Store.Identity(ctx)
	if err != nil {
		s.discard(b)
		return b, err
	}
	b.identity = &id
	ix, wm, err := Build(ctx, s.cfg.Store, cfg, s.cfg.Now())
	if err != nil {
		s.discard(b)
		return b, err
	}
	b.ix, b.cursor = ix, CursorOf(wm)
	if b.gen != "" {
		if err := writeMeta(b.gen, meta{Cursor: b.cursor, WrittenAt: time.Now().UTC(), Identity: b.identity}); err != nil {
			s.discard(b)
			return b, err
		}
	}
	return b, nil
}

// discard closes and deletes a build that will not be used.
func (s *Syncer) discard(b builtIndex) {
	if b.ix != nil {
		b.ix.Close()
	}
	if b.gen != "" {
		os.RemoveAll(b.gen)
	}
}

// install catches the new index up with the database, makes it current on
// disk (CURRENT) and then in Live, which lets in-flight searches on the old
// index finish before closing it.
func (s *Syncer) install(ctx context.Context, l *loop, b builtIndex) {
	l.building = false
	next, n, err := s.catchUp(ctx, b.ix, b.cursor)
	if err != nil {
		// Still newer than nothing, and as new as its snapshot: install it
		// and let the next polls catch up from its own cursor.
		s.log.Warn("sync: catching up the new index failed", "err", err)
		s.failed(err)
		next = b.cursor
	}
	if b.gen != "" {
		err := writeMeta(b.gen, meta{Cursor: next, WrittenAt: time.Now().UTC(), Identity: b.identity})
		if err == nil {
			err = commitGen(s.cfg.DataDir, b.gen)
		}
		if err != nil {
			s.log.Error("sync: cannot make the new index current; keeping the old one", "err", err)
			s.failed(err)
			s.discard(b)
			s.setRebuilding(false, 0)
			return
		}
	}
	if err := s.cfg.Live.Swap(b.ix); err != nil {
		s.log.Warn("sync: closing the previous index", "err", err)
	}
	if b.gen != "" {
		if err := removeStale(s.cfg.DataDir, b.gen); err != nil {
			s.log.Warn("sync: cleaning the data dir", "err", err)
		}
	}
	l.ix, l.gen, l.cursor, l.metaAt = b.ix, b.gen, next, time.Now()
	l.identity, l.unverified, l.lastOK = b.identity, false, time.Now()
	took := time.Since(b.started)
	s.setReady(next)
	s.setRebuilding(false, took)
	s.log.Info("index built", "offers", b.ix.Len(), "caught_up", n, "seconds", took.Seconds(), "xmin", next.XMin)
}
