package search

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// docView is what the index structures hold of one offer, by id rather
// than slot: a reopened index puts its offers in other slots.
type docView struct {
	Lat, Lng           float64
	Dept, Insee, Shard string
	Romes              [3]ficheScore
	Hot                hot
	DeptName           string
	Fiches             map[int16]float32 // the shard's byFiche entries of the offer
	Near               []string          // the ids geo finds within 3 km and 30 km
	Title, Description string
}

type shardView struct {
	N                              int
	MinLat, MaxLat, MinLng, MaxLng float64
}

type indexView struct {
	Docs   map[string]docView
	Shards map[string]shardView
	Counts map[string][2]int // vocabulary word → count, proper
	ByLen  map[int][]string
}

func viewOf(t *testing.T, ix *Index) indexView {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	v := indexView{Docs: map[string]docView{}, Shards: map[string]shardView{}, Counts: map[string][2]int{}, ByLen: map[int][]string{}}
	for slot, d := range ix.docs {
		if d == nil {
			continue
		}
		h := ix.hot[slot]
		dv := docView{Lat: d.lat, Lng: d.lng, Dept: d.dept, Insee: d.insee, Shard: d.shard(), Romes: d.romes, DeptName: ix.depts[h.deptIdx], Fiches: map[int16]float32{}}
		h.deptIdx = 0
		h.gen = 0 // slot bookkeeping, like the slot itself
		dv.Hot = h
		for f, m := range ix.shards[d.shard()].byFiche {
			if w, ok := m[int32(slot)]; ok {
				dv.Fiches[f] = w
			}
		}
		if h.has(flagHasLoc) {
			for _, r := range []float64{3, 30} {
				if err := ix.cells.Near(d.lat, d.lng, r, func(id int32) { dv.Near = append(dv.Near, fmt.Sprint(r, ix.docs[id].id)) }); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(dv.Near)
		}
		o := ix.offerOf(d)
		dv.Title, dv.Description = o.Title, o.Description
		v.Docs[d.id] = dv
	}
	for k, s := range ix.shards {
		v.Shards[k] = shardView{s.n, s.minLat, s.maxLat, s.minLng, s.maxLng}
	}
	for k, w := range ix.vocab.words {
		v.Counts[k] = [2]int{w.count, w.proper}
	}
	for n, ws := range ix.vocab.byLen {
		if len(ws) > 0 {
			v.ByLen[n] = slices.Sorted(maps.Keys(ws))
		}
	}
	return v
}

// sameView reports the first difference between two views.
func sameView(t *testing.T, got, want indexView) {
	t.Helper()
	for id, w := range want.Docs {
		if g, ok := got.Docs[id]; !ok {
			t.Errorf("offer %s missing", id)
		} else if !reflect.DeepEqual(g, w) {
			t.Errorf("offer %s:\n got %+v\nwant %+v", id, g, w)
		}
	}
	if len(got.Docs) != len(want.Docs) {
		t.Errorf("%d offers, want %d", len(got.Docs), len(want.Docs))
	}
	for name, pair := range map[string][2]any{"shards": {got.Shards, want.Shards}, "vocabulary": {got.Counts, want.Counts}, "vocabulary by length": {got.ByLen, want.ByLen}} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differ:\n got %v\nwant %v", name, pair[0], pair[1])
		}
	}
}

// sameSpellings checks the words' spellings: those of the titles added
// one by one in slot order, the order Open inserts them in.
func sameSpellings(t *testing.T, ix *Index) {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	want := newVocab()
	for _, d := range ix.docs {
		if d != nil {
			want.add(decodeTitle(ix.store.load(d.rec, nil)), 1)
		}
	}
	for k, w := range want.words {
		if g := ix.vocab.words[k]; g == nil || *g != *w {
			t.Errorf("word %q: %+v, want %+v", k, g, w)
		}
	}
	if len(ix.vocab.words) != len(want.words) {
		t.Errorf("%d words, want %d", len(ix.vocab.words), len(want.words))
	}
	for n, ws := range want.byLen {
		if !maps.Equal(ix.vocab.byLen[n], ws) {
			t.Errorf("words of %d bytes: %v, want %v", n, ix.vocab.byLen[n], ws)
		}
	}
}

// TestReopenRebuildsTheSameStructures: what Open computes again (slots,
// cells, vocabulary, per-shard fiches) is what the Applies had built, the
// demo's offers and a later change included.
func TestReopenRebuildsTheSameStructures(t *testing.T) {
	ctx := context.Background()
	offers := demoOffers(t)
	dir := filepath.Join(t.TempDir(), "index")
	cfg := Config{Dir: dir, Now: func() time.Time { return testNow }}
	ix, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, offers, nil); err != nil {
		t.Fatal(err)
	}
	// A second segment in some shards, an offer moved, one deleted.
	changed := slices.Clone(offers[:20])
	for i := range changed {
		changed[i].Title = "Stage modifié : " + changed[i].Title
	}
	changed[0].Department, changed[0].Remote = "", true
	if err := ix.Apply(ctx, changed, []string{offers[20].ID}); err != nil {
		t.Fatal(err)
	}
	want := viewOf(t, ix)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	re, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	sameView(t, viewOf(t, re), want)
	sameSpellings(t, re)
	if t.Failed() {
		return
	}
	// And it goes on like a built one: a change after the reopen.
	if err := re.Apply(ctx, []stageindex.Offer{offers[20]}, []string{offers[21].ID}); err != nil {
		t.Fatal(err)
	}
	if _, ok := re.Get(offers[20].ID); !ok {
		t.Error("an offer written after the reopen is missing")
	}
}

// TestWeekCodeOfIsParseWeeks: weekCodeOf accepts what ParseWeek accepts,
// and gives the code of the same Monday, over two centuries of weeks and
// malformed names.
func TestWeekCodeOfIsParseWeeks(t *testing.T) {
	var names []string
	for y := 1990; y <= 2110; y++ {
		for w := 0; w <= 55; w++ {
			names = append(names, fmt.Sprintf("%04d-W%02d", y, w))
		}
	}
	names = append(names, "", "2026-W5", "2026-W055", "2026W05x", "2026-w05", "2026_W05", "20a6-W05", "2026-W0a", "+026-W05", "2026-W-5")
	for _, s := range names {
		mon, err := stageindex.ParseWeek(s)
		c, ok := weekCodeOf(s)
		if ok != (err == nil) || ok && c != weekCode(mon) {
			t.Fatalf("%q: weekCodeOf %d, %v; ParseWeek %v, %v (code %d)", s, c, ok, mon, err, weekCode(mon))
		}
	}
}
