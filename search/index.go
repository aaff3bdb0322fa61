// Package search is the in-memory search core: a Bleve text index sharded by
// department, an H3 cell index of offer locations, and the filters, facets,
// ranking and highlights computed over them. It does no I/O: the indexer
// feeds it offers and the API asks it questions.
package search

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/uber/h3-go/v4"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/internal/lru"
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
	// Dir, when set, keeps the index on disk there (see Open); each Apply is
	// durable when it returns. Empty keeps everything in memory.
	Dir string
}

// Index is a searchable set of offers. It is safe for concurrent use: any
// number of searches run alongside one Apply at a time.
type Index struct {
	cfg     Config
	mapping *mapping.IndexMappingImpl
	thes    *Thesaurus
	cache   *lru.Cache[cacheKey, []match]
	plans   *lru.Cache[string, *textPlan] // a nil plan: q has no searchable word
	// corrections caches correct's answers by query text.
	corrections *lru.Cache[string, string]
	stats       *lru.Cache[statsKey, stageindex.Stats] // StatsIn's answers
	slow        chan struct{}                          // slots of slowGate
	noisy       chan struct{}                          // the one slot of noise (admit)
	answers     *lru.Cache[string, answer]             // see answer

	keyBufs sync.Pool // of *[]hitKey, see getKeys
	// counters holds facet counters, see Index.facetCounter.
	counters sync.Pool
	// sectorKeys maps each sector's Fold-ed name to the name, so that a
	// query naming a sector is recognised without folding 47 names.
	sectorKeys map[string]string

	// gen counts the Applies, for the API's ETags (see Generation).
	gen atomic.Uint64
	// applying counts the Applies under way, for Warm to give way to them.
	applying atomic.Int32
	// scopes are the title vocabularies of partner scopes (SuggestIn).
	scopes scopeVocabs

	applyMu sync.Mutex // serialises writers
	// pending (under applyMu) are ids whose last write on disk may be half
	// done (see journalFile and Open): kept in the journal until an Apply
	// writes or deletes them.
	pending []string
	mu      sync.RWMutex
	docs    []*doc // by slot; nil when free
	hot     []hot  // by slot, parallel to docs; zero (not live) when free
	free    []int32
	byID    map[string]int32
	cells   *geo.CellIndex
	shards  map[string]*shard
	depts   []string          // interned department codes, for facet counting
	deptIdx map[string]uint16 // index of each code in depts
	vocab   *vocab
	store   offerStore // the offers of docs, encoded (see doc.rec)
	closed  bool       // by Close: searches fail (errClosed)
	// matchPools holds Bleve document match pools for eachMatch.
	matchPools sync.Pool
}

// shard is one department's text index. gen changes with every write so that
// cached text matches of an older content are never reused.
type shard struct {
	key                            string
	text                           bleve.Index
	gen                            uint64
	n                              int
	minLat, maxLat, minLng, maxLng float64
	// byFiche lists the shard's offers by the ROME fiches their words name
	// (doc.romes), with the fiche's weight for the offer.
	byFiche map[int16]map[int32]float32
	// slots map its Bleve documents to slots (slots.go).
	slots slotTables
}

