package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

// SyncConfig configures a Syncer. Store and Live are required.
type SyncConfig struct {
	Store *Store
	// Live receives the index: the Syncer swaps in each index it opens or
	// builds, and applies changes to the current one.
	Live *search.Live
	// Search configures the indexes built; its Dir is ignored (DataDir
	// decides).
	Search search.Config
	// DataDir, when set, keeps the index and its cursor on disk there, so
	// that a restart reopens it and catches up instead of rebuilding.
	DataDir string
	// PollInterval is the fallback poll period for lost notifications
	// (default 2 s).
	PollInterval time.Duration
	// MaxBackoff caps the wait between retries while PostgreSQL is
	// unreachable (default 30 s).
	MaxBackoff time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now decides which offers are searchable; nil is time.Now.
	Now func() time.Time
	// ChangeRetention is how long offer_changes keeps a change (Prune): an
	// index whose cursor is older may have missed pruned changes and is
	// rebuilt. Zero: changes are never pruned.
	ChangeRetention time.Duration
}

// Syncer keeps a search index equal to the searchable offers of the
// database: it follows offer_changes (woken by LISTEN/NOTIFY, polling as a
// fallback), runs reconcile, retire and rebuild passes on request, and
// persists its cursor with the index. It only reads the database.
//
// All index writes happen in Run's goroutine, so passes never interleave.
type Syncer struct {
	cfg  SyncConfig
	log  *slog.Logger
	wake chan struct{}   // a notification or a reconnect: poll now
	req  chan request    // reconcile, retire, rebuild
	done chan builtIndex // a background build finished

	mu sync.Mutex // guards st
	st syncState
}

// request is a pass asked of the sync loop.
type request int

const (
	reqReconcile request = iota
	reqRetire
	reqRebuild
)

func (r request) String() string {
	return [...]string{"reconcile", "retire", "rebuild"}[r]
}

// NewSyncer returns a Syncer; call Run to start it.
func NewSyncer(cfg SyncConfig) (*Syncer, error) {
	if cfg.Store == nil || cfg.Live == nil {
		return nil, errors.New("indexer: sync: Store and Live are required")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Search.Now = cfg.Now
	return &Syncer{
		cfg: cfg, log: cfg.Logger,
		wake: make(chan struct{}, 1),
		req:  make(chan request, 3),
		done: make(chan builtIndex, 1),
	}, nil
}

// Reconcile asks for a pass comparing the whole index with the database
// and repairing any difference. It returns at once; requests already
// pending are merged.
func (s *Syncer) Reconcile() { s.ask(reqReconcile) }

// Retire asks for a pass removing the offers no longer searchable now
// (all weeks past, or unpublished) from the index.
func (s *Syncer) Retire() { s.ask(reqRetire) }

// Rebuild asks for a full rebuild from the database in the background; the
// current index keeps serving and syncing until the new one is swapped in.
func (s *Syncer) Rebuild() { s.ask(reqRebuild) }

func (s *Syncer) ask(r request) {
	select {
	case s.req <- r:
	default: // the queue holds at most a few passes; an equal one is queued
	}
}

// notify wakes the loop; one pending wakeup covers any number of changes.
func (s *Syncer) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop is the state owned by Run's goroutine.
type loop struct {
	ix       *search.Index // current index, nil until the first is loaded
	gen      string        // its directory under DataDir, "" in memory
	identity *Identity     // what it was built from, nil in memory
	// unverified: reopened while PostgreSQL was down, its identity not yet
	// compared with the database's.
	unverified bool
	lastOK     time.Time // end of the last successful poll
	cursor     Cursor
	building   bool
	failures   int // consecutive failed polls
	metaAt     time.Time
}

// Run syncs until ctx is done, then returns nil, or an error if the data
// directory cannot be used at all. The current index stays in Live: the
// caller closes it after the server has stopped.
func (s *Syncer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { s.listen(ctx) })

	var l loop
	if err := s.start(ctx, &l, &wg); err != nil {
		return err
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer.C:
		case r := <-s.req:
			s.pass(ctx, &l, r, &wg)
		case b := <-s.done:
			s.install(ctx, &l, b)
		}
		if ctx.Err() != nil {
			return nil
		}
		delay := s.cfg.PollInterval
		if l.ix != nil {
			err := s.poll(ctx, &l)
			s.caughtUp()
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				l.failures++
				delay = backoff(l.failures, s.cfg.MaxBackoff)
				s.log.Warn("sync poll failed", "err", err, "retry_in", delay.String())
			} else {
				l.failures = 0
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(delay)
	}
}

