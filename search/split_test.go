package search

import (
	"strconv"
	"testing"
)

func TestSplitShardWork(t *testing.T) {
	work := func(docs, deletes int) *shardWork {
		j := &shardWork{key: "22"}
		for i := range docs {
			j.docs = append(j.docs, &doc{id: "o" + strconv.Itoa(i)})
		}
		// An id written twice and one both deleted and written: each
		// must stay with its other writes.
		j.docs = append(j.docs, &doc{id: "o1"})
		for i := range deletes {
			j.deletes = append(j.deletes, "o"+strconv.Itoa(2*i))
		}
		return j
	}
	for _, tc := range []struct {
		name           string
		docs, deletes  int
		parts, wantMax int
	}{
		{"small stays one batch", 500, 10, 4, 1},
		{"one worker", 10000, 0, 1, 1},
		{"two workers", 10000, 100, 2, 2},
		{"no more parts than thousands", 2500, 0, 8, 2},
		{"deletes count", 100, 3000, 8, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := work(tc.docs, tc.deletes)
			got := splitShardWork(j, tc.parts)
			if len(got) != tc.wantMax {
				t.Fatalf("%d parts, want %d", len(got), tc.wantMax)
			}
			partOf := map[string]int{}
			docs, dels := 0, 0
			for p, w := range got {
				if w.key != j.key {
					t.Errorf("part %d has key %q", p, w.key)
				}
				check := func(id string) {
					if q, ok := partOf[id]; ok && q != p {
						t.Errorf("%s in parts %d and %d", id, q, p)
					}
					partOf[id] = p
				}
				for _, d := range w.docs {
					check(d.id)
				}
				for _, id := range w.deletes {
					check(id)
				}
				docs += len(w.docs)
				dels += len(w.deletes)
			}
			if docs != len(j.docs) || dels != len(j.deletes) {
				t.Errorf("%d docs and %d deletes in the parts, want %d and %d", docs, dels, len(j.docs), len(j.deletes))
			}
		})
	}
}
