package search

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/uber/h3-go/v4"

	"github.com/stageindex/stageindex"
)

// The stored copy of an offer, in the offer store (store.go) and in an
// index on disk (fieldSource), is this binary form: reopening an index
// reads every offer, and JSON decoding was a third of the restart; the
// ROME fiches and the commune computed at indexing are stored too, so
// that a restart need not classify every offer again (classification
// depends on the thesaurus: meta.ROMEModel tells whether the stored
// fiches still hold).
//
// A record is a plain header, what a reopen and the index structures
// read (baseDoc, the title's words), then the rest of the offer, the
// body, compressed: a reopen reads headers only, and only a page's hits,
// Get and an export decompress a body. Version 2 (version 1 was the
// whole offer uncompressed, 544 bytes a record on the 100k benchmark
// corpus).
//
// Header: the version byte; the id, title and department as uvarint
// length + bytes; the sector as a uvarint, 1 + its index in
// stageindex.Sectors or 0 then the string; the tracks as a uvarint count
// + items, each 1 + its index in stageindex.Tracks or 0 then the string;
// a byte of flags (public, remote, accessible, latitude, longitude,
// published); the coordinates present as 8 bytes each, and when both
// are, the fine H3 cell (8 bytes, 0 when geo could not place the point:
// a reopen need not place every offer again); the weeks as a
// uvarint count + items, each 1 + its weekCode or 0 then the string;
// the publication time, when present, as varint Unix nanoseconds; the
// commune; the three fiches (int16 + float32 each).
//
// Body: a byte, 0 for a body stored as it is (when compressing would not
// make it smaller), 1 for an S2 block made with offerDict (its length
// first, as S2 writes it); then the body: the description, employer
// name, employer description, street, zipcode, city (uvarint length +
// bytes), the maximum of candidates (varint), the URL.
//
// Version 3 added the fine cell.
const codecVersion = 3

// Body kinds.
const (
	bodyRaw = 0
	bodyS2  = 1
)

// Header flags.
const (
	codecPublic = 1 << iota
	codecRemote
	codecAccessible
	codecLat
	codecLng
	codecPublished
)

// bodyBlock is the size of the blocks a page's bodies are decompressed
// into (decodeDocIn): about ten of the benchmark corpus'.
const bodyBlock = 4 << 10

// maxBody bounds the length a compressed body states, against a damaged
// record; a longer body is stored as it is.
const maxBody = 1 << 24

// offerDict is the dictionary bodies are compressed with, trained on
// offer texts that are not the benchmark corpus (TestOfferDict, `go
// generate`): a body alone, a few hundred bytes, compresses poorly
// without one (1.07x with zstd). An index directory records the
// dictionary's offerDictSum (meta.OfferDict), which TestOfferDict checks
// against the file: a directory of another dictionary is rebuilt.
//
// S2 (klauspost/compress/s2) rather than zstd with a dictionary: zstd
// primes its tables from the dictionary on every record, 23-31 µs an
// encode on this machine against 3-5 µs, for 1.67x against 1.46x on the
// benchmark corpus' bodies; an Apply's whole budget is ~50 µs an offer.
//
//go:embed offers.dict
var offerDict []byte

// offerDictSum is the start of offerDict's SHA-256, in hex.
const offerDictSum = "120b69aac9485429"

//go:generate go test -run ^TestOfferDict$ -update-dict .

// bodyCodec compresses and decompresses bodies, safe for concurrent use:
// the dictionary's tables are built once and only read after. Built on
// first use and never changed after.
type bodyCodec struct {
	dict    *s2.Dict
	scratch sync.Pool // of *encodeScratch
}

// encodeScratch is encodeDoc's memory for a record, and appendDoc's for
// a body before and after compression.
type encodeScratch struct{ rec, body, packed []byte }

func (bc *bodyCodec) getScratch() *encodeScratch {
	if sc, ok := bc.scratch.Get().(*encodeScratch); ok {
		return sc
	}
	return new(encodeScratch)
}

var theBodyCodec = sync.OnceValue(func() *bodyCodec {
	d := s2.NewDict(offerDict)
	if d == nil {
		panic("search: offers.dict is not an S2 dictionary") // embedded, checked by TestOfferDict
	}
	return &bodyCodec{dict: d}
})

// errCodec reports a stored copy that does not decode.
var errCodec = errors.New("search: stored offer unreadable")

