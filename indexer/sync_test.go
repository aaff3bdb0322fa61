package indexer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
)

// writeConcurrently runs writers goroutines, each doing ops transactions of
// a few inserts, updates and deletes over a shared id space, holding each
// transaction open a random while so that commits come out of order with
// respect to the txids and seqs the writes took.
func writeConcurrently(t *testing.T, pool *pgxpool.Pool, writers, ops int) {
	t.Helper()
	writeOutOfOrder(t, pool, writers, ops, 42, func(ctx context.Context, tx pgx.Tx, rng *rand.Rand, w, i int) error {
		id := fmt.Sprintf("o-%03d", rng.IntN(200))
		var err error
		if rng.IntN(4) == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM offers WHERE id = $1`, id)
		} else {
			_, err = tx.Exec(ctx, insertOfferSQL, id, fmt.Sprintf("w%d op%d", w, i))
		}
		return err
	})
}

// writeOutOfOrder runs writers goroutines of ops transactions each, of one
// to three statements (write, with the writer's rng, its number and the
// transaction's) with a pause of 0–2 ms after each, so that transactions
// stay open a random while and commit out of txid order. A failed
// statement rolls its transaction back: deadlocks between writers are
// their business.
func writeOutOfOrder(t *testing.T, pool *pgxpool.Pool, writers, ops int, seed uint64, write func(ctx context.Context, tx pgx.Tx, rng *rand.Rand, w, i int) error) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), seed))
			for i := range ops {
				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				for range 1 + rng.IntN(3) {
					if err = write(ctx, tx, rng, w, i); err != nil {
						break
					}
					time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
				}
				if err == nil {
					err = tx.Commit(ctx)
				} else {
					tx.Rollback(ctx)
					err = nil
				}
				if err != nil {
					t.Log(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestSyncConcurrentWriters(t *testing.T) {
	st, pool := newStore(t)
	for i := range 50 {
		putOffer(t, pool, fmt.Sprintf("o-%03d", i), "initial")
	}
	r := startSyncer(t, st, indexer.SyncConfig{PollInterval: time.Hour})
	waitFor(t, 30*time.Second, "first index", r.live.Ready)
	writeConcurrently(t, pool, 6, 60)
	// A poll interval of an hour: only notifications can bring the changes.
	waitConverged(t, st, r.live, 20*time.Second)
	if n := r.s.Status().ChangesApplied; n == 0 {
		t.Errorf("ChangesApplied = 0 after concurrent writes")
	}
}

func TestSyncPollsWithoutNotifications(t *testing.T) {
	st, pool := newStore(t)
	r := startSyncer(t, st, indexer.SyncConfig{PollInterval: 50 * time.Millisecond})
	waitFor(t, 30*time.Second, "first index", r.live.Ready)
	// pg_notify inside a rolled back... no: a transaction that writes with
	// the NOTIFY trigger disabled sends nothing, like a lost notification.
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO offer_changes (offer_id, op) VALUES ('silent', 'I')`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, insertOfferSQL, "silent", "no notification"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the silent offer", func() bool { _, ok := r.live.Get("silent"); return ok })
}

func TestSyncPasses(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	for _, id := range []string{"a", "b", "c"} {
		putOffer(t, pool, id, "v1")
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	r := startSyncer(t, st, indexer.SyncConfig{Now: clock, PollInterval: time.Hour})
	waitFor(t, 30*time.Second, "first index", r.live.Ready)
	waitConvergedAt(t, st, r, clock)

	t.Run("reconcile repairs drift", func(t *testing.T) {
		ix := r.live.Current()
		a, _ := ix.Get("a")
		a.Title = "drifted"
		bogus := a
		bogus.ID = "bogus"
		if err := ix.Apply(ctx, []stageindex.Offer{a, bogus}, []string{"b"}); err != nil {
			t.Fatal(err)
		}
		if diffIndex(r.live, dbSearchable(t, st, clock())) == "" {
			t.Fatal("the drift did not show")
		}
		r.s.Reconcile()
		waitConvergedAt(t, st, r, clock)
	})
	t.Run("retire drops past offers", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `UPDATE offers SET weeks = '{2026-W48}' WHERE id = 'c'`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the update", func() bool {
			o, _ := r.live.Get("c")
			return len(o.Weeks) == 1 && o.Weeks[0] == "2026-W48"
		})
		now.Store(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC).Unix())
		r.s.Retire()
		waitFor(t, 10*time.Second, "retirement of c", func() bool { _, ok := r.live.Get("c"); return !ok })
		if _, ok := r.live.Get("a"); !ok {
			t.Error("retire removed a, whose week is in 2030")
		}
	})
	t.Run("rebuild swaps in a new index", func(t *testing.T) {
		old := r.live.Current()
		r.s.Rebuild()
		waitFor(t, 30*time.Second, "the new index", func() bool { return r.live.Current() != old })
		waitConvergedAt(t, st, r, clock)
		if r.s.Status().LastRebuild <= 0 {
			t.Error("Status().LastRebuild not set after a rebuild")
		}
	})
	t.Run("truncate empties the index", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `TRUNCATE offers`); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "an empty index", func() bool { return r.live.Current().Len() == 0 })
	})
}

func waitConvergedAt(t *testing.T, st *indexer.Store, r *running, clock func() time.Time) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		diff := diffIndex(r.live, dbSearchable(t, st, clock()))
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index did not converge: %s", diff)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSyncReplicas runs two syncers on one database: both converge, and
// neither writes to it (the change log keeps every row).
func TestSyncReplicas(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	for i := range 20 {
		putOffer(t, pool, fmt.Sprintf("o-%03d", i), "initial")
	}
	a := startSyncer(t, st, indexer.SyncConfig{})
	b := startSyncer(t, st, indexer.SyncConfig{})
	writeConcurrently(t, pool, 3, 30)
	waitConverged(t, st, a.live, 20*time.Second)
	waitConverged(t, st, b.live, 20*time.Second)
	a.s.Reconcile()
	b.s.Reconcile()
	var changes, writes int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM offer_changes),
		(SELECT n_tup_del + n_tup_upd FROM pg_stat_user_tables WHERE relname = 'offer_changes')`).Scan(&changes, &writes); err != nil {
		t.Fatal(err)
	}
	if changes == 0 || writes != 0 {
		t.Errorf("offer_changes: %d rows, %d updated or deleted; want rows and no deletes", changes, writes)
	}
}

func TestSchedule(t *testing.T) {
	st, _ := newStore(t)
	r := startSyncer(t, st, indexer.SyncConfig{})
	tests := []struct {
		name    string
		sch     indexer.Schedules
		wantErr bool
	}{
		{"defaults", indexer.Schedules{Reconcile: "@every 10m", Retire: "15 3 * * *"}, false},
		{"all off", indexer.Schedules{}, false},
		{"bad reconcile", indexer.Schedules{Reconcile: "every ten minutes"}, true},
		{"six fields", indexer.Schedules{Retire: "0 15 3 * * *"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := r.s.Schedule(tt.sch)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Schedule(%+v) error %v, want error %v", tt.sch, err, tt.wantErr)
			}
			if c != nil {
				c.Stop()
			}
		})
	}
}
