package search

import (
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// A Bleve match names its document by an internal number; the offer's slot
// was found from it by reading the document's stored id (ExternalID) and
// looking that up in Index.byID. At 1M offers those two steps were two
// fifths of a wide query's CPU (cache misses in a million-entry map, and a
// read in the segment's stored section), and the stored reads kept nearly
// every page of the segment files resident.
//
// A segment never changes once written, so its documents' slots can be
// looked up once, in a table by document number. A slot's owner changes,
// though (an update frees the old slot and another offer may take it), so
// each entry also records the slot's generation (hot.gen, bumped each time
// the slot is taken or freed): an entry whose slot has moved on since is
// not trusted, and the match is resolved the old way. Hence a match
// resolves to the slot byID gives its id now, exactly as before.
//
// Hand-written: Bleve exposes no per-segment hook for this.

// slotTables holds a shard's tables, by segment id.
type slotTables struct {
	mu    sync.Mutex
	bySeg map[uint64]*slotTable
}

// slotTable maps a segment's document numbers to slots.
type slotTable struct {
	slot []int32  // -1: no slot when the table was made
	gen  []uint32 // the slot's generation then
}

// segmentView is a reader's segments and where their numbers start, for
// slotOf; built once per reader.
type segmentView struct {
	segs    []*scorch.SegmentSnapshot
	offsets []uint64
	tables  []*slotTable // made when first needed
}

// newSegmentView returns the view of r, or nil when r is not a scorch
// snapshot (every match is then resolved by id).
func newSegmentView(r index.IndexReader) *segmentView {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil
	}
	segs := snap.Segments()
	v := &segmentView{segs: segs, offsets: make([]uint64, len(segs)), tables: make([]*slotTable, len(segs))}
	var running uint64
	for i, s := range segs {
		// As scorch numbers them: every document of a segment, deleted
		// ones included.
		v.offsets[i] = running
		running += s.Segment().Count()
	}
	return v
}

// slotOf returns the slot of the document numbered id in r, and whether
// it has one (an Apply under way may have written it to Bleve first). The
// caller holds ix.mu (read) and passes v for r, or nil.
func (ix *Index) slotOf(s *shard, r index.IndexReader, v *segmentView, id index.IndexInternalID) (int32, bool, error) {
	if v != nil {
		num := id.Value()
		i := sort.Search(len(v.offsets), func(x int) bool { return v.offsets[x] > num }) - 1
		if i >= 0 {
			t := v.tables[i]
			if t == nil {
				t = ix.slotTable(s, v.segs[i])
				v.tables[i] = t
			}
			if local := num - v.offsets[i]; local < uint64(len(t.slot)) {
				if slot := t.slot[local]; slot >= 0 && ix.hot[slot].gen == t.gen[local] {
					return slot, true, nil
				}
			}
		}
	}
	ext, err := r.ExternalID(id)
	if err != nil {
		return 0, false, err
	}
	slot, ok := ix.byID[ext]
	return slot, ok, nil
}

// slotTable returns the table of seg, one of s's segments, making it if
// needed; the caller holds ix.mu (read), so that byID and the generations
// hold still while it is made. Tables of segments merged away since are
// dropped.
//
// While an Apply is under way, a segment may hold documents it has not
// given a slot yet: their entries would say "no slot" for good, so such a
// table serves only the search that made it.
func (ix *Index) slotTable(s *shard, seg *scorch.SegmentSnapshot) *slotTable {
	s.slots.mu.Lock()
	defer s.slots.mu.Unlock()
	if t, ok := s.slots.bySeg[seg.Id()]; ok {
		return t
	}
	settled := ix.applying.Load() == 0
	n := seg.Segment().Count()
	t := newSlotTable(n)
	for num := range n {
		b, err := seg.DocID(num)
		if err != nil || b == nil {
			continue
		}
		if slot, ok := ix.byID[string(b)]; ok {
			t.slot[num], t.gen[num] = slot, ix.hot[slot].gen
		}
	}
	if !settled {
		return t
	}
	if len(s.slots.bySeg) >= 4 {
		s.slots.prune(s.text)
	}
	s.slots.put(seg.Id(), t)
	return t
}

// newSlotTable returns a table of n documents, none with a slot yet.
func newSlotTable(n uint64) *slotTable {
	t := &slotTable{slot: make([]int32, n), gen: make([]uint32, n)}
	for i := range t.slot {
		t.slot[i] = -1
	}
	return t
}

// put records t as the table of segment id; the caller holds mu, or is
// alone with st (Open).
func (st *slotTables) put(id uint64, t *slotTable) {
	if st.bySeg == nil {
		st.bySeg = map[uint64]*slotTable{}
	}
	st.bySeg[id] = t
}

// prune drops the tables of segments no longer in text's current
// snapshot; the caller holds mu.
func (st *slotTables) prune(text interface {
	Advanced() (index.Index, error)
}) {
	adv, err := text.Advanced()
	if err != nil {
		return
	}
	r, err := adv.Reader()
	if err != nil {
		return
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return
	}
	live := map[uint64]bool{}
	for _, seg := range snap.Segments() {
		live[seg.Id()] = true
	}
	for id := range st.bySeg {
		if !live[id] {
			delete(st.bySeg, id)
		}
	}
}