// encodeDoc encodes d's offer, which is pending (newDoc), into a slice
// of its own length: a build holds a batch's records until they are in
// the store, and one grown by append had up to twice the room.
func encodeDoc(d *doc) []byte {
	bc := theBodyCodec()
	sc := bc.getScratch()
	sc.rec = appendDoc(sc.rec[:0], d)
	b := slices.Clone(sc.rec)
	bc.scratch.Put(sc)
	return b
}

// appendDoc appends the encoding of d's pending offer to b.
func appendDoc(b []byte, d *doc) []byte {
	o := d.pending.Offer
	b = append(b, codecVersion)
	str := func(b []byte, s string) []byte {
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	b = str(b, o.ID)
	b = str(b, o.Title)
	b = str(b, o.Department)
	if i := slices.Index(stageindex.Sectors, o.Sector); i >= 0 {
		b = binary.AppendUvarint(b, uint64(i)+1)
	} else {
		b = str(append(b, 0), o.Sector)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Tracks)))
	for _, t := range o.Tracks {
		if i := slices.Index(stageindex.Tracks, t); i >= 0 {
			b = binary.AppendUvarint(b, uint64(i)+1)
		} else {
			b = str(append(b, 0), string(t))
		}
	}
	var flags byte
	for i, v := range []bool{o.IsPublic, o.Remote, o.HandicapAccessible, o.Latitude != nil, o.Longitude != nil, o.PublishedAt != nil} {
		if v {
			flags |= 1 << i
		}
	}
	b = append(b, flags)
	if o.Latitude != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*o.Latitude))
	}
	if o.Longitude != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*o.Longitude))
	}
	if o.Latitude != nil && o.Longitude != nil {
		var fine uint64
		if c := d.pendingCells(); c.ok {
			fine = uint64(c.fine)
		}
		b = binary.LittleEndian.AppendUint64(b, fine)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Weeks)))
	names := weekNames()
	for _, w := range o.Weeks {
		if c, ok := weekCodeOf(w); ok && int(c) < len(names) && names[c] == w {
			b = binary.AppendUvarint(b, uint64(c)+1)
		} else {
			b = str(append(b, 0), w)
		}
	}
	if o.PublishedAt != nil {
		b = binary.AppendVarint(b, o.PublishedAt.UnixNano())
	}
	b = str(b, d.insee)
	for _, r := range d.romes {
		b = binary.LittleEndian.AppendUint16(b, uint16(r.fiche))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.w))
	}

	// The body, compressed when that makes it smaller.
	bc := theBodyCodec()
	sc := bc.getScratch()
	sc.body = appendBody(sc.body[:0], o)
	sc.packed = sc.packed[:0]
	if len(sc.body) <= maxBody {
		sc.packed = bc.dict.Encode(sc.packed[:cap(sc.packed)], sc.body)
	}
	if len(sc.packed) > 0 && len(sc.packed) < len(sc.body) {
		b = append(append(b, bodyS2), sc.packed...)
	} else {
		b = append(append(b, bodyRaw), sc.body...)
	}
	bc.scratch.Put(sc)
	return b
}

// appendBody appends o's body, uncompressed, to b.
func appendBody(b []byte, o *stageindex.Offer) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, s := range []string{o.Description, o.EmployerName, o.EmployerDescription, o.Street, o.Zipcode, o.City} {
		str(s)
	}
	b = binary.AppendVarint(b, int64(o.MaxCandidates))
	str(o.URL)
	return b
}

// decodeDoc reverses encodeDoc: the offer, its commune and its fiches.
// With alias, the strings of the header point into b, which must then
// never change (an offerStore chunk, or a buffer the caller copies what
// it keeps from); those of a compressed body point into a buffer of
// their own.
func decodeDoc(b []byte, alias bool) (o stageindex.Offer, insee string, romes [3]ficheScore, err error) {
	return decodeDocIn(b, alias, nil, nil)
}

// decodeDocIn is decodeDoc, decompressing the body into *bodies when it
// has room (appended: what was decoded there before is left as it is),
// else into a new block that *bodies becomes: a page's hits share a few
// blocks instead of one each (bodies nil: a buffer of the body's own).
// With r, the offer's lists and pointers are r's (decodeHead).
func decodeDocIn(b []byte, alias bool, bodies *[]byte, r *decodeReuse) (o stageindex.Offer, insee string, romes [3]ficheScore, err error) {
	o, insee, romes, body, err := decodeHead(b, alias, r)
	if err != nil {
		return stageindex.Offer{}, "", romes, err
	}
	if err := decodeBody(&o, body, alias, bodies); err != nil {
		return stageindex.Offer{}, "", romes, err
	}
	return o, insee, romes, nil
}

