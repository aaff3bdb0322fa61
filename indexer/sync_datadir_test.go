package indexer_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex/indexer"
)

// currentMeta returns the generation CURRENT names and its sync.json.
func currentMeta(t *testing.T, dataDir string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	gen := strings.TrimSpace(string(b))
	m, err := os.ReadFile(filepath.Join(dataDir, gen, "sync.json"))
	if err != nil {
		t.Fatal(err)
	}
	return gen, string(m)
}

// TestSyncKillAndRestart stops a syncer in the middle of catching up a
// bulk change, writes more while it is down, and starts another on the
// same data directory: it converges, with each offer once.
func TestSyncKillAndRestart(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	dir := t.TempDir()
	putMany(t, pool, "a-", 500)
	first := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
	waitConverged(t, st, first.live, 30*time.Second)

	for _, n := range []int{3000, 20} {
		putMany(t, pool, "b-", n) // inserts 3000, then updates 20
	}
	time.Sleep(20 * time.Millisecond) // let the notification start a poll
	first.stop()
	before, _ := currentMeta(t, dir)

	deleteOffer(t, pool, "a-00003")
	if _, err := pool.Exec(ctx, `UPDATE offers SET title = 'après' WHERE id = 'b-00010'`); err != nil {
		t.Fatal(err)
	}
	second := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
	waitConverged(t, st, second.live, 30*time.Second)
	if n := second.live.Current().Len(); n != 500+3000-1 {
		t.Errorf("index holds %d offers after restart, want %d", n, 3499)
	}
	gen, meta := currentMeta(t, dir)
	if gen != before {
		t.Errorf("restart rebuilt the index (%s, was %s) instead of reopening it", gen, before)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "index-") && e.Name() != gen {
			t.Errorf("stale generation %s left beside CURRENT %s", e.Name(), gen)
		}
	}
	if !strings.Contains(meta, `"xmin"`) {
		t.Errorf("sync.json = %s", meta)
	}
}

