package api

import (
	"github.com/stageindex/stageindex"
)

// This file turns a resolved place into the search's place filter, and
// reads a place typed in q when the request names none (docs/places.md, "A
// place inside q").

// applyPlace sets the search area of req for p: around a commune's point
// (its INSEE codes for radius 0), or a département's or région's
// départements (Scope, no Center: radius_km does not apply, and without q
// the sort is by date); the whole country is no place filter at all.
func applyPlace(req *stageindex.SearchRequest, p *stageindex.Place, places Places) {
	switch p.Kind {
	case stageindex.PlaceDepartment, stageindex.PlaceRegion:
		req.Scope = append([]string(nil), p.Departments...)
	case stageindex.PlaceCountry:
	default:
		req.Center = &stageindex.LatLng{Lat: p.Lat, Lng: p.Lng}
		req.Communes = places.CommuneCodes(p.INSEE)
	}
}

// placeFromQuery reads a town, a département or a région typed in
// req.Query, asking the index whether a word is better read as a keyword.
// On success req searches the rest of q around (or in) that place, and the
// place, marked FromQuery, is returned; otherwise req is untouched and the
// result nil. The caller makes sure the request names no place itself.
func placeFromQuery(req *stageindex.SearchRequest, places Places, vocab Searcher) *stageindex.Place {
	if req.Query == "" || !vocab.Ready() {
		return nil
	}
	rest, p, ok := places.PlaceInQuery(req.Query, vocab.KnownKeyword)
	if !ok {
		return nil
	}
	p.FromQuery = true
	req.Query = rest
	applyPlace(req, &p, places)
	return &p
}