// backoff returns the wait before retry n (1-based): exponential from
// 100 ms, capped, with jitter so that replicas do not retry in step.
func backoff(n int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 20)
	if d > max || d <= 0 {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

// poll applies the changes committed since l.cursor to l.ix.
func (s *Syncer) poll(ctx context.Context, l *loop) error {
	start := time.Now()
	if l.unverified {
		why, err := s.mismatch(ctx, l.identity, l.cursor, l.lastOK)
		if err != nil {
			s.failed(err)
			return err
		}
		if why != "" {
			// Not ours to serve: stop answering from it (503) and build.
			s.log.Warn("the index on disk does not match the database: rebuilding", "reason", why)
			s.unload(l)
			return nil
		}
		l.unverified = false
	}
	if s.cfg.ChangeRetention > 0 && !l.lastOK.IsZero() && start.Sub(l.lastOK) > s.cfg.ChangeRetention {
		// Down longer than the change log keeps changes: some are gone.
		s.log.Warn("the index is older than the change log's retention: rebuilding", "last_sync", l.lastOK)
		s.unload(l)
		return nil
	}
	if ids := l.ix.Pending(); len(ids) > 0 {
		if err := s.repair(ctx, l.ix, ids); err != nil {
			s.failed(err)
			return err
		}
		s.log.Info("sync: offers of an interrupted write restored from the database", "offers", len(ids))
	}
	pending := s.pendingMark()
	next, n, err := s.catchUp(ctx, l.ix, l.cursor)
	if err != nil {
		s.failed(err)
		return err
	}
	l.cursor, l.lastOK = next, time.Now()
	s.synced(start, pending, int64(n), l)
	if l.gen != "" && (n > 0 || time.Since(l.metaAt) > 30*time.Second) {
		// Written only now: the Apply it covers has returned (and is
		// durable), so a crash replays from here at worst, never skips.
		if err := writeMeta(l.gen, meta{Cursor: next, WrittenAt: time.Now().UTC(), Identity: l.identity}); err != nil {
			s.log.Error("sync: cannot persist cursor", "err", err)
		} else {
			l.metaAt = time.Now()
		}
	}
	return nil
}

// repair writes again, from the database, the offers a crashed write left
// untrusted (search.Index.Pending): each is written or deleted as the
// database has it now.
func (s *Syncer) repair(ctx context.Context, ix *search.Index, ids []string) error {
	rows, err := s.cfg.Store.OffersByID(ctx, ids)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	found := map[string]bool{}
	var ups []stageindex.Offer
	for _, o := range rows {
		found[o.ID] = true
		if o.Indexable(now) {
			ups = append(ups, o)
		}
	}
	var dels []string
	for _, id := range ids {
		if !found[id] || !slices.ContainsFunc(ups, func(o stageindex.Offer) bool { return o.ID == id }) {
			dels = append(dels, id)
		}
	}
	if err := ix.Apply(ctx, ups, dels); err != nil {
		return fmt.Errorf("indexer: repair: %w", err)
	}
	return nil
}

// catchUp reads the changes since c and applies them to ix. It returns the
// cursor after them and the number of offers written or removed.
func (s *Syncer) catchUp(ctx context.Context, ix *search.Index, c Cursor) (Cursor, int, error) {
	cs, err := s.cfg.Store.Changes(ctx, c)
	if err != nil {
		return c, 0, err
	}
	if cs.Truncated {
		// The change log cannot list what a TRUNCATE removed: compare all.
		rep, err := s.reconcile(ctx, ix)
		if err != nil {
			return c, 0, err
		}
		return cs.Next, rep.Upserted + rep.Deleted, nil
	}
	now := s.cfg.Now()
	ups := cs.Upserts[:0:0]
	dels := cs.Deletes
	for _, o := range cs.Upserts {
		if o.Indexable(now) {
			ups = append(ups, o)
		} else {
			dels = append(dels, o.ID)
		}
	}
	if len(ups)+len(dels) > 0 {
		if err := ix.Apply(ctx, ups, dels); err != nil {
			return c, 0, fmt.Errorf("indexer: sync: apply: %w", err)
		}
	}
	return cs.Next, len(ups) + len(dels), nil
}

// pass runs one requested pass; a failure is logged and reported in the
// status, and the schedule will try again.
func (s *Syncer) pass(ctx context.Context, l *loop, r request, wg *sync.WaitGroup) {
	if r == reqRebuild {
		if !l.building {
			l.building = true
			s.buildInBackground(ctx, wg)
		}
		return
	}
	if l.ix == nil {
		return // nothing to fix yet; the build will be current
	}
	start := time.Now()
	var rep PassReport
	var err error
	if r == reqRetire {
		rep, err = s.retire(ctx, l.ix)
	} else {
		rep, err = s.reconcile(ctx, l.ix)
	}
	if err != nil {
		s.failed(err)
		s.log.Error("sync pass failed", "pass", r.String(), "err", err)
		return
	}
	s.log.Info("sync pass done", "pass", r.String(), "checked", rep.Checked,
		"upserted", rep.Upserted, "deleted", rep.Deleted, "shard_fixes", rep.ShardFixes, "seconds", time.Since(start).Seconds())
}