// TestSyncUnusableDataDir damages the data directory in several ways: each
// time the syncer rebuilds from the database and makes a sound generation
// current.
func TestSyncUnusableDataDir(t *testing.T) {
	st, pool := newStore(t)
	putMany(t, pool, "a-", 200)
	damage := []struct {
		name string
		do   func(t *testing.T, dir, gen string)
	}{
		{"garbage CURRENT", func(t *testing.T, dir, gen string) {
			writeFile(t, filepath.Join(dir, "CURRENT"), "../../etc\n")
		}},
		{"CURRENT names a missing generation", func(t *testing.T, dir, gen string) {
			os.RemoveAll(filepath.Join(dir, gen))
		}},
		{"corrupt sync.json", func(t *testing.T, dir, gen string) {
			writeFile(t, filepath.Join(dir, gen, "sync.json"), "{\"cursor\": ")
		}},
		{"corrupt search index", func(t *testing.T, dir, gen string) {
			sdir := filepath.Join(dir, gen, "search")
			os.RemoveAll(sdir)
			writeFile(t, sdir, "not a directory")
		}},
		{"a shard missing", func(t *testing.T, dir, gen string) {
			shards := filepath.Join(dir, gen, "search", "shards")
			entries, err := os.ReadDir(shards)
			if err != nil || len(entries) == 0 {
				t.Fatalf("no shard to remove: %v", err)
			}
			os.RemoveAll(filepath.Join(shards, entries[0].Name()))
		}},
		{"search index of an older format", func(t *testing.T, dir, gen string) {
			// As a binary from before compressed offer bodies left it.
			editMeta(t, filepath.Join(dir, gen, "search", "search.json"), func(m map[string]any) { m["format"] = 2 })
		}},
		{"no identity recorded", func(t *testing.T, dir, gen string) {
			editMeta(t, filepath.Join(dir, gen, "sync.json"), func(m map[string]any) { delete(m, "identity") })
		}},
		{"built from another database", func(t *testing.T, dir, gen string) {
			editMeta(t, filepath.Join(dir, gen, "sync.json"), func(m map[string]any) {
				m["identity"].(map[string]any)["generation"] = "00000000-0000-0000-0000-000000000000"
			})
		}},
		{"database restored from an older backup", func(t *testing.T, dir, gen string) {
			// A cursor ahead of the database: its transaction ids went back.
			editMeta(t, filepath.Join(dir, gen, "sync.json"), func(m map[string]any) {
				m["cursor"].(map[string]any)["xmin"] = 1 << 40
				delete(m["cursor"].(map[string]any), "snapshot")
			})
		}},
		{"empty directory", func(t *testing.T, dir, gen string) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}},
	}
	for _, tt := range damage {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
			waitConverged(t, st, r.live, 30*time.Second)
			r.stop()
			gen, _ := currentMeta(t, dir)
			tt.do(t, dir, gen)

			r = startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
			waitConverged(t, st, r.live, 30*time.Second)
			newGen, meta := currentMeta(t, dir)
			if newGen == gen {
				t.Errorf("CURRENT still names the damaged %s", gen)
			}
			if !strings.Contains(meta, `"xmin"`) {
				t.Errorf("new sync.json = %s", meta)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func editMeta(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	writeFile(t, path, string(b))
}

// TestSyncRefusesAnotherDatabasesIndex builds a data directory from one
// database and starts a syncer on it against another: it never serves the
// first database's offers, and rebuilds from the second.
func TestSyncRefusesAnotherDatabasesIndex(t *testing.T) {
	stA, poolA := newStore(t)
	stB, poolB := newStore(t)
	putMany(t, poolA, "a-", 300)
	putMany(t, poolB, "b-", 40)
	dir := t.TempDir()
	r := startSyncer(t, stA, indexer.SyncConfig{DataDir: dir})
	waitConverged(t, stA, r.live, 30*time.Second)
	r.stop()

	r = startSyncer(t, stB, indexer.SyncConfig{DataDir: dir})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, ok := r.live.Get("a-00001"); ok {
			t.Fatal("served an offer of the other database")
		}
		if r.live.Ready() {
			break
		}
	}
	waitConverged(t, stB, r.live, 30*time.Second)
}

func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := indexer.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.LockDataDir(dir); !errors.Is(err, indexer.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := indexer.LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestPruneChanges(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	putMany(t, pool, "a-", 30)
	if _, err := pool.Exec(ctx, `UPDATE offer_changes SET changed_at = now() - interval '10 days' WHERE offer_id < 'a-00010'`); err != nil {
		t.Fatal(err)
	}
	n, err := st.PruneChanges(ctx, 7*24*time.Hour)
	if err != nil || n != 9 {
		t.Fatalf("pruned %d rows (%v), want 9 (a-00001…a-00009)", n, err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM offer_changes`).Scan(&left); err != nil || left != 21 {
		t.Fatalf("%d rows left (%v), want 21", left, err)
	}
}

// TestReopenedIndexCatchesUpBeforeReady: an index reopened from disk
// while the database answers is loaded (searches are answered) but says
// CatchingUp, which /readyz reads as not ready, until its first poll has
// applied what changed while it was down. The poll is held back here by a
// lock on the change log.
func TestReopenedIndexCatchesUpBeforeReady(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	dir := t.TempDir()
	putMany(t, pool, "a-", 100)
	first := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
	waitConverged(t, st, first.live, 30*time.Second)
	if first.s.Status().CatchingUp {
		t.Error("a fresh build says it is catching up")
	}
	first.stop()
	putMany(t, pool, "b-", 50) // missed while down

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE offer_changes IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	second := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
	waitFor(t, 30*time.Second, "the reopened index", second.live.Ready)
	time.Sleep(200 * time.Millisecond)
	if s := second.s.Status(); !s.CatchingUp || !s.Ready {
		t.Errorf("status before the first poll = ready %v, catching up %v; want both", s.Ready, s.CatchingUp)
	}
	if n := second.live.Current().Len(); n != 100 {
		t.Errorf("reopened index holds %d offers, want the 100 of before", n)
	}
	tx.Rollback(ctx)
	waitFor(t, 30*time.Second, "the end of catching up", func() bool { return !second.s.Status().CatchingUp })
	if n := second.live.Current().Len(); n != 150 {
		t.Errorf("after its first poll the index holds %d offers, want 150", n)
	}
}
