package search

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/stageindex/stageindex"
)

// The stored copy of an offer in an index on disk (fieldSource) is this
// binary form rather than JSON: reopening an index decodes every offer,
// and JSON decoding was a third of the restart; the ROME fiches and the
// commune computed at indexing are stored too, so that a restart need not
// classify every offer again (classification depends on the thesaurus:
// meta.ROMEModel tells whether the stored fiches still hold).
//
// Layout: a version byte, then the Offer's fields in declaration order —
// strings as uvarint length + bytes, booleans as one byte of flags, an
// optional float as a presence byte + 8 bytes, lists as a uvarint count +
// items, the publication time as a presence byte + varint Unix nanoseconds
// — then the doc's commune and its three fiches (int16 + float32 each).
const codecVersion = 1

// errCodec reports a stored copy that does not decode.
var errCodec = errors.New("search: stored offer unreadable")

// encodeDoc encodes d's offer, which is pending (newDoc).
func encodeDoc(d *doc) []byte {
	o := d.pending
	return appendDoc(make([]byte, 0, 64+len(o.Title)+len(o.Description)+len(o.EmployerDescription)), d)
}

// appendDoc appends the encoding of d's pending offer to b.
func appendDoc(b []byte, d *doc) []byte {
	o := d.pending
	b = append(b, codecVersion)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	optFloat := func(f *float64) {
		if f == nil {
			b = append(b, 0)
			return
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*f))
	}
	for _, s := range []string{o.ID, o.Title, o.Description, o.EmployerName, o.EmployerDescription, o.Sector} {
		str(s)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Tracks)))
	for _, t := range o.Tracks {
		str(string(t))
	}
	var flags byte
	for i, v := range []bool{o.IsPublic, o.Remote, o.HandicapAccessible} {
		if v {
			flags |= 1 << i
		}
	}
	b = append(b, flags)
	for _, s := range []string{o.Street, o.Zipcode, o.City, o.Department} {
		str(s)
	}
	optFloat(o.Latitude)
	optFloat(o.Longitude)
	b = binary.AppendUvarint(b, uint64(len(o.Weeks)))
	for _, w := range o.Weeks {
		str(w)
	}
	b = binary.AppendVarint(b, int64(o.MaxCandidates))
	str(o.URL)
	if o.PublishedAt == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, o.PublishedAt.UnixNano())
	}
	str(d.insee)
	for _, r := range d.romes {
		b = binary.LittleEndian.AppendUint16(b, uint16(r.fiche))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(r.w))
	}
	return b
}

// decodeDoc reverses encodeDoc: the offer, its commune and its fiches.
// With alias, the strings point into b, which must then never change (an
// offerStore chunk, or a buffer the caller copies what it keeps from).
func decodeDoc(b []byte, alias bool) (o stageindex.Offer, insee string, romes [3]ficheScore, err error) {
	return decodeDocReusing(b, alias, nil)
}

// decodeReuse is the memory of the offers decodeDocReusing returns,
// reused from one to the next: a reopen decodes each stored offer only to
// read it once, and its lists, coordinates and time were five
// allocations an offer.
type decodeReuse struct {
	tracks    []stageindex.Track
	weeks     []string
	lat, lng  float64
	published time.Time
}

// decodeDocReusing is decodeDoc; with r set, the offer's lists and
// pointers are r's memory, valid until the next call with r.
func decodeDocReusing(b []byte, alias bool, r *decodeReuse) (o stageindex.Offer, insee string, romes [3]ficheScore, err error) {
	fail := func() (stageindex.Offer, string, [3]ficheScore, error) {
		return stageindex.Offer{}, "", romes, errCodec
	}
	if len(b) == 0 || b[0] != codecVersion {
		return fail()
	}
	b = b[1:]
	ok := true
	uvarint := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			ok = false
			return 0
		}
		b = b[n:]
		return v
	}
	str := func() string {
		n := uvarint()
		if !ok || n > uint64(len(b)) {
			ok = false
			return ""
		}
		var s string
		if alias {
			s = aliasString(b[:n])
		} else {
			s = string(b[:n])
		}
		b = b[n:]
		return s
	}
	byteOf := func() byte {
		if len(b) == 0 {
			ok = false
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	fixed := func(n int) []byte {
		if len(b) < n {
			ok = false
			return make([]byte, n)
		}
		v := b[:n]
		b = b[n:]
		return v
	}
	optFloat := func(into *float64) *float64 {
		if byteOf() == 0 {
			return nil
		}
		if into == nil {
			into = new(float64)
		}
		*into = math.Float64frombits(binary.LittleEndian.Uint64(fixed(8)))
		return into
	}
	o.ID, o.Title, o.Description, o.EmployerName, o.EmployerDescription, o.Sector = str(), str(), str(), str(), str(), str()
	n := uvarint()
	if n > 16 {
		return fail()
	}
	if r != nil {
		r.tracks = slices.Grow(r.tracks[:0], int(n))[:n]
		o.Tracks = r.tracks
	} else {
		o.Tracks = make([]stageindex.Track, n)
	}
	for i := range o.Tracks {
		o.Tracks[i] = stageindex.Track(str())
	}
	flags := byteOf()
	o.IsPublic, o.Remote, o.HandicapAccessible = flags&1 != 0, flags&2 != 0, flags&4 != 0
	o.Street, o.Zipcode, o.City, o.Department = str(), str(), str(), str()
	var lat, lng *float64
	if r != nil {
		lat, lng = &r.lat, &r.lng
	}
	o.Latitude, o.Longitude = optFloat(lat), optFloat(lng)
	if n = uvarint(); n > 1024 {
		return fail()
	}
	if n > 0 {
		if r != nil {
			r.weeks = slices.Grow(r.weeks[:0], int(n))[:n]
			o.Weeks = r.weeks
		} else {
			o.Weeks = make([]string, n)
		}
		for i := range o.Weeks {
			o.Weeks[i] = str()
		}
	}
	mc, k := binary.Varint(b)
	if k <= 0 {
		return fail()
	}
	b = b[k:]
	o.MaxCandidates = int(mc)
	o.URL = str()
	if byteOf() == 1 {
		ns, k := binary.Varint(b)
		if k <= 0 {
			return fail()
		}
		b = b[k:]
		var t *time.Time
		if r != nil {
			t = &r.published
		} else {
			t = new(time.Time)
		}
		*t = time.Unix(0, ns).UTC()
		o.PublishedAt = t
	}
	insee = str()
	for i := range romes {
		romes[i].fiche = int16(binary.LittleEndian.Uint16(fixed(2)))
		romes[i].w = math.Float32frombits(binary.LittleEndian.Uint32(fixed(4)))
	}
	if !ok || len(b) != 0 {
		return fail()
	}
	return o, insee, romes, nil
}

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
