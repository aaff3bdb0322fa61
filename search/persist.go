package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/stageindex/stageindex/geo"
)

// ErrIncompatible is wrapped by Open's error when the directory holds no
// index, a damaged one, or one built with another MappingVersion: the
// caller rebuilds from the database.
var ErrIncompatible = errors.New("search: index directory unusable")

// metaFile records what built the directory and which shards it holds.
// Callers build a new index in a temporary directory and rename it into
// place once complete, so a directory that is in place is finished.
const metaFile = "search.json"

// journalFile lists the ids of the offers an Apply is changing, written
// (durably) before the first shard is touched and removed once every shard
// is: Apply writes one offer's shards one after the other, so a crash in
// between can leave the offer in its old and its new shard, or half
// deleted. Open drops every journalled offer from every shard and reports
// it as Pending, for the caller to write again from the database.
const journalFile = "journal.json"

// formatVersion changes with the layout of the directory (meta, journal)
// and with that of the stored copies (codecVersion): 3 since their bodies
// are compressed, 4 since they hold the fine H3 cell.
const formatVersion = 4

type meta struct {
	MappingVersion int      `json:"mapping_version"`
	Format         int      `json:"format"`
	Shards         []string `json:"shards"` // every shard directory that must exist
	// ROMEModel fingerprints the classifier the stored fiches come from:
	// another one means classifying every offer again on open.
	ROMEModel string `json:"rome_model,omitempty"`
	// OfferDict names the dictionary the stored bodies are compressed
	// with (offerDictSum): with another one they would not decode.
	OfferDict string `json:"offer_dict"`
}

type journal struct {
	IDs []string `json:"ids"`
}

func shardPath(dir, key string) string { return filepath.Join(dir, "shards", key) }

func createDir(dir, romeModel string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("search: create %s: directory not empty", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "shards"), 0o755); err != nil {
		return fmt.Errorf("search: create: %w", err)
	}
	return writeMeta(dir, nil, romeModel)
}

// writeMeta records the shards of dir and the classifier of its offers.
func writeMeta(dir string, shards []string, romeModel string) error {
	shards = slices.Sorted(slices.Values(shards))
	if shards == nil {
		shards = []string{}
	}
	b, _ := json.Marshal(meta{MappingVersion: MappingVersion, Format: formatVersion, Shards: shards, ROMEModel: romeModel, OfferDict: offerDictSum})
	if err := writeFileAtomic(filepath.Join(dir, metaFile), b); err != nil {
		return fmt.Errorf("search: write meta: %w", err)
	}
	return nil
}

// writeJournal records ids as being changed; an empty list removes the
// journal.
func writeJournal(dir string, ids []string) error {
	name := filepath.Join(dir, journalFile)
	if len(ids) == 0 {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("search: journal: %w", err)
		}
		return nil
	}
	b, _ := json.Marshal(journal{IDs: ids})
	if err := writeFileAtomic(name, b); err != nil {
		return fmt.Errorf("search: journal: %w", err)
	}
	return nil
}

func readJournal(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, journalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		// A journal is renamed into place whole: garbage here is not ours
		// to guess about.
		return nil, fmt.Errorf("%s: %v", journalFile, err)
	}
	return j.IDs, nil
}