// New returns an empty in-memory index.
//
// With cfg.Dir set, the directory must not exist or be empty; the index
// is created there.
func New(cfg Config) (*Index, error) {
	if cfg.Thesaurus == nil {
		t, err := LoadThesaurus()
		if err != nil {
			return nil, fmt.Errorf("search: thesaurus: %w", err)
		}
		cfg.Thesaurus = t
	}
	ix, err := newIndex(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Dir != "" {
		if err := createDir(cfg.Dir, ix.romeModel()); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// newIndex returns an empty index of cfg; its caller sees to the
// thesaurus (Open loads it while the shards open).
func newIndex(cfg Config) (*Index, error) {
	m, err := newMapping(cfg.Dir != "")
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ix := &Index{
		cfg: cfg, mapping: m, thes: cfg.Thesaurus, cache: lru.New(matchesBudget, matchesSize), plans: lru.New(plansBudget, planSize), corrections: lru.New(correctionsBudget, correctionSize),
		stats:   lru.New(1<<20, statsSize),
		slow:    make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		noisy:   make(chan struct{}, 1),
		answers: lru.New(answersBudget, answerSize),
		store:   newOfferStore(cfg.Dir),
		byID:    map[string]int32{}, cells: geo.NewCellIndex(), shards: map[string]*shard{}, vocab: newVocab(), deptIdx: map[string]uint16{},
	}
	ix.sectorKeys = make(map[string]string, len(stageindex.Sectors))
	for _, name := range stageindex.Sectors {
		ix.sectorKeys[stageindex.Fold(name)] = name
	}
	return ix, nil
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
	if !ok || ix.closed {
		return stageindex.Offer{}, false
	}
	return ix.offerOf(ix.docs[slot]), true
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
	ix.store.release()
	ix.closed = true
	return first
}

// errClosed is the error of a search of a closed index: its offers' store is
// gone. Live never lets one happen (a swap waits for the searches on the
// old index), a caller holding an Index past its Close would.
func errClosed() error {
	return stageindex.Errorf(stageindex.EUNAVAILABLE, "search: the index is closed")
}

// Compact merges each shard on disk into one segment. A base indexed in
// several Applies (indexer.Build beyond 100,000 offers) leaves as many
// segments in every shard, which Bleve's tiered merges keep as they are
// (up to ten a tier): each search and each reopen then walk them all. It
// does nothing to an index in memory, whose segments Bleve does not merge
// on request.
func (ix *Index) Compact(ctx context.Context) error {
	if ix.cfg.Dir == "" {
		return nil
	}
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	ix.mu.RLock()
	shards := make([]*shard, 0, len(ix.shards))
	for _, s := range ix.shards {
		shards = append(shards, s)
	}
	ix.mu.RUnlock()
	return eachParallel(ctx, shards, func(s *shard) error {
		adv, err := s.text.Advanced()
		if err != nil {
			return fmt.Errorf("search: compact shard %s: %w", s.key, err)
		}
		if sc, ok := adv.(*scorch.Scorch); ok {
			if err := sc.ForceMerge(ctx, nil); err != nil {
				return fmt.Errorf("search: compact shard %s: %w", s.key, err)
			}
		}
		return nil
	})
}

// Segments returns how many Bleve segments the shards hold, all told, and
// how many shards there are.
func (ix *Index) Segments() (segments, shards int, err error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, s := range ix.shards {
		adv, err := s.text.Advanced()
		if err != nil {
			return 0, 0, fmt.Errorf("search: segments: %w", err)
		}
		r, err := adv.Reader()
		if err != nil {
			return 0, 0, fmt.Errorf("search: segments: %w", err)
		}
		if snap, ok := r.(*scorch.IndexSnapshot); ok {
			n += len(snap.Segments())
		}
		r.Close()
	}
	return n, len(ix.shards), nil
}

// floorSegmentSize is the merge planner's floor for shards on disk (Bleve's
// default is 2,000 documents). A sync poll adds a segment of a few offers
// to nearly every département's shard; with the default floor, all of a
// shard's segments (the shards hold 1,000 offers at 100k) count as one
// tier, so every tenth poll rewrote each whole shard: merges took half
// the CPU and a poll at 1,000 changes/s 0.8–1.5 s. With a small floor the
// small segments merge among themselves, tier by tier, and the large one
// is rewritten rarely (BenchmarkApplyDisk: 1.5 s → 0.3–0.6 s a poll on a
// loaded machine; docs/sync.md).
const floorSegmentSize = 20

// diskShardConfig is the scorch configuration of a shard on disk, given
// when it is created and again when it is opened (so that indexes made
// before it get it too).
func diskShardConfig() map[string]any {
	return map[string]any{"scorchMergePlanOptions": map[string]any{"FloorSegmentSize": floorSegmentSize}}
}

func (ix *Index) newShard(key string) (*shard, error) {
	// An empty path gives an in-memory scorch index, much faster to build
	// than Bleve's default in-memory upsidedown store.
	path := ""
	if ix.cfg.Dir != "" {
		path = shardPath(ix.cfg.Dir, key)
	}
	var kv map[string]any
	if path != "" {
		kv = diskShardConfig()
	}
	t, err := bleve.NewUsing(path, ix.mapping, scorch.Name, scorch.Name, kv)
	if err != nil {
		return nil, fmt.Errorf("search: new shard %s: %w", key, err)
	}
	return &shard{key: key, text: t, minLat: math.Inf(1), maxLat: math.Inf(-1), minLng: math.Inf(1), maxLng: math.Inf(-1)}, nil
}

// Apply inserts or replaces upserts and removes the offers with ids in
// deletes. Offers are kept whatever their publication state: searches filter
// unpublished and past ones, since time moves on between writes.
func (ix *Index) Apply(ctx context.Context, upserts []stageindex.Offer, deletes []string) error {
	return ix.apply(ctx, ix.newDocs(upserts), deletes)
}

// Prepared holds offers made ready for an Apply by Index.Prepare.
type Prepared struct {
	ix   *Index
	docs []*doc
	used atomic.Bool
}

// Len returns the number of offers p holds, 0 once applied.
func (p *Prepared) Len() int { return len(p.docs) }

// Prepare does the part of an Apply of upserts that needs neither the
// index's state nor its locks: each offer's ROME classification, its
// commune and its encoded record, on every core for 1,000 offers or more.
// It may run alongside searches, Applies and other Prepares, so that a
// build prepares the offers it has read while it reads more
// (indexer.Build). upserts must not change until ApplyPrepared returns.
func (ix *Index) Prepare(upserts []stageindex.Offer) *Prepared {
	return &Prepared{ix: ix, docs: ix.newDocs(upserts)}
}

// ApplyPrepared is Apply of the offers of ps, in their order, as if they
// were one slice of upserts: the same index as Apply of them all at once
// (one Bleve batch per shard). Each Prepared must come from ix's Prepare
// and is applied at most once.
func (ix *Index) ApplyPrepared(ctx context.Context, ps []*Prepared, deletes []string) error {
	n := 0
	for _, p := range ps {
		if p.used.Load() {
			return fmt.Errorf("search: apply prepared: offers applied twice")
		}
		if p.ix != ix {
			return fmt.Errorf("search: apply prepared: offers prepared by another index")
		}
		n += len(p.docs)
	}
	docs := make([]*doc, 0, n)
	for _, p := range ps {
		// Its docs are consumed by the first Apply (insert moves them
		// into the store).
		if p.used.Swap(true) {
			return fmt.Errorf("search: apply prepared: offers applied twice")
		}
		docs = append(docs, p.docs...)
		// A Prepared its caller still holds must not keep the index
		// (and its docs) alive once the caller has let the index go.
		p.ix, p.docs = nil, nil
	}
	return ix.apply(ctx, docs, deletes)
}

// apply writes newDocs (newDocs' docs of upserts, in their order) and
// deletes, as Apply documents.
func (ix *Index) apply(ctx context.Context, newDocs []*doc, deletes []string) error {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	ix.applying.Add(1)
	defer ix.applying.Add(-1)

	// Text first, outside the read lock: a search racing with this write sees
	// Bleve ids it cannot resolve yet, and skips them.
	work := map[string]*shardWork{}
	get := func(key string) *shardWork {
		w, ok := work[key]
		if !ok {
			w = &shardWork{key: key}
			work[key] = w
		}
		return w
	}
	ix.mu.RLock()
	oldShard := func(id string) (string, bool) {
		if slot, ok := ix.byID[id]; ok {
			return ix.docs[slot].shard(), true
		}
		return "", false
	}
	for _, d := range newDocs {
		if old, ok := oldShard(d.id); ok && old != d.shard() {
			get(old).deletes = append(get(old).deletes, d.id)
		}
		get(d.shard()).docs = append(get(d.shard()).docs, d)
	}
	for _, id := range deletes {
		if old, ok := oldShard(id); ok {
			get(old).deletes = append(get(old).deletes, id)
		}
	}
	var newKeys []string
	for key := range work {
		if _, ok := ix.shards[key]; !ok {
			newKeys = append(newKeys, key)
		}
	}
	ix.mu.RUnlock()
	if ix.cfg.Dir != "" {
		if err := ix.journal(newDocs, deletes, newKeys); err != nil {
			return err
		}
	}
	if err := ix.runShardWork(ctx, work); err != nil {
		return err
	}

	ix.mu.Lock()
	for _, id := range deletes {
		ix.remove(id)
	}
	if len(newDocs) >= bulkUpserts {
		sortByCell(newDocs)
	}
	for _, d := range newDocs {
		ix.remove(d.id)
		ix.insert(d)
	}
	ix.compactStore()
	for key := range work {
		ix.shards[key].gen++
	}
	ix.gen.Add(1)
	// The new offers are searchable from here. What follows, the journal's
	// fsync and a bulk load's collection, runs without the lock: searches
	// waited for both.
	ix.mu.Unlock()
	if ix.cfg.Dir != "" {
		touched := make(map[string]bool, len(newDocs)+len(deletes))
		for _, d := range newDocs {
			touched[d.id] = true
		}
		for _, id := range deletes {
			touched[id] = true
		}
		ix.pending = slices.DeleteFunc(ix.pending, func(id string) bool { return touched[id] })
		// Every shard batch is durable: the journal goes (or keeps only
		// what Open found and no Apply has rewritten yet).
		if err := writeJournal(ix.cfg.Dir, ix.pending); err != nil {
			return err
		}
	}
	if len(newDocs) >= bulkUpserts {
		// A bulk load leaves hundreds of megabytes of analysis garbage; hand
		// it back to the OS now rather than keep the peak as resident memory.
		debug.FreeOSMemory()
	}
	return nil
}

// journal records, before any shard is written, the ids this Apply
// changes (with those still pending), and creates the shards it needs,
// recorded in the directory's meta so that Open knows every shard that
// must exist. The caller holds applyMu.
func (ix *Index) journal(newDocs []*doc, deletes []string, newKeys []string) error {
	ids := slices.Clone(ix.pending)
	for _, d := range newDocs {
		ids = append(ids, d.id)
	}
	ids = append(ids, deletes...)
	slices.Sort(ids)
	if err := writeJournal(ix.cfg.Dir, slices.Compact(ids)); err != nil {
		return err
	}
	if len(newKeys) == 0 {
		return nil
	}
	// Side by side: creating a shard on disk is mostly waiting for its
	// files to sync (a first build's hundred shards took 0.64–0.74 s one
	// after the other, 0.1–0.3 s eight at a time).
	created := make([]*shard, len(newKeys))
	errs := make([]error, len(newKeys))
	sem := make(chan struct{}, shardCreators)
	var wg sync.WaitGroup
	for i, key := range newKeys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			created[i], errs[i] = ix.newShard(key)
		})
	}
	wg.Wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i, sh := range created {
		if sh != nil {
			ix.shards[newKeys[i]] = sh
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return writeMeta(ix.cfg.Dir, slices.Collect(maps.Keys(ix.shards)), ix.romeModel())
}

// shardCreators is how many shards journal creates at a time.
const shardCreators = 8

// newDocs prepares the docs of upserts, on every core for a bulk load:
// classifying an offer by ROME fiche reads and analyses its words.
func (ix *Index) newDocs(upserts []stageindex.Offer) []*doc {
	out := make([]*doc, len(upserts))
	workers := 1
	if len(upserts) >= 1000 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(upserts); i += workers {
				// The caller's offer itself, not a copy: a doc points to
				// it only until insert has encoded it, within this Apply.
				d := newDoc(&upserts[i], ix.cfg.CommuneOf, ix.thes)
				// Encoded here, on every core, once: compressing its
				// body is work, and both the shard's stored copy and
				// the store take these bytes.
				d.pending.enc = encodeDoc(d)
				out[i] = d
			}
		})
	}
	wg.Wait()
	return out
}

