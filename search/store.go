package search

import (
	"os"
	"unsafe"

	"github.com/stageindex/stageindex"
)

// offerStore keeps every offer of an index in its encoded form (codec.go)
// in a few large byte chunks, instead of one Offer per offer with a dozen
// strings, slices and pointers of its own: at 100,000 offers that was
// 80 MB of small objects that every garbage collection walked, for what a
// search reads of ten offers a page. A record is decoded when asked for
// (a page's hits, an export).
//
// An index on disk writes its full chunks to a file of its directory and
// keeps on the heap only the chunk being filled: at 1M offers the records
// are 370 MB, half the live heap, of which a page reads twenty. They are
// read back with pread, a record at a time, into the caller's memory, and
// so live in the kernel's page cache, outside the process: mapped
// instead, each read made the kernel map the 16 pages around it
// (fault-around, which MADV_RANDOM does not turn off), and 250 searches
// of the query mix made 316 MB of the store resident. The file is a
// cache of what the shards' stored copies hold (Open rebuilds it from
// them): unlinked once created, it goes with the process, crash or not.
//
// Chunks are append-only and never written again once a record is in
// them. A record of a heap chunk may be decoded with its strings pointing
// into the chunk (the garbage collector keeps it while they live); one of
// the file is read into a buffer of the caller's first.
// Hand-written: no kept library stores variable-length records this way
// with Go strings aliasing them (unsafe.String), which is the point.
type offerStore struct {
	// chunks are the heap chunks, by number; nil for one in the file, at
	// fileOff.
	chunks  [][]byte
	fileOff []int64
	size    int // bytes in chunks, live or not
	used    int // bytes of live records
	// minDead is the least dead bytes worth a rewrite; 0 is 8 MB (tests
	// set less).
	minDead int
	// chunk is the capacity of a new chunk; 0 is chunkSize (tests set
	// less).
	chunk int
	// dir, when set, is where full chunks go to a file (file, created at
	// the first; fileSize bytes written). tail is the chunk on the heap
	// that add fills (-1: none).
	dir      string
	file     *os.File
	fileSize int64
	tail     int
}

// newOfferStore returns an empty store; with dir, its full chunks go to
// a file in dir.
func newOfferStore(dir string) offerStore { return offerStore{dir: dir, tail: -1} }

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
	if s.tail < 0 || len(s.chunks[s.tail])+len(b) > cap(s.chunks[s.tail]) {
		if s.tail >= 0 {
			s.seal(s.tail)
		}
		size := s.chunk
		if size == 0 {
			size = chunkSize
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(size, len(b))))
		s.fileOff = append(s.fileOff, -1)
		s.tail = len(s.chunks) - 1
	}
	c := s.chunks[s.tail]
	r := rec{chunk: uint32(s.tail), off: uint32(len(c)), n: uint32(len(b))}
	s.chunks[s.tail] = append(c, b...)
	s.size += len(b)
	return r
}

// adopt takes buf, records already laid end to end (a reopened shard's),
// as a chunk of its own and returns its number; buf must not be written
// again.
func (s *offerStore) adopt(buf []byte) uint32 {
	s.chunks = append(s.chunks, buf[:len(buf):len(buf)])
	s.fileOff = append(s.fileOff, -1)
	s.size += len(buf)
	n := len(s.chunks) - 1
	s.seal(n)
	return uint32(n)
}

// seal moves chunk n, full, from the heap to the store's file, when the
// store has a directory. On any error it stays on the heap, and so do
// later chunks: the store is then as it was before files (more memory,
// the same records).
func (s *offerStore) seal(n int) {
	c := s.chunks[n]
	if s.dir == "" || len(c) == 0 {
		return
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, storeFilePattern)
		if err != nil {
			s.dir = ""
			return
		}
		// Unlinked at once: only the descriptor holds it.
		os.Remove(f.Name())
		s.file = f
	}
	if _, err := s.file.WriteAt(c, s.fileSize); err != nil {
		s.dir = ""
		return
	}
	s.chunks[n], s.fileOff[n] = nil, s.fileSize
	s.fileSize += int64(len(c))
}

// storeFilePattern names an offer store's file (os.CreateTemp).
const storeFilePattern = ".offers-*.store"

// inFile tells whether chunk n is in the store's file.
func (s *offerStore) inFile(n uint32) bool { return s.fileOff[n] >= 0 }

// load returns the record r: in its heap chunk, or read from the file
// into buf (grown when short). It panics when the file cannot be read: it
// is this process's, written a moment ago.
func (s *offerStore) load(r rec, buf []byte) []byte {
	if !s.inFile(r.chunk) {
		return s.chunks[r.chunk][r.off : r.off+r.n : r.off+r.n]
	}
	if cap(buf) < int(r.n) {
		buf = make([]byte, r.n)
	}
	buf = buf[:r.n]
	if _, err := s.file.ReadAt(buf, s.fileOff[r.chunk]+int64(r.off)); err != nil {
		panic("search: offer store: " + err.Error())
	}
	return buf
}

// loadReusing is load reading into *buf, which it keeps when a read grew
// it: records read in turn share one buffer (never a heap chunk's
// memory, which a later read would overwrite).
func (s *offerStore) loadReusing(r rec, buf *[]byte) []byte {
	b := s.load(r, *buf)
	if s.inFile(r.chunk) {
		*buf = b
	}
	return b
}

// release closes the store's file; the caller holds the index's lock, so
// no read runs.
func (s *offerStore) release() {
	if s.file != nil {
		s.file.Close()
	}
	*s = offerStore{minDead: s.minDead, chunk: s.chunk, tail: -1}
}

func (s *offerStore) keep(r rec) { s.used += int(r.n) }
func (s *offerStore) drop(r rec) { s.used -= int(r.n) }

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
	var b []byte
	if ix.store.inFile(d.rec.chunk) {
		// Read beside the page's bodies: the strings point into it.
		b = ix.store.load(d.rec, inBlock(bodies, int(d.rec.n)))
	} else {
		b = ix.store.load(d.rec, nil)
	}
	o, _, _, err := decodeDocIn(b, true, bodies, r)
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
	ns := newOfferStore(ix.store.dir)
	ns.minDead, ns.chunk = ix.store.minDead, ix.store.chunk
	var buf []byte
	for _, d := range ix.docs {
		if d != nil {
			d.rec = ns.add(ix.store.loadReusing(d.rec, &buf))
			ns.keep(d.rec)
		}
	}
	ix.store.release()
	ix.store = ns
}
