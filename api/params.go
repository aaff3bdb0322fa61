package api

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex"
)

// searchParams are the raw parameters of GET /api/v1/offers.
var searchParams = map[string]bool{
	"q": true, "where": true, "lat": true, "lng": true, "radius_km": true, "track": true,
	"sector": true, "week": true, "department": true, "is_public": true, "accessible": true,
	"remote": true, "sort": true, "page": true, "per_page": true, "caller": true,
}

// paramErrors collects every bad parameter of a request, so that a partner
// fixes them all at once.
type paramErrors []stageindex.ParamError

func (pe *paramErrors) add(param string, code stageindex.ParamCode, format string, args ...any) {
	*pe = append(*pe, stageindex.ParamError{Param: param, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (pe paramErrors) err() error {
	if len(pe) == 0 {
		return nil
	}
	return &stageindex.Error{Code: stageindex.EINVALID, Message: "some parameters are invalid", Params: pe}
}

// args reads query parameters, rejecting repeats of single-valued ones and
// invalid UTF-8 before any parsing.
type args struct {
	a  *fasthttp.Args
	pe *paramErrors
}

func (a args) one(name string) (string, bool) {
	vs := a.a.PeekMulti(name)
	switch len(vs) {
	case 0:
		return "", false
	case 1:
	default:
		a.pe.add(name, stageindex.CodeRepeated, "must be given once")
		return "", false
	}
	v := string(vs[0])
	if !utf8.ValidString(v) {
		a.pe.add(name, stageindex.CodeInvalidUTF8, "must be valid UTF-8")
		return "", false
	}
	return strings.TrimSpace(v), true
}

// many returns the values of a repeatable parameter; commas also separate
// values, as partners often send track=generale,segpa.
func (a args) many(name string) []string {
	var out []string
	for _, v := range a.a.PeekMulti(name) {
		if !utf8.Valid(v) {
			a.pe.add(name, stageindex.CodeInvalidUTF8, "must be valid UTF-8")
			continue
		}
		for _, s := range strings.Split(string(v), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(out) > 50 {
		a.pe.add(name, stageindex.CodeTooManyValues, "at most 50 values")
		return nil
	}
	return out
}

func (a args) float(name string, min, max float64) (float64, bool) {
	v, ok := a.one(name)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		a.pe.add(name, stageindex.CodeNotANumber, "must be a number")
		return 0, false
	}
	if f < min || f > max {
		a.pe.add(name, stageindex.CodeOutOfRange, "must be between %v and %v", min, max)
		return 0, false
	}
	return f, true
}

func (a args) int(name string, def, min, max int) int {
	v, ok := a.one(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		a.pe.add(name, stageindex.CodeNotAnInteger, "must be a whole number")
		return def
	}
	if n < min || n > max {
		a.pe.add(name, stageindex.CodeOutOfRange, "must be between %d and %d", min, max)
		return def
	}
	return n
}

func (a args) bool(name string) *bool {
	v, ok := a.one(name)
	if !ok || v == "" {
		return nil
	}
	var b bool
	switch strings.ToLower(v) {
	case "true", "1", "yes", "oui":
		b = true
	case "false", "0", "no", "non":
	default:
		a.pe.add(name, stageindex.CodeNotABoolean, "must be true or false")
		return nil
	}
	return &b
}

func oneOf(a args, name string, allowed ...string) string {
	v, ok := a.one(name)
	if !ok || v == "" {
		return ""
	}
	v = strings.ToLower(v)
	for _, s := range allowed {
		if v == s {
			return s
		}
	}
	a.pe.add(name, stageindex.CodeNotOneOf, "must be one of %s", strings.Join(allowed, ", "))
	return ""
}

// parseSearch turns the query string into a SearchRequest, resolving the
// place with places. Every problem is reported, none is guessed around.
func parseSearch(qa *fasthttp.Args, places Places) (stageindex.SearchRequest, *stageindex.Place, string, error) {
	var pe paramErrors
	a := args{qa, &pe}
	var req stageindex.SearchRequest

	if q, ok := a.one("q"); ok {
		if n := utf8.RuneCountInString(q); n > stageindex.MaxQueryLen {
			pe.add("q", stageindex.CodeTooLong, "is %d characters long, the maximum is %d", n, stageindex.MaxQueryLen)
		} else {
			req.Query = strings.Map(dropControl, q)
		}
	}
	req.RadiusKm = stageindex.DefaultRadius
	if r, ok := a.float("radius_km", 0, stageindex.MaxRadiusKm); ok {
		req.RadiusKm = r
	}
	lat, hasLat := a.float("lat", -90, 90)
	lng, hasLng := a.float("lng", -180, 180)
	where, hasWhere := a.one("where")
	hasWhere = hasWhere && where != ""
	var place *stageindex.Place
	switch {
	case hasLat != hasLng && len(pe) == 0:
		if hasLat {
			pe.add("lng", stageindex.CodeRequired, "is required with lat")
		} else {
			pe.add("lat", stageindex.CodeRequired, "is required with lng")
		}
	case hasLat && hasLng && hasWhere:
		pe.add("where", stageindex.CodeConflict, "give either where or lat and lng, not both")
	case hasLat && hasLng:
		req.Center = &stageindex.LatLng{Lat: lat, Lng: lng}
	case hasWhere:
		if utf8.RuneCountInString(where) > 100 {
			pe.add("where", stageindex.CodeTooLong, "is too long")
			break
		}
		p, err := places.Resolve(where)
		if err != nil {
			var e *stageindex.Error
			if asError(err, &e) && len(e.Params) > 0 {
				pe = append(pe, e.Params...)
			} else {
				pe.add("where", stageindex.CodeUnknownPlace, "%v", err)
			}
			break
		}
		place = &p
		req.Center = &stageindex.LatLng{Lat: p.Lat, Lng: p.Lng}
		req.Communes, req.Postcode = places.CommuneCodes(p.INSEE), p.Postcode
	}

	for _, t := range a.many("track") {
		if tr := stageindex.Track(strings.ToLower(t)); stageindex.ValidTrack(tr) {
			req.Tracks = append(req.Tracks, tr)
		} else {
			pe.add("track", stageindex.CodeNotOneOf, "%q is not one of generale, segpa, prepa_metiers", t)
		}
	}
	for _, s := range a.many("sector") {
		if c, ok := stageindex.CanonicalSector(s); ok {
			req.Sectors = append(req.Sectors, c)
		} else {
			pe.add("sector", stageindex.CodeUnknownSector, "%q is not a known sector (see /api/v1/stats)", s)
		}
	}
	for _, w := range a.many("week") {
		if _, err := stageindex.ParseWeek(strings.ToUpper(w)); err != nil {
			pe.add("week", stageindex.CodeInvalidWeek, "%v", err)
		} else {
			req.Weeks = append(req.Weeks, strings.ToUpper(w))
		}
	}
	for _, d := range a.many("department") {
		if d = strings.ToUpper(d); stageindex.ValidDepartment(d) {
			req.Departments = append(req.Departments, d)
		} else {
			pe.add("department", stageindex.CodeInvalidDept, "%q is not a department code like 22, 2A or 974", d)
		}
	}
	req.IsPublic = a.bool("is_public")
	req.Accessible = a.bool("accessible")
	req.Remote = stageindex.RemoteMode(oneOf(a, "remote", "exclude", "include", "only"))
	req.Sort = stageindex.SortOrder(oneOf(a, "sort", "relevance", "distance", "date"))
	if req.Sort == stageindex.SortDistance && req.Center == nil && !hasLat && !hasWhere {
		pe.add("sort", stageindex.CodeNeedsPlace, "distance needs a place: where, or lat and lng")
	}
	req.Page = a.int("page", 1, 1, stageindex.MaxResultDepth)
	req.PerPage = a.int("per_page", stageindex.DefaultPerPage, 1, stageindex.MaxPerPage)
	if req.Page*req.PerPage > stageindex.MaxResultDepth {
		pe.add("page", stageindex.CodeTooDeep, "page × per_page must not exceed %d", stageindex.MaxResultDepth)
	}
	caller, _ := a.one("caller")
	if utf8.RuneCountInString(caller) > 100 {
		pe.add("caller", stageindex.CodeTooLong, "is too long (100 characters at most)")
		caller = ""
	}
	return req, place, caller, pe.err()
}

func dropControl(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return ' '
	}
	return r
}