// writeFileAtomic writes name through a synced temporary file and a rename,
// then syncs the directory, so that a crash leaves the old content or the
// new, never a mix, and the rename itself survives.
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
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Open reopens the index kept in cfg.Dir: its Bleve shards as they are on
// disk, and the offers stored in them, from which the in-memory structures
// (slots, H3 cells, vocabulary) are rebuilt.
//
// It repairs what a crash can leave: every offer of the journal (an Apply
// cut short) or found in two shards is removed from every shard and listed
// by Pending, for the caller to write again from its source. A missing
// listed shard, a damaged one or another format is ErrIncompatible: the
// caller rebuilds, it never serves a partial index.
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
	if m.Format != formatVersion || m.Shards == nil {
		return nil, fmt.Errorf("%w: directory format %d, this binary uses %d", ErrIncompatible, m.Format, formatVersion)
	}
	if m.OfferDict != offerDictSum {
		return nil, fmt.Errorf("%w: offers compressed with dictionary %q, this binary uses %q", ErrIncompatible, m.OfferDict, offerDictSum)
	}
	entries, err := os.ReadDir(filepath.Join(cfg.Dir, "shards"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, err)
	}
	// An offer store's file is unlinked once created; a crash in between
	// leaves it, a cache nothing reads again.
	if stale, _ := filepath.Glob(filepath.Join(cfg.Dir, storeFilePattern)); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	// A shard created by an Apply that crashed before recording it holds
	// only journalled offers; it is opened like the others.
	keys := slices.Clone(m.Shards)
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(keys, e.Name()) {
			keys = append(keys, e.Name())
		}
	}
	for _, k := range m.Shards {
		if _, err := os.Stat(shardPath(cfg.Dir, k)); err != nil {
			return nil, fmt.Errorf("%w: shard %s: %v", ErrIncompatible, k, err)
		}
	}
	journalled, err := readJournal(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, err)
	}
	// The embedded thesaurus (a third of a second of one core) loads while
	// the shards open, on the assumption that it classifies as the one the
	// stored fiches come from; when it does not (a new binary's model), the
	// shards open again to classify their offers. A restart under load
	// waits for the two side by side, not one after the other.
	if cfg.Thesaurus == nil {
		go LoadThesaurus() // built once per process: waited for below
	}
	ix, err := newIndex(cfg)
	if err != nil {
		return nil, err
	}
	var results []openedShard
	closeAll := func() {
		for _, r := range results {
			if r.s != nil {
				r.s.text.Close()
			}
		}
		results = nil
	}
	openAll := func(sameModel bool) error {
		results = make([]openedShard, len(keys))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i, key := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				results[i] = ix.openShard(key, sameModel)
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.err != nil {
				closeAll()
				return fmt.Errorf("%w: %v", ErrIncompatible, r.err)
			}
		}
		return nil
	}
	sameModel := cfg.Thesaurus == nil || m.ROMEModel == ix.romeModel()
	if err := openAll(sameModel); err != nil {
		return nil, err
	}
	if cfg.Thesaurus == nil {
		t, err := LoadThesaurus()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("search: thesaurus: %w", err)
		}
		ix.cfg.Thesaurus, ix.thes = t, t
	}
	if sameModel && m.ROMEModel != ix.romeModel() {
		closeAll()
		if err := openAll(false); err != nil {
			return nil, err
		}
	}
	// Suspects: the journal, and any id stored in two shards.
	suspect := map[string]bool{}
	for _, id := range journalled {
		suspect[id] = true
	}
	n := 0
	for _, r := range results {
		n += len(r.docs)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// Each doc is given the slot of its place in the shards' order. The id
	// map, sized once (grown from empty, rehashing it was a tenth of a 1M
	// reopen's CPU), is also the duplicate check.
	ix.byID = make(map[string]int32, n)
	base := make([]int32, len(results)) // the slot of each shard's first doc
	slot := int32(0)
	for i, r := range results {
		base[i] = slot
		for _, d := range r.docs {
			if _, dup := ix.byID[d.id]; dup {
				suspect[d.id] = true
			} else {
				ix.byID[d.id] = slot
			}
			slot++
		}
	}
	for id := range suspect {
		delete(ix.byID, id)
	}
	ix.pending = slices.Sorted(maps.Keys(suspect))
	if len(ix.pending) > 0 {
		// Journalled first: a crash during this repair repeats it.
		if err := writeJournal(cfg.Dir, ix.pending); err != nil {
			closeAll()
			return nil, err
		}
		for _, r := range results {
			bt := r.s.text.NewBatch()
			for _, id := range ix.pending {
				bt.Delete(id)
			}
			if err := r.s.text.Batch(bt); err != nil {
				closeAll()
				return nil, fmt.Errorf("search: open: repair shard %s: %w", r.s.key, err)
			}
		}
	}
	ix.docs, ix.hot = make([]*doc, n), make([]hot, n)
	chunks := make([]uint32, len(results))
	var (
		last    string // a shard's docs share their department: looked up once
		lastIdx uint16
		have    bool
	)
	for i, r := range results {
		ix.shards[r.s.key] = r.s
		chunks[i] = ix.store.adopt(r.buf)
		for _, d := range r.docs {
			if !have || d.dept != last {
				last, lastIdx, have = d.dept, ix.internDept(d.dept), true
			}
			d.init.deptIdx = lastIdx
		}
	}
	// What place does for one doc, for the docs of every shard at once
	// (settle), then what the whole index shares, in turn. The docs whose
	// fiches are classified again are inserted after, in free slots.
	shardIdx := make([]int, len(results))
	for i := range shardIdx {
		shardIdx[i] = i
	}
	used := make([]int, len(results))
	_ = eachParallel(context.Background(), shardIdx, func(i int) error {
		r := &results[i]
		mixed := false // r holds a suspect, its vocabulary counted without it
		for _, d := range r.docs {
			if len(suspect) > 0 && suspect[d.id] {
				mixed = true
				break
			}
		}
		if mixed {
			r.vocab = newVocab()
		}
		for j, d := range r.docs {
			if d.pending != nil || len(suspect) > 0 && suspect[d.id] {
				continue
			}
			if mixed {
				r.vocab.add(r.title(d), 1)
			}
			d.rec.chunk = chunks[i]
			used[i] += int(d.rec.n)
			ix.settle(base[i]+int32(j), d, r.cells[j])
		}
		ix.openedTables(r, base[i])
		return nil
	})
	var pending []*doc
	for i, r := range results {
		ix.store.used += used[i]
		for j, d := range r.docs {
			slot := base[i] + int32(j)
			switch {
			case ix.docs[slot] == d:
				if c := r.cells[j]; c.ok {
					ix.cells.AddCells(slot, c.fine, c.coarse)
				}
			case d.pending != nil && !suspect[d.id]:
				pending = append(pending, d)
			}
		}
		ix.vocab.merge(r.vocab)
	}
	for slot := int32(len(ix.docs)) - 1; slot >= 0; slot-- {
		if ix.docs[slot] == nil {
			ix.free = append(ix.free, slot)
		}
	}
	for _, d := range pending {
		ix.insert(d) // encodes it, and counts its words
	}
	ix.compactStore()
	if len(keys) != len(m.Shards) || m.ROMEModel != ix.romeModel() {
		if err := writeMeta(cfg.Dir, keys, ix.romeModel()); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// storedSources calls fn with the id and stored copy (fieldSource) of every
// live document of t, segment by segment; both are valid only during the
// call. It reads the scorch segments directly: a match-all search
// fetching the same fields looked each document up by id again and built
// a document per hit, two fifths of a reopen.
func storedSources(t bleve.Index, segment func(id, count uint64), fn func(num uint64, id string, src []byte) error) error {
	adv, err := t.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("not a scorch index (%T)", r)
	}
	// One visitor for every document: a closure per document, with the
	// variables it sets, was four allocations an offer.
	var (
		id    string
		num   uint64
		found bool
		ferr  error
	)
	visit := func(field string, _ byte, val []byte, _ []uint64) bool {
		switch field {
		case "_id":
			// Not copied: fn only compares it, within the visit, and
			// the segment's memory outlives the reader.
			id = aliasString(val)
		case fieldSource:
			found = true
			ferr = fn(num, id, val)
		}
		return ferr == nil
	}
	for _, seg := range snap.Segments() {
		segment(seg.Id(), seg.Segment().Count())
		live := seg.DocNumbersLive()
		it := live.Iterator()
		for it.HasNext() {
			id, found, ferr = "", false, nil
			num = uint64(it.Next())
			// The values live in a pooled buffer that Bleve reuses once
			// VisitDocument returns: fn runs inside the visit.
			err := seg.VisitDocument(num, visit)
			if err == nil {
				err = ferr
			}
			if err == nil && !found {
				err = fmt.Errorf("offer %s: no stored copy", id)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Pending returns the ids of the offers Open could not trust (a crash cut
// their last write short): they are in no shard until an Apply writes or
// deletes them, which the caller does from its source of truth.
func (ix *Index) Pending() []string {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	return slices.Clone(ix.pending)
}

// openedShard is a shard as openShard read it: its docs, their stored
// copies laid end to end in buf, and what Open would otherwise compute
// for each doc under its lock, on one core: their cells and the
// vocabulary of their titles.
type openedShard struct {
	s     *shard
	docs  []*doc
	buf   []byte
	cells []cells // by doc
	// segs are the shard's segments as read, in order: each holds the
	// docs from its start to the next one's, nums their document numbers
	// (by doc), for their slot tables (openedSegment.table).
	segs []openedSegment
	nums []uint32
	// vocab counts the titles of the docs in buf (not those pending).
	vocab *vocab
	err   error
}

// openedSegment is one segment of a shard as Open read it.
type openedSegment struct {
	id, count uint64
	start     int // the index of its first doc in openedShard.docs
}

// openedTables makes the slot tables (slots.go) of r's segments from the
// docs Open settled, whose document numbers it has just read: the first
// searches would otherwise make them by reading every document's stored
// id again, which cost a 1M restart's cache warming seconds of CPU and
// brought the segments' pages back into memory. base is the slot of r's
// first doc; the caller holds ix.mu, and no other goroutine touches r's
// shard or slots.
func (ix *Index) openedTables(r *openedShard, base int32) {
	for k, sg := range r.segs {
		end := len(r.docs)
		if k+1 < len(r.segs) {
			end = r.segs[k+1].start
		}
		t := newSlotTable(sg.count)
		for j := sg.start; j < end; j++ {
			// A pending or suspect doc has no slot of its own yet: its
			// matches are resolved by id (slotOf).
			if slot := base + int32(j); ix.docs[slot] == r.docs[j] {
				num := r.nums[j]
				t.slot[num], t.gen[num] = slot, ix.hot[slot].gen
			}
		}
		r.s.slots.put(sg.id, t)
	}
}

// title is the title of d, one of r's docs.
func (r *openedShard) title(d *doc) string {
	if d.pending != nil {
		return d.pending.Title
	}
	return decodeTitle(r.buf[d.rec.off : d.rec.off+d.rec.n])
}

// openShard opens one shard and decodes the offers stored in it. Bleve may
// panic on a damaged segment file: that is an unusable directory too.
//
// The stored copies are laid end to end in buf, for the offer store to
// adopt as a chunk; each doc's rec is its place in buf (a doc whose ROME
// fiches were computed again is pending instead, for insert to encode).
func (ix *Index) openShard(key string, sameModel bool) (r openedShard) {
	defer func() {
		if p := recover(); p != nil {
			r = openedShard{err: fmt.Errorf("shard %s: %v", key, p)}
		}
	}()
	fail := func(err error) openedShard { return openedShard{err: fmt.Errorf("shard %s: %w", key, err)} }
	t, err := bleve.OpenUsing(shardPath(ix.cfg.Dir, key), diskShardConfig())
	if err != nil {
		return fail(err)
	}
	s := &shard{key: key, text: t, minLat: math.Inf(1), maxLat: math.Inf(-1), minLng: math.Inf(1), maxLng: math.Inf(-1)}
	// About 380 bytes an offer (the benchmark corpus'): sized once rather
	// than grown by doubling.
	count, err := t.DocCount()
	if err != nil {
		t.Close()
		return fail(err)
	}
	buf := make([]byte, 0, count*420)
	docs := make([]*doc, 0, count)
	places := make([]cells, 0, count)
	v := newVocab()
	reuse := new(decodeReuse)
	// The shard's offers share a few communes and one department: one
	// copy of each, not one an offer.
	communes := map[string]string{}
	// Titles repeat (an employer's offers, a chain's): each distinct one
	// is split into words once, with its count, which is what counting
	// each in turn gives. They point into buf, never written again.
	type titleCount struct {
		title string
		n     int
	}
	var titles []titleCount
	titleAt := map[string]int{}
	var segs []openedSegment
	nums := make([]uint32, 0, count)
	err = storedSources(t, func(id, n uint64) {
		segs = append(segs, openedSegment{id: id, count: n, start: len(docs)})
	}, func(num uint64, id string, src []byte) error {
		nums = append(nums, uint32(num))
		// Decoded in place: src is only read here, and what the doc keeps
		// is copied (baseDoc), or is src itself, appended to buf.
		// The header only: a reopen decompresses no body.
		o, insee, romes, _, err := decodeHead(src, true, reuse)
		if err != nil || o.ID != id {
			return fmt.Errorf("offer %s: stored copy unreadable", id)
		}
		dept := key
		if o.Department != key {
			dept = strings.Clone(o.Department)
		}
		d := baseDoc(&o, dept)
		if d.shard() != key {
			return fmt.Errorf("offer %s belongs to shard %s", id, d.shard())
		}
		c, ok := communes[insee]
		if !ok {
			c = strings.Clone(insee)
			communes[c] = c
		}
		d.insee = c
		var cs cells
		if sameModel {
			d.setROMEs(romes)
			d.rec = rec{off: uint32(len(buf)), n: uint32(len(src))}
			buf = append(buf, src...)
			// Counted once per distinct title, below, in the order
			// they come.
			title := decodeTitle(buf[d.rec.off:])
			if i, ok := titleAt[title]; ok {
				titles[i].n++
			} else {
				titleAt[title] = len(titles)
				titles = append(titles, titleCount{title, 1})
			}
			if d.init.has(flagHasLoc) {
				if f, c, ok := geo.CellsOfFine(reuse.fine); ok {
					cs = cells{f, c, true}
				} else {
					cs = cellsOf(d)
				}
			}
		} else {
			// New fiches: encoded again by insert, from a copy (o points
			// into src).
			own, _, _, err := decodeDoc(src, false)
			if err != nil {
				return fmt.Errorf("offer %s: stored copy unreadable", id)
			}
			d.classify(&own, ix.thes)
			d.pending = &pendingOffer{Offer: &own}
		}
		docs = append(docs, d)
		places = append(places, cs)
		return nil
	})
	if err != nil {
		t.Close()
		return fail(err)
	}
	for _, tc := range titles {
		v.add(tc.title, tc.n)
	}
	if cap(buf)-len(buf) > len(buf)/32 {
		// Kept as it is, the estimate's excess would be memory nobody uses.
		buf = append(make([]byte, 0, len(buf)), buf...)
	}
	return openedShard{s: s, docs: docs, buf: buf, cells: places, vocab: v, segs: segs, nums: nums}
}
