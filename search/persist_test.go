package search

import (
	"context"
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
