package search

import (
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// doc is an offer as the search core keeps it: where its encoded form is
// in the index's offerStore, and what locates it in the index structures.
// What every query reads per candidate lives apart, in hot.
type doc struct {
	id  string
	rec rec // in Index.store, once inserted
	// pending is the offer while an Apply writes it (newDoc); nil once
	// insert has put it, encoded, in the store.
	pending  *pendingOffer
	lat, lng float64
	dept     string
	insee    string
	// romes are the ROME fiches the offer's words name, best first (fiche
	// -1: none); hot.rome is the first.
	romes [3]ficheScore
	// init is the offer's hot part until place copies it to Index.hot,
	// then nil: one copy, not two (64 bytes an offer, 64 MB at 1M; a doc
	// is then 120 bytes, in the allocator's 128-byte class).
	init *hot
}

// pendingOffer is a doc's offer until it is in the store, and its
// encoding once made (newDocs encodes it beside classification, for the
// shard's stored copy and the store); apart from doc, which is held for
// every offer, so as not to make it larger.
type pendingOffer struct {
	*stageindex.Offer
	enc []byte
	// cells are the doc's H3 cells once located (pendingCells): found
	// beside the encoding, on every core, and stored in it.
	cells   cells
	located bool
}

// pendingCells returns the cells of d, which is pending, placing its
// point once.
func (d *doc) pendingCells() cells {
	p := d.pending
	if !p.located {
		if d.init.has(flagHasLoc) {
			p.cells = cellsOf(d)
		}
		p.located = true
	}
	return p.cells
}

// shard is the key of the shard d belongs in (shardKey).
func (d *doc) shard() string {
	if d.dept == "" {
		return "_"
	}
	return d.dept
}

// hot is the part of an offer that filters, facets and sorting read for
// every candidate, packed in one cache line and stored in Index.hot, a slice
// parallel to Index.docs: a 60 km search touches ten thousand offers, and a
// pointer chase per field would cost more than the work itself.
type hot struct {
	x, y, z     float64 // unit vector of the location, for trig-free distance tests
	published   int64   // unix seconds; math.MaxInt64 when unpublished
	lastWeekEnd int64   // unix seconds the last week ends; 0 when no weeks
	weekMask    uint64  // bit i: the offer runs in week weekBase+i
	weekBase    uint16  // weekCode of the first week
	sector      int16   // index in stageindex.Sectors, -1 when none
	deptIdx     uint16  // index in Index.depts
	rome        int16   // the offer's ROME fiche (index in the thesaurus' ROME model), -1 when none
	tracks      uint8   // bit i set for stageindex.Tracks[i]
	flags       uint8
	// gen counts the times Index.hot's slot was taken or freed (see
	// slotTable); meaningless in doc.init.
	gen uint32
}

// Flags of hot.
const (
	flagLive uint8 = 1 << iota
	flagHasLoc
	flagRemote
	flagPublic
	flagAccessible
)

func (h *hot) has(f uint8) bool { return h.flags&f != 0 }

func newDoc(o *stageindex.Offer, communeOf func(zip, city string) (string, bool), thes *Thesaurus) *doc {
	d := baseDoc(o, strings.Clone(o.Department))
	d.pending = &pendingOffer{Offer: o}
	if communeOf != nil && o.Zipcode != "" {
		d.insee, _ = communeOf(o.Zipcode, o.City)
	}
	d.classify(o, thes)
	return d
}

// classify sets d's ROME fiches from its words (nothing without a ROME
// model).
func (d *doc) classify(o *stageindex.Offer, thes *Thesaurus) {
	if thes == nil || thes.rome == nil {
		return
	}
	d.setROMEs(thes.rome.classifyOffer(o.Title, o.Sector, o.EmployerName, o.Description))
}

func (d *doc) setROMEs(r [3]ficheScore) {
	d.romes = r
	d.init.rome = r[0].fiche
}

// baseDoc is an offer's doc without its commune, ROME fiches and offer
// (pending or in the store); dept is o.Department, copied by the caller
// (Open shares one copy per shard). The strings it keeps are copies: o
// may be decoded in place from a buffer that is about to change (Open),
// and o itself is not kept, so that Open's stays off the heap.
func baseDoc(o *stageindex.Offer, dept string) *doc {
	d := &doc{id: strings.Clone(o.ID), dept: dept, init: new(hot)}
	h := d.init
	h.sector, h.published, h.flags, h.rome = -1, math.MaxInt64, flagLive, -1
	d.romes = [3]ficheScore{{-1, 0}, {-1, 0}, {-1, 0}}
	if o.HasLocation() {
		d.lat, d.lng = *o.Latitude, *o.Longitude
		h.x, h.y, h.z = geo.UnitVector(d.lat, d.lng)
		h.flags |= flagHasLoc
	}
	if o.Remote {
		h.flags |= flagRemote
	}
	if o.IsPublic {
		h.flags |= flagPublic
	}
	if o.HandicapAccessible {
		h.flags |= flagAccessible
	}
	for i, t := range stageindex.Tracks {
		for _, u := range o.Tracks {
			if t == u {
				h.tracks |= 1 << i
			}
		}
	}
	for i, s := range stageindex.Sectors {
		if s == o.Sector {
			h.sector = int16(i)
		}
	}
	// Weeks are sorted, so the first one is the base. An offer spreads over
	// one school year: weeks more than 63 weeks after its first are beyond
	// the mask and left out of week filters and facets (not of searchability).
	for _, w := range o.Weeks {
		c, ok := weekCodeOf(w)
		if !ok {
			continue
		}
		if h.weekMask == 0 {
			h.weekBase = c
		}
		if c >= h.weekBase && c-h.weekBase < 64 {
			h.weekMask |= 1 << (c - h.weekBase)
		}
		if end := weekEnd(c); end > h.lastWeekEnd {
			h.lastWeekEnd = end
		}
	}
	if o.PublishedAt != nil {
		h.published = o.PublishedAt.Unix()
	}
	return d
}

// searchable mirrors stageindex.Offer.Searchable on precomputed fields.
func (h *hot) searchable(now int64) bool {
	return h.published <= now && (h.lastWeekEnd == 0 || h.lastWeekEnd > now)
}

// activeWeeks returns the offer's week mask without the weeks over at now,
// whose first active code is firstActive, shifted so that bit 0 is
// h.weekBase.
func (h *hot) activeWeeks(firstActive uint16) uint64 {
	if firstActive <= h.weekBase {
		return h.weekMask
	}
	skip := firstActive - h.weekBase
	if skip >= 64 {
		return 0
	}
	return h.weekMask &^ (1<<skip - 1)
}

// eachWeek calls fn with the code of every week in mask (relative to base).
func eachWeek(mask uint64, base uint16, fn func(code uint16)) {
	for mask != 0 {
		i := bits.TrailingZeros64(mask)
		fn(base + uint16(i))
		mask &= mask - 1
	}
}

// weekEnd is when the week with code c is over, by the rule of
// stageindex.WeekPast: its Sunday midnight in metropolitan France (UTC+1).
func weekEnd(c uint16) int64 {
	return epochMondayUnix + int64(c+1)*7*86400 - 3600
}

// firstActiveWeek is the code of the first week not over at now.
func firstActiveWeek(now int64) uint16 {
	if now < epochMondayUnix {
		return 0
	}
	c := uint16((now - epochMondayUnix) / (7 * 86400))
	for weekEnd(c) <= now {
		c++
	}
	return c
}

// weekCode numbers ISO weeks by their Monday, counted in weeks since a fixed
// Monday, so that codes sort like dates and fit in 16 bits until 3200.
func weekCode(monday time.Time) uint16 {
	return uint16(monday.Sub(epochMonday) / (7 * 24 * time.Hour))
}

// weekCodeOf is weekCode of the Monday stageindex.ParseWeek gives for s,
// false where it fails, by day arithmetic: through time.Time (three dates
// and an ISO week each) it was a tenth of a reopen, every offer's weeks
// parsed. TestWeekCodeOfIsParseWeeks compares the two.
func weekCodeOf(s string) (uint16, bool) {
	if len(s) != 8 || s[4] != '-' || s[5] != 'W' {
		return 0, false
	}
	year, week := 0, 0
	for i := range 8 {
		if i == 4 || i == 5 {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if i < 4 {
			year = year*10 + int(c-'0')
		} else {
			week = week*10 + int(c-'0')
		}
	}
	if year < 2000 || year > 2100 {
		return 0, false
	}
	first := isoWeekOne(year)
	if week < 1 || week > (isoWeekOne(year+1)-first)/7 {
		return 0, false
	}
	monday := first + 7*(week-1)
	return uint16(int64(monday-epochMondayUnix/86400) / 7), true
}

// isoWeekOne is the day (since 1970-01-01) of the Monday of ISO week 1
// of year, the week holding January 4th.
func isoWeekOne(year int) int {
	jan4 := daysFromCivil(year, 1, 4)
	return jan4 - (jan4+3)%7 // 1970-01-01 was a Thursday
}

// daysFromCivil counts the days from 1970-01-01 to y-m-d of the
// proleptic Gregorian calendar, for y ≥ 1 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func weekMonday(c uint16) time.Time {
	return epochMonday.AddDate(0, 0, 7*int(c))
}

// epochMonday is Monday 1 January 2001, a constant; epochMondayUnix is the
// same in Unix seconds.
var epochMonday = time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC)

const epochMondayUnix = 978307200

func weekName(c uint16) string { return stageindex.FormatWeek(weekMonday(c)) }

// shardKey puts an offer in its department's text shard, so that a search
// around a point only scores the departments its circle touches. Offers
// without a department (remote ones) share the shard "_".
func shardKey(o *stageindex.Offer) string {
	if o.Department == "" {
		return "_"
	}
	return o.Department
}

// classifyDescriptionBytes is how much of a description classification
// reads: its start says what the pupil will do, and analysing the whole of
// it halved the build rate.
const classifyDescriptionBytes = 600

// descriptionHead is the start of a description, cut before a word.
func descriptionHead(s string) string {
	if len(s) <= classifyDescriptionBytes {
		return s
	}
	cut := strings.LastIndexByte(s[:classifyDescriptionBytes], ' ')
	if cut < 0 {
		cut = classifyDescriptionBytes
	}
	return s[:cut]
}
