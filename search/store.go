package search

import (
	"unsafe"

	"github.com/stageindex/stageindex"
)

// offerStore keeps every offer of an index in its encoded form (codec.go)
// in a few large byte chunks, instead of one Offer per offer with a dozen
// strings, slices and pointers of its own: at 100,000 offers that was
// 80 MB of small objects that every garbage collection walked, for what a
// search reads of ten offers a page. A record is decoded when asked for
// (a page's hits, an export), its strings pointing into the chunk.
//
// Chunks are append-only and never written again once a record is in
// them, so decoded strings stay valid whatever happens next; a rewrite
// (compact) copies the live records into new chunks and leaves the old
// ones to the garbage collector, once nothing decoded from them is held.
// Hand-written: no kept library stores variable-length records this way
// with Go strings aliasing them (unsafe.String), which is the point.
type offerStore struct {
	chunks [][]byte
	size   int // bytes in chunks, live or not
	used   int // bytes of live records
	// minDead is the least dead bytes worth a rewrite; 0 is 8 MB (tests
	// set less).
	minDead int
}

// rec locates one record in an offerStore.
type rec struct {
	chunk, off, n uint32
}

// chunkSize is the capacity of a new chunk: large enough that chunks are
// few, small enough that a held decoded string keeps little alive.
const chunkSize = 1 << 20

// add copies b into the store and returns where it is (not yet counted
// live: see keep).
func (s *offerStore) add(b []byte) rec {
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+len(b) > cap(s.chunks[last]) {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, len(b))))
		last++
	}
	c := s.chunks[last]
	r := rec{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(b))}
	s.chunks[last] = append(c, b...)
	s.size += len(b)
	return r
}

// adopt takes buf, records already laid end to end (a reopened shard's),
// as a chunk of its own and returns its number; buf must not be written
// again.
func (s *offerStore) adopt(buf []byte) uint32 {
	s.chunks = append(s.chunks, buf[:len(buf):len(buf)])
	s.size += len(buf)
	return uint32(len(s.chunks) - 1)
}

func (s *offerStore) keep(r rec) { s.used += int(r.n) }
func (s *offerStore) drop(r rec) { s.used -= int(r.n) }

// bytes returns the record r.
func (s *offerStore) bytes(r rec) []byte {
	return s.chunks[r.chunk][r.off : r.off+r.n : r.off+r.n]
}

// wasteful tells whether dead records are over half the store (and worth
// a rewrite: minDead or more).
func (s *offerStore) wasteful() bool {
	dead, least := s.size-s.used, s.minDead
	if least == 0 {
		least = 8 << 20
	}
	return dead >= least && dead > s.used
}

// aliasString is b as a string without a copy; b must never change.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// offerOf returns d's offer; the caller holds mu (read or write).
func (ix *Index) offerOf(d *doc) stageindex.Offer {
	return ix.offerIn(d, nil, nil)
}

// offerIn is offerOf, decompressing its body into *bodies (decodeDocIn).
func (ix *Index) offerIn(d *doc, bodies *[]byte, r *decodeReuse) stageindex.Offer {
	if d.pending != nil {
		return *d.pending.Offer
	}
	o, _, _, err := decodeDocIn(ix.store.bytes(d.rec), true, bodies, r)
	if err != nil {
		// The record was encoded by this process and checked on reopen.
		panic("search: offer store: " + err.Error())
	}
	return o
}

// compactStore rewrites the store when most of it is dead records; the
// caller holds mu for writing.
func (ix *Index) compactStore() {
	if !ix.store.wasteful() {
		return
	}
	ns := offerStore{minDead: ix.store.minDead}
	for _, d := range ix.docs {
		if d != nil {
			d.rec = ns.add(ix.store.bytes(d.rec))
			ns.keep(d.rec)
		}
	}
	ix.store = ns
}
