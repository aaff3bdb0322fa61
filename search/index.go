// Package search is the in-memory search core: a Bleve text index sharded by
// department, an H3 cell index of offer locations, and the filters, facets,
// ranking and highlights computed over them. It does no I/O: the indexer
// feeds it offers and the API asks it questions.
package search

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// Config holds what an Index needs from outside. Every field is optional.
type Config struct {
	// CommuneOf maps an offer's postcode and city to an INSEE code, so that
	// radius_km=0 can return the offers of one commune.
	CommuneOf func(zip, city string) (string, bool)
	// Thesaurus expands pupils' words; nil loads the embedded one.
	Thesaurus *Thesaurus
	// Now is the clock deciding which offers are past; nil is time.Now.
	Now func() time.Time
}

// Index is a searchable set of offers. It is safe for concurrent use: any
// number of searches run alongside one Apply at a time.
type Index struct {
	cfg     Config
	mapping *mapping.IndexMappingImpl
	thes    *Thesaurus
	cache   *textCache

	vocabOnce sync.Once
	thesWords map[string]struct{} // folded thesaurus words, for typo correction

	applyMu sync.Mutex // serialises writers
	mu      sync.RWMutex
	docs    []*doc // by slot; nil when free
	free    []int32
	byID    map[string]int32
	cells   *geo.CellIndex
	shards  map[string]*shard
	depts   []string // interned department codes, for facet counting
	vocab   *vocab
}

// shard is one department's text index. gen changes with every write so that
// cached text matches of an older content are never reused.
type shard struct {
	key                            string
	text                           bleve.Index
	gen                            uint64
	n                              int
	minLat, maxLat, minLng, maxLng float64
}

// New returns an empty in-memory index.
func New(cfg Config) (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	if cfg.Thesaurus == nil {
		if cfg.Thesaurus, err = LoadThesaurus(); err != nil {
			return nil, fmt.Errorf("search: thesaurus: %w", err)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Index{
		cfg: cfg, mapping: m, thes: cfg.Thesaurus, cache: newTextCache(20000),
		byID: map[string]int32{}, cells: geo.NewCellIndex(), shards: map[string]*shard{}, vocab: newVocab(),
	}, nil
}

// Len returns the number of offers held, searchable or not.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Get returns the offer with id.
func (ix *Index) Get(id string) (stageindex.Offer, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.byID[id]
	if !ok {
		return stageindex.Offer{}, false
	}
	return *ix.docs[slot].offer, true
}

// IDs returns the ids of every offer held, for reconciliation.
func (ix *Index) IDs() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ids := make([]string, 0, len(ix.byID))
	for id := range ix.byID {
		ids = append(ids, id)
	}
	return ids
}

// Close releases the Bleve shards. Searches must have ended.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var first error
	for _, s := range ix.shards {
		if err := s.text.Close(); err != nil && first == nil {
			first = fmt.Errorf("search: close shard %s: %w", s.key, err)
		}
	}
	ix.shards = map[string]*shard{}
	return first
}

func (ix *Index) newShard(key string) (*shard, error) {
	// An empty path gives an in-memory scorch index, much faster to build
	// than Bleve's default in-memory upsidedown store.
	t, err := bleve.NewUsing("", ix.mapping, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("search: new shard %s: %w", key, err)
	}
	return &shard{key: key, text: t, minLat: math.Inf(1), maxLat: math.Inf(-1), minLng: math.Inf(1), maxLng: math.Inf(-1)}, nil
}

