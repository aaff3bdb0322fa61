package search

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

func diskConfig(dir string) Config {
	return Config{Dir: dir, Now: func() time.Time { return testNow }}
}

func TestReopenGivesTheSameAnswers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	ctx := context.Background()
	ix, err := New(diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, corpus(), nil); err != nil {
		t.Fatal(err)
	}
	// A later change must survive too.
	if err := ix.Apply(ctx, []stageindex.Offer{offer("late", "Boulangerie tardive", "Ajoutée après.")}, []string{"bank"}); err != nil {
		t.Fatal(err)
	}
	queries := []stageindex.SearchRequest{
		{Query: "boulangerie", Center: &stBrieuc, RadiusKm: 30},
		{Center: &stBrieuc, RadiusKm: 60},
		{Query: "banquier", Center: &stBrieuc, RadiusKm: 30},
	}
	var before [][]string
	for _, q := range queries {
		res, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, ids(res.Hits))
	}
	offerBefore, _ := ix.Get("vet")
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	re, err := Open(diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if re.Len() != len(corpus()) { // +late -bank
		t.Fatalf("reopened %d offers, want %d", re.Len(), len(corpus()))
	}
	for i, q := range queries {
		res, err := re.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, before[i]) {
			t.Errorf("query %d after reopen: %v, before: %v", i, got, before[i])
		}
	}
	offerAfter, _ := re.Get("vet")
	if offerAfter.Title != offerBefore.Title || *offerAfter.Latitude != *offerBefore.Latitude || !slices.Equal(offerAfter.Weeks, offerBefore.Weeks) {
		t.Errorf("offer changed across reopen: %+v vs %+v", offerAfter, offerBefore)
	}
	// The reopened index keeps accepting writes.
	if err := re.Apply(ctx, nil, []string{"late"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := re.Get("late"); ok {
		t.Fatal("delete after reopen did not apply")
	}
}

func TestOpenRejectsUnusableDirectories(t *testing.T) {
	build := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "index")
		ix, err := New(diskConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Apply(context.Background(), corpus(), nil); err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"missing", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"no meta", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, metaFile)) }},
		{"garbled meta", func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, metaFile), []byte("{"), 0o644) }},
		{"older mapping", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, metaFile), []byte(`{"mapping_version":0}`), 0o644)
		}},
		{"older format", func(t *testing.T, dir string) {
			// A directory of the binaries before compressed bodies.
			b, _ := json.Marshal(meta{MappingVersion: MappingVersion, Format: 2, Shards: []string{"22", "35", "75", "_"}})
			os.WriteFile(filepath.Join(dir, metaFile), b, 0o644)
		}},
		{"another offer dictionary", func(t *testing.T, dir string) {
			b, _ := json.Marshal(meta{MappingVersion: MappingVersion, Format: formatVersion, Shards: []string{"22", "35", "75", "_"}, OfferDict: "0123456789abcdef"})
			os.WriteFile(filepath.Join(dir, metaFile), b, 0o644)
		}},
		{"stored copy of another codec", func(t *testing.T, dir string) {
			// What version 1 wrote, in a directory that claims today's
			// format: the shard is unreadable, never half read.
			ix, err := Open(diskConfig(dir))
			if err != nil {
				t.Fatal(err)
			}
			o := corpus()[0]
			v1 := append([]byte{1}, encodeDoc(newDoc(&o, nil, nil))[1:]...)
			if err := ix.shards["22"].text.Index(o.ID, bleveFields(&o, v1, true)); err != nil {
				t.Fatal(err)
			}
			ix.Close()
		}},
		{"corrupt shard", func(t *testing.T, dir string) {
			shard := shardPath(dir, "22")
			filepath.WalkDir(shard, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					os.WriteFile(p, []byte("garbage"), 0o644)
				}
				return nil
			})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := build(t)
			tc.spoil(t, dir)
			ix, err := Open(diskConfig(dir))
			if err == nil {
				ix.Close()
				t.Fatal("opened a spoilt index")
			}
			if !errors.Is(err, ErrIncompatible) {
				t.Fatalf("error %v does not wrap ErrIncompatible", err)
			}
		})
	}
}

func TestNewRefusesANonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	if _, err := New(diskConfig(dir)); err == nil {
		t.Fatal("created an index over existing files")
	}
}