// decodeReuse is the memory of the offers decodeHead returns, reused
// from one to the next: a reopen decodes each stored offer only to read
// it once, and its lists, coordinates and time were five allocations an
// offer.
//
// With carve set, the lists are not reused but cut from blocks shared by
// the offers decoded with r (a page's hits, which keep them): one
// allocation for a page's lists instead of two an offer.
type decodeReuse struct {
	carve     bool
	tracks    []stageindex.Track
	weeks     []string
	lat, lng  float64
	published time.Time
	// fine is the offer's stored fine H3 cell, 0 when none.
	fine h3.Cell
}

// decodeHead decodes the header of b: an offer with everything but the
// fields of the body (description, employer name and description,
// street, zipcode, city, maximum of candidates, URL), its commune and
// fiches, and the body, undecoded (see decodeBody). With r set, the
// offer's lists and pointers are r's memory, valid until the next call
// with r. It decompresses nothing: what a reopen reads of every offer.
func decodeHead(b []byte, alias bool, r *decodeReuse) (o stageindex.Offer, insee string, romes [3]ficheScore, body []byte, err error) {
	fail := func() (stageindex.Offer, string, [3]ficheScore, []byte, error) {
		return stageindex.Offer{}, "", romes, nil, errCodec
	}
	if len(b) == 0 || b[0] != codecVersion {
		return fail()
	}
	rd := reader{b: b[1:], alias: alias, ok: true}
	o.ID, o.Title, o.Department = rd.str(), rd.str(), rd.str()
	if k := rd.uvarint(); k > 0 {
		if k > uint64(len(stageindex.Sectors)) {
			return fail()
		}
		o.Sector = stageindex.Sectors[k-1]
	} else {
		o.Sector = rd.str()
	}
	n := rd.uvarint()
	if n > 16 {
		return fail()
	}
	switch {
	case r != nil && r.carve:
		if n > 0 {
			o.Tracks = carve(&r.tracks, int(n))
		}
	case r != nil:
		r.tracks = slices.Grow(r.tracks[:0], int(n))[:n]
		o.Tracks = r.tracks
	case n > 0:
		o.Tracks = make([]stageindex.Track, n)
	}
	for i := range o.Tracks {
		if k := rd.uvarint(); k > 0 {
			if k > uint64(len(stageindex.Tracks)) {
				return fail()
			}
			o.Tracks[i] = stageindex.Tracks[k-1]
		} else {
			o.Tracks[i] = stageindex.Track(rd.str())
		}
	}
	flags := rd.byte()
	o.IsPublic, o.Remote, o.HandicapAccessible = flags&codecPublic != 0, flags&codecRemote != 0, flags&codecAccessible != 0
	optFloat := func(has bool, into *float64) *float64 {
		if !has {
			return nil
		}
		if into == nil {
			into = new(float64)
		}
		*into = math.Float64frombits(binary.LittleEndian.Uint64(rd.fixed(8)))
		return into
	}
	var lat, lng *float64
	if r != nil {
		lat, lng = &r.lat, &r.lng
	}
	o.Latitude, o.Longitude = optFloat(flags&codecLat != 0, lat), optFloat(flags&codecLng != 0, lng)
	if r != nil {
		r.fine = 0
	}
	if o.Latitude != nil && o.Longitude != nil {
		fine := binary.LittleEndian.Uint64(rd.fixed(8))
		if r != nil {
			r.fine = h3.Cell(fine)
		}
	}
	if n = rd.uvarint(); n > 1024 {
		return fail()
	}
	if n > 0 {
		switch {
		case r != nil && r.carve:
			o.Weeks = carve(&r.weeks, int(n))
		case r != nil:
			r.weeks = slices.Grow(r.weeks[:0], int(n))[:n]
			o.Weeks = r.weeks
		default:
			o.Weeks = make([]string, n)
		}
		names := weekNames()
		for i := range o.Weeks {
			if k := rd.uvarint(); k > 0 {
				if k > uint64(len(names)) {
					return fail()
				}
				o.Weeks[i] = names[k-1]
			} else {
				o.Weeks[i] = rd.str()
			}
		}
	}
	if flags&codecPublished != 0 {
		ns := rd.varint()
		var t *time.Time
		if r != nil {
			t = &r.published
		} else {
			t = new(time.Time)
		}
		*t = time.Unix(0, ns).UTC()
		o.PublishedAt = t
	}
	insee = rd.str()
	for i := range romes {
		romes[i].fiche = int16(binary.LittleEndian.Uint16(rd.fixed(2)))
		romes[i].w = math.Float32frombits(binary.LittleEndian.Uint32(rd.fixed(4)))
	}
	if !rd.ok || len(rd.b) == 0 {
		return fail()
	}
	return o, insee, romes, rd.b, nil
}