// bulkUpserts is the size from which an Apply is a bulk load.
const bulkUpserts = 10000

// shardWork is what one Apply changes in one shard.
type shardWork struct {
	key     string
	docs    []*doc
	deletes []string
}

// runShardWork writes each shard's changes as Bleve batches, a few at a
// time: a batch holds its documents' analysis until it is written, so
// building every shard's batch up front would hold the whole corpus at once.
func (ix *Index) runShardWork(ctx context.Context, work map[string]*shardWork) error {
	workers := max(2, runtime.GOMAXPROCS(0))
	var list []*shardWork
	for _, j := range work {
		list = append(list, splitShardWork(j, workers)...)
	}
	// Largest first, so that the last to finish are small ones: in map
	// order a large département's batch came last now and then, one core
	// building it while the other waited.
	slices.SortFunc(list, func(a, b *shardWork) int {
		return (len(b.docs) + len(b.deletes)) - (len(a.docs) + len(a.deletes))
	})
	return eachParallel(ctx, list, ix.writeShard)
}

// eachParallel calls fn with each of items, on max(2, GOMAXPROCS)
// goroutines, and returns the first error, or ctx's once it ends (the
// items not started by then are skipped).
func eachParallel[T any](ctx context.Context, items []T, fn func(T) error) error {
	jobs := make(chan T)
	errs := make(chan error, len(items))
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for j := range jobs {
				if err := fn(j); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, j := range items {
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

// splitMinDocs is the fewest documents worth a batch of their own.
const splitMinDocs = 1000

// splitShardWork cuts a shard's large change into at most parts batches,
// written side by side. Bleve builds one batch's segment on one core, so a
// platform's 10,000-row update of offers of one département kept the other
// core idle for half the Apply. An id, its upserts and its delete, always
// goes to the same part, so that its last write wins as in one batch.
func splitShardWork(j *shardWork, parts int) []*shardWork {
	parts = min(parts, (len(j.docs)+len(j.deletes))/splitMinDocs)
	if parts < 2 {
		return []*shardWork{j}
	}
	out := make([]*shardWork, parts)
	for i := range out {
		out[i] = &shardWork{key: j.key}
	}
	part := func(id string) *shardWork {
		h := fnv.New32a()
		h.Write([]byte(id))
		return out[h.Sum32()%uint32(parts)]
	}
	for _, id := range j.deletes {
		p := part(id)
		p.deletes = append(p.deletes, id)
	}
	for _, d := range j.docs {
		p := part(d.id)
		p.docs = append(p.docs, d)
	}
	return out
}

func (ix *Index) writeShard(j *shardWork) error {
	ix.mu.Lock()
	s, ok := ix.shards[j.key]
	if !ok {
		var err error
		if s, err = ix.newShard(j.key); err != nil {
			ix.mu.Unlock()
			return err
		}
		ix.shards[j.key] = s
	}
	ix.mu.Unlock()
	b := s.text.NewBatch()
	for _, id := range j.deletes {
		b.Delete(id)
	}
	for _, d := range j.docs {
		var fields map[string]any
		if d.pending != nil {
			fields = bleveDoc(d, ix.cfg.Dir != "")
		} else {
			// A doc already inserted, written again by Repair.
			ix.mu.RLock()
			o := ix.offerOf(d)
			// A copy: Bleve reads it after the lock is let go.
			fields = bleveFields(&o, bytes.Clone(ix.store.load(d.rec, nil)), ix.cfg.Dir != "")
			ix.mu.RUnlock()
		}
		if err := b.Index(d.id, fields); err != nil {
			return fmt.Errorf("search: index %s: %w", d.id, err)
		}
	}
	if err := s.text.Batch(b); err != nil {
		return fmt.Errorf("search: shard %s batch: %w", j.key, err)
	}
	return nil
}

// remove drops id from the in-memory structures; the caller holds mu.
func (ix *Index) remove(id string) {
	slot, ok := ix.byID[id]
	if !ok {
		return
	}
	d := ix.docs[slot]
	if ix.hot[slot].has(flagHasLoc) {
		ix.cells.Remove(slot, d.lat, d.lng)
	}
	if s := ix.shards[d.shard()]; s != nil {
		s.n--
		for _, r := range d.romes {
			if r.fiche >= 0 {
				delete(s.byFiche[r.fiche], slot)
			}
		}
	}
	ix.vocab.add(decodeTitle(ix.store.load(d.rec, nil)), -1)
	ix.store.drop(d.rec)
	ix.vacate(slot)
	ix.free = append(ix.free, slot)
	delete(ix.byID, id)
}

// vacate empties slot, moving on its generation; the caller holds mu.
func (ix *Index) vacate(slot int32) {
	ix.docs[slot] = nil
	ix.hot[slot] = hot{gen: ix.hot[slot].gen + 1}
}

// insert adds d in a free slot; the caller holds mu.
func (ix *Index) insert(d *doc) {
	var c cells
	if d.pending != nil {
		if d.pending.enc == nil {
			d.pending.enc = encodeDoc(d)
		}
		c = d.pendingCells()
		d.rec = ix.store.add(d.pending.enc)
		d.pending = nil
	} else if d.init.has(flagHasLoc) {
		c = cellsOf(d)
	}
	ix.vocab.add(decodeTitle(ix.store.load(d.rec, nil)), 1)
	ix.place(d, c)
}

// cells are the H3 cells of a doc's location; ok is false when it has
// none or geo cannot place it.
type cells struct {
	fine, coarse h3.Cell
	ok           bool
}

func cellsOf(d *doc) cells {
	f, c, err := geo.Cells(d.lat, d.lng)
	return cells{f, c, err == nil}
}

// place puts d, encoded in the store, in a free slot with its cells c;
// its title's words are the caller's to count (insert, Open). The caller
// holds mu.
func (ix *Index) place(d *doc, c cells) {
	var slot int32
	if n := len(ix.free); n > 0 {
		slot, ix.free = ix.free[n-1], ix.free[:n-1]
	} else {
		slot = int32(len(ix.docs))
		ix.docs = append(ix.docs, nil)
		ix.hot = append(ix.hot, hot{})
	}
	ix.store.keep(d.rec)
	ix.byID[d.id] = slot
	d.init.deptIdx = ix.internDept(d.dept)
	ix.settle(slot, d, c)
	if c.ok {
		ix.cells.AddCells(slot, c.fine, c.coarse)
	}
}

// settle puts d, with its cells c, in slot: the part of place that only
// touches that slot and d's shard, so that Open settles the docs of
// different shards at once. The caller holds mu, and the shard is in
// Index.shards.
func (ix *Index) settle(slot int32, d *doc, c cells) {
	h := *d.init
	d.init = nil
	h.gen = ix.hot[slot].gen + 1
	ix.hot[slot] = h
	ix.docs[slot] = d
	s := ix.shards[d.shard()]
	s.n++
	for _, r := range d.romes {
		if r.fiche >= 0 {
			if s.byFiche == nil {
				s.byFiche = map[int16]map[int32]float32{}
			}
			if s.byFiche[r.fiche] == nil {
				s.byFiche[r.fiche] = map[int32]float32{}
			}
			s.byFiche[r.fiche][slot] = r.w
		}
	}
	if c.ok {
		s.minLat, s.maxLat = math.Min(s.minLat, d.lat), math.Max(s.maxLat, d.lat)
		s.minLng, s.maxLng = math.Min(s.minLng, d.lng), math.Max(s.maxLng, d.lng)
	}
}

func (ix *Index) internDept(code string) uint16 {
	if i, ok := ix.deptIdx[code]; ok {
		return i
	}
	ix.depts = append(ix.depts, code)
	i := uint16(len(ix.depts) - 1)
	ix.deptIdx[code] = i
	return i
}

// shardsNear returns the shards whose offers' bounding box comes within
// radiusKm of the point; the caller holds mu.
func (ix *Index) shardsNear(lat, lng, radiusKm float64) []*shard {
	var out []*shard
	// A great circle is at least as long as its latitude difference on a
	// meridian: a shard that far north or south is out without the
	// haversine formula, which was half this function's time on the
	// hundred shards (1 m of slack for rounding).
	maxDLat := (radiusKm + 0.01 + 0.001) / geo.EarthRadiusKm * 180 / math.Pi
	for _, s := range ix.shards {
		if s.n == 0 || s.minLat > s.maxLat {
			continue
		}
		clat := math.Max(s.minLat, math.Min(lat, s.maxLat))
		if math.Abs(clat-lat) > maxDLat {
			continue
		}
		clng := math.Max(s.minLng, math.Min(lng, s.maxLng))
		if geo.HaversineKm(lat, lng, clat, clng) <= radiusKm+0.01 {
			out = append(out, s)
		}
	}
	return out
}

// sortByCell orders docs by H3 cell, so that a bulk load gives the offers of
// one cell neighbouring slots and a radius search reads Index.hot in runs
// rather than at random. Offers without a location go last.
func sortByCell(docs []*doc) {
	// Keys beside their docs, not in a map: a bulk load's 100,000 docs
	// took 3.4 million map reads to sort.
	type keyed struct {
		key uint64
		d   *doc
	}
	ks := make([]keyed, len(docs))
	for i, d := range docs {
		ks[i] = keyed{math.MaxUint64, d}
		if c := d.pendingCells(); c.ok {
			ks[i].key = uint64(c.fine)
		}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	for i := range ks {
		docs[i] = ks[i].d
	}
}
