package search

import (
	"math"
	"time"

	"github.com/stageindex/stageindex"
)

// doc is an offer as the search core keeps it in memory: the offer itself
// plus the precomputed fields that filters, facets and sorting read on every
// query, so that the hot path never parses a string.
type doc struct {
	offer       *stageindex.Offer
	x, y, z     float64 // unit vector of the location, for trig-free distance tests
	lat, lng    float64
	hasLoc      bool
	remote      bool
	public      bool
	accessible  bool
	tracks      uint8 // bit i set for stageindex.Tracks[i]
	sector      int16 // index in stageindex.Sectors, -1 when none
	dept        string
	deptIdx     uint16 // index in Index.depts
	insee       string
	weeks       []uint16 // weekCode of each week, sorted
	published   int64    // unix seconds; math.MaxInt64 when unpublished
	lastWeekEnd int64    // unix seconds the last week ends; 0 when no weeks
	shard       string
}

func newDoc(o *stageindex.Offer, communeOf func(zip, city string) (string, bool)) *doc {
	d := &doc{offer: o, sector: -1, dept: o.Department, published: math.MaxInt64}
	if o.HasLocation() {
		d.lat, d.lng, d.hasLoc = *o.Latitude, *o.Longitude, true
		d.x, d.y, d.z = unitVector(d.lat, d.lng)
	}
	d.remote, d.public, d.accessible = o.Remote, o.IsPublic, o.HandicapAccessible
	for i, t := range stageindex.Tracks {
		for _, u := range o.Tracks {
			if t == u {
				d.tracks |= 1 << i
			}
		}
	}
	for i, s := range stageindex.Sectors {
		if s == o.Sector {
			d.sector = int16(i)
		}
	}
	for _, w := range o.Weeks {
		mon, err := stageindex.ParseWeek(w)
		if err != nil {
			continue
		}
		d.weeks = append(d.weeks, weekCode(mon))
		if end := mon.AddDate(0, 0, 7).Add(-time.Hour).Unix(); end > d.lastWeekEnd {
			d.lastWeekEnd = end
		}
	}
	if o.PublishedAt != nil {
		d.published = o.PublishedAt.Unix()
	}
	if communeOf != nil && o.Zipcode != "" {
		d.insee, _ = communeOf(o.Zipcode, o.City)
	}
	d.shard = shardKey(o)
	return d
}

// searchable mirrors stageindex.Offer.Searchable on precomputed fields.
func (d *doc) searchable(now int64) bool {
	return d.published <= now && (d.lastWeekEnd == 0 || d.lastWeekEnd > now)
}

// weekActive reports whether the week with code c is not over at now, by
// the rule of stageindex.WeekPast.
func weekActive(c uint16, now int64) bool {
	return epochMondayUnix+int64(c+1)*7*86400-3600 > now
}

// epochMondayUnix is epochMonday in Unix seconds.
const epochMondayUnix = 978307200

// weekCode numbers ISO weeks by their Monday, counted in weeks since a fixed
// Monday, so that codes sort like dates and fit in 16 bits until 3200.
func weekCode(monday time.Time) uint16 {
	return uint16(monday.Sub(epochMonday) / (7 * 24 * time.Hour))
}

func weekMonday(c uint16) time.Time {
	return epochMonday.AddDate(0, 0, 7*int(c))
}

// epochMonday is Monday 1 January 2001, a constant.
var epochMonday = time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC)

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

func (d *doc) hasTrack(mask uint8) bool { return d.tracks&mask != 0 }
