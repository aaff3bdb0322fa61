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

// paramErrors collects every bad parameter of a request, so that a partner
// fixes them all at once.
type paramErrors []stageindex.ParamError

// add returns the error added, for With: its Args are what i18n.go
// writes the message from.
func (pe *paramErrors) add(param string, code stageindex.ParamCode, format string, args ...any) *stageindex.ParamError {
	*pe = append(*pe, stageindex.ParamError{Param: param, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*pe)[len(*pe)-1]
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
		a.pe.add(name, stageindex.CodeTooManyValues, "at most 50 values").With("max", 50)
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
		a.pe.add(name, stageindex.CodeOutOfRange, "must be between %v and %v", min, max).With("min", min, "max", max)
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
		a.pe.add(name, stageindex.CodeOutOfRange, "must be between %d and %d", min, max).With("min", min, "max", max)
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
	a.pe.add(name, stageindex.CodeNotOneOf, "must be one of %s", strings.Join(allowed, ", ")).With("allowed", strings.Join(allowed, ", "))
	return ""
}

// parseSearch turns the query string into a SearchRequest, resolving the
// place with places (or reading it in q, asking vocab: place_query.go). It checks the syntax of each parameter (numbers,
// booleans, repeats, UTF-8) and leaves the contract's rules to
// SearchRequest.Validate, whose errors it merges with its own. Every
// problem is reported, none is guessed around.
func parseSearch(qa *fasthttp.Args, places Places, vocab Searcher) (stageindex.SearchRequest, *stageindex.Place, string, error) {
	var pe paramErrors
	a := args{qa, &pe}
	var req stageindex.SearchRequest

	req.Query, _ = a.one("q")
	req.RadiusKm = stageindex.DefaultRadius
	if r, ok := a.float("radius_km", math.Inf(-1), math.Inf(1)); ok {
		req.RadiusKm = r
	}
	lat, hasLat := a.float("lat", math.Inf(-1), math.Inf(1))
	lng, hasLng := a.float("lng", math.Inf(-1), math.Inf(1))
	where, hasWhere := a.one("where")
	hasWhere = hasWhere && where != ""
	var place *stageindex.Place
	switch {
	case hasLat != hasLng && len(pe) == 0:
		if hasLat {
			pe.add("lng", stageindex.CodeRequired, "is required with lat").With("with", "lat")
		} else {
			pe.add("lat", stageindex.CodeRequired, "is required with lng").With("with", "lng")
		}
	case hasLat && hasLng && hasWhere:
		pe.add("where", stageindex.CodeConflict, "give either where or lat and lng, not both")
	case hasLat && hasLng:
		req.Center = &stageindex.LatLng{Lat: lat, Lng: lng}
	case hasWhere:
		if utf8.RuneCountInString(where) > 100 {
			pe.add("where", stageindex.CodeTooLong, "is too long").With("max", 100)
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
		applyPlace(&req, place, places)
	case len(pe) == 0 && !hasLat && !hasLng:
		place = placeFromQuery(&req, places, vocab) // "boulangerie brest"
	}
	for _, t := range a.many("track") {
		req.Tracks = append(req.Tracks, stageindex.Track(strings.ToLower(t)))
	}
	req.Sectors = a.many("sector")
	req.Weeks = a.many("week")
	req.Departments = a.many("department")
	req.ROME = a.many("rome")
	req.IsPublic = a.bool("is_public")
	req.Accessible = a.bool("accessible")
	req.Remote = stageindex.RemoteMode(oneOf(a, "remote", "exclude", "include", "only"))
	req.Sort = stageindex.SortOrder(oneOf(a, "sort", "relevance", "distance", "date"))
	// Explicit zeros: Validate reads a zero page or per_page as the default.
	req.Page = a.int("page", 1, 1, math.MaxInt32)
	req.PerPage = a.int("per_page", stageindex.DefaultPerPage, 1, math.MaxInt32)
	caller, _ := a.one("caller")
	if utf8.RuneCountInString(caller) > 100 {
		pe.add("caller", stageindex.CodeTooLong, "is too long (100 characters at most)").With("max", 100)
		caller = ""
	}
	if err := req.Validate(); err != nil {
		var e *stageindex.Error
		asError(err, &e)
		named := map[string]bool{}
		for _, p := range pe {
			named[p.Param] = true
		}
		placeFailed := named["where"] || named["lat"] || named["lng"]
		for _, p := range e.Params {
			// One error per parameter; a sort by distance is not also
			// blamed for a place that could not be read.
			if !named[p.Param] && !(p.Code == stageindex.CodeNeedsPlace && placeFailed) {
				pe = append(pe, p)
			}
		}
	}
	return req, place, caller, pe.err()
}