// TestOpenRepairsACrashedApply reproduces what a crash in the middle of an
// Apply leaves on disk — an offer moved from 22 to 35 written in its new
// shard but not yet deleted from its old one; an Apply whose journal is
// still there — and checks that Open serves neither copy, reports the
// offers as pending, and that writing them again settles everything.
func TestOpenRepairsACrashedApply(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := New(diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, corpus(), nil); err != nil {
		t.Fatal(err)
	}
	// bread-near moves to Rennes (35): its new copy reaches shard 35, the
	// crash comes before shard 22 forgets it.
	moved := offer("bread-near", "Boulangerie Le Gall", "Découvrir le fournil et la vente.", at(rennes, "35000", "Rennes", "35"))
	d := newDoc(&moved, nil, nil)
	if err := ix.shards["35"].text.Index(moved.ID, bleveDoc(d, true)); err != nil {
		t.Fatal(err)
	}
	// And an Apply on "vet" was under way.
	if err := writeJournal(dir, []string{"vet"}); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	re, err := Open(diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := re.Pending(); !slices.Equal(got, []string{"bread-near", "vet"}) {
		t.Fatalf("pending %v, want [bread-near vet]", got)
	}
	// Their titles' words are not counted either.
	sameSpellings(t, re)
	for _, q := range []stageindex.SearchRequest{{Query: "boulangerie"}, {Center: &stBrieuc, RadiusKm: 60}, {Center: &rennes, RadiusKm: 10}} {
		res, err := re.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.ID == "bread-near" || h.ID == "vet" {
				t.Errorf("search %+v serves the untrusted %s", q, h.ID)
			}
		}
	}
	// The caller writes them again from its source: the moved offer in
	// Rennes, vet deleted meanwhile.
	if err := re.Apply(ctx, []stageindex.Offer{moved}, []string{"vet"}); err != nil {
		t.Fatal(err)
	}
	if len(re.Pending()) != 0 {
		t.Fatalf("still pending: %v", re.Pending())
	}
	if _, err := os.Stat(filepath.Join(dir, journalFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("journal left after the repair: %v", err)
	}
	re.Close()
	re, err = Open(diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if len(re.Pending()) != 0 {
		t.Fatalf("pending after a clean reopen: %v", re.Pending())
	}
	res, _ := re.Search(ctx, stageindex.SearchRequest{Query: "boulangerie", Center: &rennes, RadiusKm: 5})
	if got := ids(res.Hits); !slices.Equal(got, []string{"bread-near"}) {
		t.Errorf("around Rennes: %v, want [bread-near]", got)
	}
	res, _ = re.Search(ctx, stageindex.SearchRequest{Query: "boulangerie", Center: &plerin, RadiusKm: 1})
	if slices.Contains(ids(res.Hits), "bread-near") {
		t.Errorf("the old copy near Plérin is still served: %v", ids(res.Hits))
	}
	if n := re.Len(); n != len(corpus())-1 {
		t.Errorf("%d offers, want %d", n, len(corpus())-1)
	}
}

func TestOpenRefusesMissingShards(t *testing.T) {
	for _, spoil := range []func(dir string){
		func(dir string) { os.RemoveAll(shardPath(dir, "35")) },
		func(dir string) {
			entries, _ := os.ReadDir(filepath.Join(dir, "shards"))
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, "shards", e.Name()))
			}
		},
	} {
		dir := filepath.Join(t.TempDir(), "index")
		ix, err := New(diskConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Apply(context.Background(), corpus(), nil); err != nil {
			t.Fatal(err)
		}
		ix.Close()
		spoil(dir)
		if re, err := Open(diskConfig(dir)); !errors.Is(err, ErrIncompatible) {
			if re != nil {
				re.Close()
			}
			t.Fatalf("opened an index with shards missing: %v", err)
		}
	}
}

// TestOpenClassifiesAgainUnderANewModel writes an index whose offers were
// classified by no ROME model (a thesaurus parsed alone) and reopens it
// with the embedded one, loaded by Open itself while the shards open or
// given: the stored fiches are stale, so each offer must be classified
// again, and the directory must record the new model.
func TestOpenClassifiesAgainUnderANewModel(t *testing.T) {
	ctx := context.Background()
	embedded, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		thes *Thesaurus
	}{
		{"loaded by Open", nil},
		{"given", embedded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bare, err := ParseThesaurus(thesaurusFile)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "index")
			cfg := diskConfig(dir)
			cfg.Thesaurus = bare
			ix, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply(ctx, corpus(), nil); err != nil {
				t.Fatal(err)
			}
			q := stageindex.SearchRequest{Query: "boulangerie", Center: &stBrieuc, RadiusKm: 30}
			fiches := func(ix *Index) map[string]string {
				res, err := ix.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				m := map[string]string{}
				for _, h := range res.Hits {
					if h.ROME != nil {
						m[h.ID] = h.ROME.Code
					}
				}
				return m
			}
			if got := fiches(ix); len(got) != 0 {
				t.Fatalf("offers classified without a ROME model: %v", got)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			cfg = diskConfig(dir)
			cfg.Thesaurus = tc.thes
			re, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer re.Close()
			if got := fiches(re); got["bread-near"] != "D1102" || got["bread-here"] != "D1102" {
				t.Errorf("fiches after reopen under the ROME model: %v, want bread-near and bread-here in D1102", got)
			}
			b, err := os.ReadFile(filepath.Join(dir, metaFile))
			if err != nil {
				t.Fatal(err)
			}
			var m meta
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m.ROMEModel == "" || m.ROMEModel != re.romeModel() {
				t.Errorf("directory records model %q, the index classifies with %q", m.ROMEModel, re.romeModel())
			}
		})
	}
}
