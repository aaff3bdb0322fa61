package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/stageindex/stageindex"
)

// ErrIncompatible is wrapped by Open's error when the directory holds no
// index, a damaged one, or one built with another MappingVersion: the
// caller rebuilds from the database.
var ErrIncompatible = errors.New("search: index directory unusable")

// metaFile records what built the directory. Callers build a new index in a
// temporary directory and rename it into place once complete, so a
// directory that is in place is finished.
const metaFile = "search.json"

type meta struct {
	MappingVersion int `json:"mapping_version"`
}

func shardPath(dir, key string) string { return filepath.Join(dir, "shards", key) }

func createDir(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("search: create %s: directory not empty", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "shards"), 0o755); err != nil {
		return fmt.Errorf("search: create: %w", err)
	}
	b, _ := json.Marshal(meta{MappingVersion: MappingVersion})
	if err := writeFileAtomic(filepath.Join(dir, metaFile), b); err != nil {
		return fmt.Errorf("search: create: %w", err)
	}
	return nil
}

// writeFileAtomic writes name through a synced temporary file and a rename,
// so that a crash leaves the old content or the new, never a mix.
func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// Open reopens the index kept in cfg.Dir: its Bleve shards as they are on
// disk, and the offers stored in them, from which the in-memory structures
// (slots, H3 cells, vocabulary) are rebuilt.
func Open(cfg Config) (*Index, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: no directory given", ErrIncompatible)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIncompatible, metaFile, err)
	}
	if m.MappingVersion != MappingVersion {
		return nil, fmt.Errorf("%w: built with mapping version %d, this binary uses %d", ErrIncompatible, m.MappingVersion, MappingVersion)
	}
	entries, err := os.ReadDir(filepath.Join(cfg.Dir, "shards"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, err)
	}
	ix, err := newIndex(cfg)
	if err != nil {
		return nil, err
	}
	type loaded struct {
		s    *shard
		docs []*doc
		err  error
	}
	results := make([]loaded, len(entries))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, docs, err := ix.openShard(e.Name())
			results[i] = loaded{s, docs, err}
		}()
	}
	wg.Wait()
	var first error
	for _, r := range results {
		if r.err != nil && first == nil {
			first = r.err
		}
	}
	if first != nil {
		for _, r := range results {
			if r.s != nil {
				r.s.text.Close()
			}
		}
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, first)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, r := range results {
		ix.shards[r.s.key] = r.s
		for _, d := range r.docs {
			ix.insert(d)
		}
	}
	return ix, nil
}

// openShard opens one shard and decodes the offers stored in it. Bleve may
// panic on a damaged segment file: that is an unusable directory too.
func (ix *Index) openShard(key string) (s *shard, docs []*doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, docs, err = nil, nil, fmt.Errorf("shard %s: %v", key, r)
		}
	}()
	t, err := bleve.Open(shardPath(ix.cfg.Dir, key))
	if err != nil {
		return nil, nil, fmt.Errorf("shard %s: %w", key, err)
	}
	s = &shard{key: key, text: t, minLat: math.Inf(1), maxLat: math.Inf(-1), minLng: math.Inf(1), maxLng: math.Inf(-1)}
	n, err := t.DocCount()
	if err != nil {
		t.Close()
		return nil, nil, fmt.Errorf("shard %s: %w", key, err)
	}
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), int(n)+1, 0, false)
	req.Fields = []string{fieldSource}
	req.Sort = nil
	res, err := t.Search(req)
	if err != nil {
		t.Close()
		return nil, nil, fmt.Errorf("shard %s: %w", key, err)
	}
	docs = make([]*doc, 0, len(res.Hits))
	for _, h := range res.Hits {
		src, _ := h.Fields[fieldSource].(string)
		var o stageindex.Offer
		if err := json.Unmarshal([]byte(src), &o); err != nil || o.ID != h.ID {
			t.Close()
			return nil, nil, fmt.Errorf("shard %s: offer %s: stored copy unreadable", key, h.ID)
		}
		d := newDoc(&o, ix.cfg.CommuneOf)
		if d.shard != key {
			t.Close()
			return nil, nil, fmt.Errorf("shard %s: offer %s belongs to shard %s", key, h.ID, d.shard)
		}
		docs = append(docs, d)
	}
	return s, docs, nil
}