// Apply inserts or replaces upserts and removes the offers with ids in
// deletes. Offers are kept whatever their publication state: searches filter
// unpublished and past ones, since time moves on between writes.
func (ix *Index) Apply(ctx context.Context, upserts []stageindex.Offer, deletes []string) error {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()

	newDocs := make([]*doc, len(upserts))
	for i := range upserts {
		o := upserts[i]
		newDocs[i] = newDoc(&o, ix.cfg.CommuneOf)
	}
	// Text first, outside the read lock: a search racing with this write sees
	// Bleve ids it cannot resolve yet, and skips them.
	batches := map[string]*bleve.Batch{}
	batch := func(key string) (*bleve.Batch, error) {
		if b, ok := batches[key]; ok {
			return b, nil
		}
		ix.mu.Lock()
		s, ok := ix.shards[key]
		if !ok {
			var err error
			if s, err = ix.newShard(key); err != nil {
				ix.mu.Unlock()
				return nil, err
			}
			ix.shards[key] = s
		}
		ix.mu.Unlock()
		b := s.text.NewBatch()
		batches[key] = b
		return b, nil
	}
	ix.mu.RLock()
	oldShard := func(id string) (string, bool) {
		if slot, ok := ix.byID[id]; ok {
			return ix.docs[slot].shard, true
		}
		return "", false
	}
	type del struct{ shard, id string }
	var dels []del
	for _, d := range newDocs {
		if old, ok := oldShard(d.offer.ID); ok && old != d.shard {
			dels = append(dels, del{old, d.offer.ID})
		}
	}
	for _, id := range deletes {
		if old, ok := oldShard(id); ok {
			dels = append(dels, del{old, id})
		}
	}
	ix.mu.RUnlock()
	for _, dl := range dels {
		b, err := batch(dl.shard)
		if err != nil {
			return err
		}
		b.Delete(dl.id)
	}
	for _, d := range newDocs {
		b, err := batch(d.shard)
		if err != nil {
			return err
		}
		if err := b.Index(d.offer.ID, bleveDoc(d)); err != nil {
			return fmt.Errorf("search: index %s: %w", d.offer.ID, err)
		}
	}
	if err := ix.runBatches(ctx, batches); err != nil {
		return err
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, id := range deletes {
		ix.remove(id)
	}
	for _, d := range newDocs {
		ix.remove(d.offer.ID)
		ix.insert(d)
	}
	for key := range batches {
		ix.shards[key].gen++
	}
	return nil
}

// runBatches executes the shard batches on all cores.
func (ix *Index) runBatches(ctx context.Context, batches map[string]*bleve.Batch) error {
	type job struct {
		s *shard
		b *bleve.Batch
	}
	jobs := make(chan job)
	errs := make(chan error, len(batches))
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := j.s.text.Batch(j.b); err != nil {
					errs <- fmt.Errorf("search: shard %s batch: %w", j.s.key, err)
				}
			}
		}()
	}
	ix.mu.RLock()
	var list []job
	for key, b := range batches {
		list = append(list, job{ix.shards[key], b})
	}
	ix.mu.RUnlock()
	for _, j := range list {
		if ctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// remove drops id from the in-memory structures; the caller holds mu.
func (ix *Index) remove(id string) {
	slot, ok := ix.byID[id]
	if !ok {
		return
	}
	d := ix.docs[slot]
	if d.hasLoc {
		ix.cells.Remove(slot, d.lat, d.lng)
	}
	if s := ix.shards[d.shard]; s != nil {
		s.n--
	}
	ix.vocab.add(d.offer.Title, -1)
	ix.docs[slot] = nil
	ix.free = append(ix.free, slot)
	delete(ix.byID, id)
}

// insert adds d in a free slot; the caller holds mu.
func (ix *Index) insert(d *doc) {
	var slot int32
	if n := len(ix.free); n > 0 {
		slot, ix.free = ix.free[n-1], ix.free[:n-1]
	} else {
		slot = int32(len(ix.docs))
		ix.docs = append(ix.docs, nil)
	}
	ix.docs[slot] = d
	ix.byID[d.offer.ID] = slot
	d.deptIdx = ix.internDept(d.dept)
	ix.vocab.add(d.offer.Title, 1)
	s := ix.shards[d.shard]
	s.n++
	if d.hasLoc {
		if err := ix.cells.Add(slot, d.lat, d.lng); err == nil {
			s.minLat, s.maxLat = math.Min(s.minLat, d.lat), math.Max(s.maxLat, d.lat)
			s.minLng, s.maxLng = math.Min(s.minLng, d.lng), math.Max(s.maxLng, d.lng)
		}
	}
}

func (ix *Index) internDept(code string) uint16 {
	for i, c := range ix.depts {
		if c == code {
			return uint16(i)
		}
	}
	ix.depts = append(ix.depts, code)
	return uint16(len(ix.depts) - 1)
}

// shardsNear returns the shards whose offers' bounding box comes within
// radiusKm of the point; the caller holds mu.
func (ix *Index) shardsNear(lat, lng, radiusKm float64) []*shard {
	var out []*shard
	for _, s := range ix.shards {
		if s.n == 0 || s.minLat > s.maxLat {
			continue
		}
		clat := math.Max(s.minLat, math.Min(lat, s.maxLat))
		clng := math.Max(s.minLng, math.Min(lng, s.maxLng))
		if geo.HaversineKm(lat, lng, clat, clng) <= radiusKm+0.01 {
			out = append(out, s)
		}
	}
	return out
}