// carveBlock is the length of the blocks carve allocates: the lists of
// a page of 30 hits, one to three tracks and a few weeks each, take two
// to four.
const carveBlock = 64

// carve returns the next n elements of *block, a new block when it has
// fewer left, capped so that an append to one never writes the next.
func carve[T any](block *[]T, n int) []T {
	b := *block
	if cap(b)-len(b) < n {
		b = make([]T, 0, max(n, carveBlock))
	}
	l := len(b)
	*block = b[:l+n]
	return b[l : l+n : l+n]
}

// decodeBody sets the fields of o that body holds (decodeHead's); with
// alias, the strings of a body stored as it is point into it.
func decodeBody(o *stageindex.Offer, body []byte, alias bool, bodies *[]byte) error {
	if len(body) == 0 {
		return errCodec
	}
	rd := reader{b: body[1:], alias: alias, ok: true}
	switch body[0] {
	case bodyRaw:
	case bodyS2:
		// A buffer of its own, which the strings point into: nothing
		// else ever writes it.
		n, err := s2.DecodedLen(rd.b)
		if err != nil || n > maxBody {
			return errCodec
		}
		plain, err := theBodyCodec().dict.Decode(inBlock(bodies, n), rd.b)
		if err != nil || len(plain) != n {
			return errCodec
		}
		rd = reader{b: plain, alias: true, ok: true}
	default:
		return errCodec
	}
	o.Description, o.EmployerName, o.EmployerDescription, o.Street, o.Zipcode, o.City = rd.str(), rd.str(), rd.str(), rd.str(), rd.str(), rd.str()
	o.MaxCandidates = int(rd.varint())
	o.URL = rd.str()
	if !rd.ok || len(rd.b) != 0 {
		return errCodec
	}
	return nil
}

// inBlock returns n bytes of the current block of *bodies, a new block
// when it has fewer left (bodies nil: a buffer of their own). A block is
// only ever written where it was not yet: what points into it stays.
func inBlock(bodies *[]byte, n int) []byte {
	switch {
	case bodies == nil:
		return make([]byte, n)
	case cap(*bodies)-len(*bodies) >= n:
		into := (*bodies)[len(*bodies) : len(*bodies)+n]
		*bodies = (*bodies)[:len(*bodies)+n]
		return into
	default:
		*bodies = make([]byte, n, max(n, bodyBlock))
		return *bodies
	}
}

// reader reads a record's fields in turn; ok turns false at the first
// that does not decode, and stays so.
type reader struct {
	b     []byte
	alias bool
	ok    bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	var s string
	if r.alias {
		s = aliasString(r.b[:n])
	} else {
		s = string(r.b[:n])
	}
	r.b = r.b[n:]
	return s
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

var zeros [8]byte

func (r *reader) fixed(n int) []byte {
	if len(r.b) < n {
		r.fail()
		return zeros[:n]
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// fail marks the record unreadable: nothing more is read from it.
func (r *reader) fail() { r.ok, r.b = false, nil }

// decodeTitle returns the title of the encoded offer b, pointing into b;
// "" when b does not decode.
func decodeTitle(b []byte) string {
	if len(b) == 0 || b[0] != codecVersion {
		return ""
	}
	b = b[1:]
	for i := range 2 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return ""
		}
		if i == 1 {
			return aliasString(b[k : k+int(n)])
		}
		b = b[k+int(n):]
	}
	return ""
}

// weekNames is the name of every week code from 2001 to 2100 (weekName,
// and the years weekCodeOf takes):
// the weeks of a record are codes, and naming each again on every decode
// was an allocation a week. Built once and never changed.
var weekNames = sync.OnceValue(func() []string {
	n := int(weekCode(time.Date(2100, time.December, 31, 0, 0, 0, 0, time.UTC))) + 1
	names := make([]string, n)
	for c := range names {
		names[c] = weekName(uint16(c))
	}
	return names
})
