package stageindex

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// romeCode is the shape of a ROME code: a grand domaine letter, then a
// domaine's two digits, then a fiche's two (whether it exists is the search
// core's to say).
var romeCode = regexp.MustCompile(`^[A-N]([0-9]{2}([0-9]{2})?)?$`)

// MaxValues bounds each repeatable filter of a search.
const MaxValues = 50

// Validate checks r against the search contract and normalises what can be
// normalised without guessing: control characters in Query become spaces,
// sectors take their canonical spelling, weeks and departments upper case,
// an empty Remote is RemoteExclude, a zero Page or PerPage the default. It
// returns an *Error (EINVALID) naming, with a ParamCode, every parameter at
// fault under its API name, so that every caller — the API, the evaluation,
// the benchmark — hands the search core only requests it can trust.
func (r *SearchRequest) Validate() error {
	var e Error
	// add returns the error added, for With: its Args let the API say it
	// in French.
	add := func(param string, code ParamCode, format string, args ...any) *ParamError {
		e.Params = append(e.Params, ParamError{Param: param, Code: code, Message: fmt.Sprintf(format, args...)})
		return &e.Params[len(e.Params)-1]
	}
	switch n := utf8.RuneCountInString(r.Query); {
	case !utf8.ValidString(r.Query):
		add("q", CodeInvalidUTF8, "must be valid UTF-8")
	case n > MaxQueryLen:
		add("q", CodeTooLong, "is %d characters long, the maximum is %d", n, MaxQueryLen).With("length", n, "max", MaxQueryLen)
	default:
		r.Query = strings.Map(func(c rune) rune {
			if c < 0x20 || c == 0x7f {
				return ' '
			}
			return c
		}, r.Query)
	}
	if c := r.Center; c != nil {
		if !(c.Lat >= -90 && c.Lat <= 90) {
			add("lat", CodeOutOfRange, "must be between -90 and 90").With("min", -90, "max", 90)
		}
		if !(c.Lng >= -180 && c.Lng <= 180) {
			add("lng", CodeOutOfRange, "must be between -180 and 180").With("min", -180, "max", 180)
		}
	}
	if !(r.RadiusKm >= 0 && r.RadiusKm <= MaxRadiusKm) || math.IsNaN(r.RadiusKm) {
		add("radius_km", CodeOutOfRange, "must be between 0 and %d", MaxRadiusKm).With("min", 0, "max", MaxRadiusKm)
	}
	many := func(param string, n int) bool {
		if n > MaxValues {
			add(param, CodeTooManyValues, "at most %d values", MaxValues).With("max", MaxValues)
			return false
		}
		return true
	}
	if many("track", len(r.Tracks)) {
		for _, t := range r.Tracks {
			if !ValidTrack(t) {
				add("track", CodeNotOneOf, "%q is not one of generale, segpa, prepa_metiers", t).With("value", string(t), "allowed", "generale, segpa, prepa_metiers")
			}
		}
	}
	if many("sector", len(r.Sectors)) {
		for i, s := range r.Sectors {
			if c, ok := CanonicalSector(s); ok {
				r.Sectors[i] = c
			} else {
				add("sector", CodeUnknownSector, "%q is not a known sector (see /api/v1/stats)", s).With("value", s)
			}
		}
	}
	if many("week", len(r.Weeks)) {
		for i, w := range r.Weeks {
			r.Weeks[i] = strings.ToUpper(w)
			if _, err := ParseWeek(r.Weeks[i]); err != nil {
				add("week", CodeInvalidWeek, "%v", err).With("value", r.Weeks[i])
			}
		}
	}
	if many("department", len(r.Departments)) {
		for i, d := range r.Departments {
			r.Departments[i] = strings.ToUpper(d)
			if !ValidDepartment(r.Departments[i]) {
				add("department", CodeInvalidDept, "%q is not a department code like 22, 2A or 974", d).With("value", d)
			}
		}
	}
	for _, d := range r.Scope {
		if !ValidDepartment(d) {
			add("where", CodeInvalidDept, "scope: %q is not a department code", d).With("value", d)
			break
		}
	}
	if many("rome", len(r.ROME)) {
		for i, c := range r.ROME {
			r.ROME[i] = strings.ToUpper(strings.TrimSpace(c))
			if !romeCode.MatchString(r.ROME[i]) {
				add("rome", CodeInvalidROME, "%q is not a ROME code like D1102, D11 or D", c)
			}
		}
	}
	switch r.Remote {
	case "":
		r.Remote = RemoteExclude
	case RemoteExclude, RemoteInclude, RemoteOnly:
	default:
		add("remote", CodeNotOneOf, "must be one of exclude, include, only").With("allowed", "exclude, include, only")
	}
	switch r.Sort {
	case "", SortRelevance, SortDate:
	case SortDistance:
		if r.Center == nil {
			add("sort", CodeNeedsPlace, "distance needs a place: where, or lat and lng")
		}
	default:
		add("sort", CodeNotOneOf, "must be one of relevance, distance, date").With("allowed", "relevance, distance, date")
	}
	if r.Page == 0 {
		r.Page = 1
	}
	if r.PerPage == 0 {
		r.PerPage = DefaultPerPage
	}
	switch {
	case r.Page < 1 || r.Page > MaxResultDepth:
		add("page", CodeOutOfRange, "must be between 1 and %d", MaxResultDepth).With("min", 1, "max", MaxResultDepth)
	case r.PerPage < 1 || r.PerPage > MaxPerPage:
		add("per_page", CodeOutOfRange, "must be between 1 and %d", MaxPerPage).With("min", 1, "max", MaxPerPage)
	case r.Page*r.PerPage > MaxResultDepth:
		add("page", CodeTooDeep, "page × per_page must not exceed %d", MaxResultDepth).With("max", MaxResultDepth)
	}
	if len(e.Params) == 0 {
		return nil
	}
	e.Code, e.Message = EINVALID, "some parameters are invalid"
	return &e
}
