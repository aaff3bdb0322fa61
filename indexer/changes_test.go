package indexer_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/stageindex/stageindex/indexer"
)

// changedIDs returns the sorted ids a ChangeSet upserts and deletes.
func changedIDs(cs indexer.ChangeSet) (ups, dels []string) {
	for _, o := range cs.Upserts {
		ups = append(ups, o.ID)
	}
	sort.Strings(ups)
	dels = slices.Clone(cs.Deletes)
	sort.Strings(dels)
	return ups, dels
}

// TestChangesOutOfOrderCommit is the case a sequence or updated_at cursor
// gets wrong: a transaction that wrote first commits last. Each step reads
// Changes from the previous cursor, as the sync does.
func TestChangesOutOfOrderCommit(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	putOffer(t, pool, "keep", "v1")
	putOffer(t, pool, "gone", "v1")
	cs, err := st.Changes(ctx, indexer.Cursor{XMin: 1})
	if err != nil {
		t.Fatal(err)
	}
	cur := cs.Next

	long, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Rollback(ctx)
	if _, err := long.Exec(ctx, insertOfferSQL, "long", "first written"); err != nil {
		t.Fatal(err)
	}
	putOffer(t, pool, "short", "written second, committed first")
	putOffer(t, pool, "keep", "v2")
	deleteOffer(t, pool, "gone")

	steps := []struct {
		name       string
		before     func()
		ups, dels  []string
		wantTitles map[string]string
	}{
		{name: "short commits while long is open", ups: []string{"keep", "short"}, dels: []string{"gone"},
			wantTitles: map[string]string{"keep": "v2"}},
		{name: "nothing new", before: func() {}, ups: nil, dels: nil},
		{name: "long commits last", before: func() {
			if err := long.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}, ups: []string{"long"}},
		{name: "idle", ups: nil},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before()
		}
		cs, err := st.Changes(ctx, cur)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		ups, dels := changedIDs(cs)
		if !slices.Equal(ups, step.ups) || !slices.Equal(dels, step.dels) {
			t.Errorf("%s: upserts %v deletes %v, want %v %v", step.name, ups, dels, step.ups, step.dels)
		}
		for _, o := range cs.Upserts {
			if want, ok := step.wantTitles[o.ID]; ok && o.Title != want {
				t.Errorf("%s: %s has title %q, want the current %q", step.name, o.ID, o.Title, want)
			}
		}
		if cs.Next.XMin < cur.XMin {
			t.Errorf("%s: cursor went back from %d to %d", step.name, cur.XMin, cs.Next.XMin)
		}
		cur = cs.Next
	}
}

// TestChangesWithoutSnapshotReplays checks the fallback after a build,
// whose cursor has no snapshot: changes at or above XMin come again, which
// is harmless, and none is lost.
func TestChangesWithoutSnapshotReplays(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	_, wm := loadAll(t, st)
	putOffer(t, pool, "a", "1")
	c := indexer.CursorOf(wm)
	for i, want := range [][]string{{"a"}, {"a"}} {
		cs, err := st.Changes(ctx, indexer.Cursor{XMin: c.XMin})
		if err != nil {
			t.Fatal(err)
		}
		if ups, _ := changedIDs(cs); !slices.Equal(ups, want) {
			t.Errorf("read %d: upserts %v, want %v", i, ups, want)
		}
	}
}

func TestChangesTruncate(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	putOffer(t, pool, "a", "1")
	cs, err := st.Changes(ctx, indexer.Cursor{XMin: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE offers`); err != nil {
		t.Fatal(err)
	}
	cs, err = st.Changes(ctx, cs.Next)
	if err != nil {
		t.Fatal(err)
	}
	if !cs.Truncated {
		t.Errorf("Changes after TRUNCATE: Truncated not set: %+v", cs)
	}
}
