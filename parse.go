package stageindex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// FieldError is one problem with one field of an offer line.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// OfferError lists every problem found in one offer line, so that a partner
// fixes a line once rather than once per field.
type OfferError struct {
	Fields []FieldError
}

func (e *OfferError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

func (e *OfferError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// offerFields are the keys of the interchange format; any other key that does
// not start with "x_" is rejected, so that a misspelt field is not lost.
var offerFields = map[string]bool{
	"id": true, "title": true, "description": true, "employer_name": true,
	"employer_description": true, "sector": true, "tracks": true, "is_public": true,
	"remote": true, "handicap_accessible": true, "street": true, "zipcode": true,
	"city": true, "department": true, "latitude": true, "longitude": true,
	"weeks": true, "max_candidates": true, "url": true, "published_at": true,
}

// ParseOffer decodes and validates one JSON line of the interchange format.
// The error is an *OfferError listing every bad field, or a JSON syntax error.
func ParseOffer(line []byte) (Offer, error) {
	if oe := checkJSON(line); oe != nil {
		return Offer{}, oe
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return Offer{}, fmt.Errorf("invalid JSON: %w", err)
	}
	oe := &OfferError{}
	for k := range raw {
		if !offerFields[k] && !strings.HasPrefix(k, "x_") {
			oe.add(k, "unknown field (extension fields must start with x_)")
		}
		if bytes.Equal(bytes.TrimSpace(raw[k]), []byte("null")) {
			delete(raw, k)
		}
	}
	var o Offer
	str := func(k string, dst *string) {
		if v, ok := raw[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				oe.add(k, "must be a string")
			}
		}
	}
	boolean := func(k string, dst *bool) {
		if v, ok := raw[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				oe.add(k, "must be true or false")
			}
		}
	}
	number := func(k string) *float64 {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || math.IsNaN(f) {
			oe.add(k, "must be a number")
			return nil
		}
		return &f
	}
	str("id", &o.ID)
	str("title", &o.Title)
	str("description", &o.Description)
	str("employer_name", &o.EmployerName)
	str("employer_description", &o.EmployerDescription)
	str("sector", &o.Sector)
	str("street", &o.Street)
	str("zipcode", &o.Zipcode)
	str("city", &o.City)
	str("department", &o.Department)
	str("url", &o.URL)
	boolean("is_public", &o.IsPublic)
	boolean("remote", &o.Remote)
	boolean("handicap_accessible", &o.HandicapAccessible)
	o.Latitude = number("latitude")
	o.Longitude = number("longitude")
	if v, ok := raw["tracks"]; ok {
		if err := json.Unmarshal(v, &o.Tracks); err != nil {
			oe.add("tracks", "must be an array of strings")
		}
	}
	if v, ok := raw["weeks"]; ok {
		if err := json.Unmarshal(v, &o.Weeks); err != nil {
			oe.add("weeks", "must be an array of ISO weeks like 2026-W50")
		}
	}
	o.MaxCandidates = 1
	if v, ok := raw["max_candidates"]; ok {
		if err := json.Unmarshal(v, &o.MaxCandidates); err != nil {
			oe.add("max_candidates", "must be a whole number")
		}
	}
	if v, ok := raw["published_at"]; ok {
		var s string
		t, err := time.Time{}, json.Unmarshal(v, &s)
		if err == nil {
			t, err = time.Parse(time.RFC3339, s)
		}
		if err != nil {
			oe.add("published_at", "must be an RFC 3339 date-time like 2026-09-01T08:00:00Z")
		} else {
			t = t.UTC()
			o.PublishedAt = &t
		}
	}
	o.Validate(oe)
	if len(oe.Fields) > 0 {
		return Offer{}, oe
	}
	return o, nil
}

// checkJSON finds, before encoding/json reads line, what it would let
// through silently: invalid UTF-8 (replaced by U+FFFD) and a key given
// twice (the last one kept). jsontext (go-json-experiment, encoding/json
// v2's syntax layer) rejects both by default and says where. Other syntax
// errors are left to json.Unmarshal's message.
func checkJSON(line []byte) *OfferError {
	if jsontext.Value(line).IsValid() {
		return nil
	}
	err := jsontext.NewDecoder(bytes.NewReader(line)).SkipValue()
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		return nil
	}
	field := "json"
	for tok := range se.JSONPointer.Tokens() {
		field = tok // the top-level key the problem lies under
		break
	}
	oe := &OfferError{}
	switch {
	case errors.Is(se.Err, jsontext.ErrDuplicateName) && se.JSONPointer.Parent() == "":
		oe.add(field, "is given twice")
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		oe.add(field, "has the key %q twice", se.JSONPointer.LastToken())
	case !utf8.Valid(line):
		oe.add(field, "must be valid UTF-8 (byte %d of the line is not)", invalidUTF8At(line)+1)
	default:
		return nil
	}
	return oe
}

// invalidUTF8At is the offset of the first byte of b that is not valid
// UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// Validate appends to oe every constraint o breaks and normalises what can
// be normalised without guessing (trimmed strings, canonical sector, sorted
// unique tracks and weeks).
func (o *Offer) Validate(oe *OfferError) {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&o.ID, &o.Title, &o.EmployerName, &o.Sector, &o.Street, &o.Zipcode, &o.City, &o.Department, &o.URL} {
		trim(s)
	}
	required := func(field, v string, max int) {
		switch n := utf8.RuneCountInString(v); {
		case !utf8.ValidString(v):
			oe.add(field, "must be valid UTF-8")
		case n == 0:
			oe.add(field, "is required")
		case max > 0 && n > max:
			oe.add(field, "is %d characters long, the maximum is %d", n, max)
		}
	}
	required("id", o.ID, 100)
	if strings.ContainsAny(o.ID, " /?#%\t\n") {
		oe.add("id", "must not contain spaces, slashes, '?', '#' or '%%'")
	}
	required("title", o.Title, 150)
	required("description", strings.TrimSpace(o.Description), 20000)
	required("employer_name", o.EmployerName, 180)
	if o.Sector != "" {
		if c, ok := CanonicalSector(o.Sector); ok {
			o.Sector = c
		} else {
			oe.add("sector", "%q is not a known sector", o.Sector)
		}
	}
	if len(o.Tracks) == 0 {
		oe.add("tracks", "needs at least one of generale, segpa, prepa_metiers")
	}
	seen := map[Track]bool{}
	var tracks []Track
	for _, t := range o.Tracks {
		if !ValidTrack(t) {
			oe.add("tracks", "%q is not one of generale, segpa, prepa_metiers", t)
			continue
		}
		if !seen[t] {
			seen[t] = true
			tracks = append(tracks, t)
		}
	}
	o.Tracks = sortTracks(tracks)
	if o.Zipcode != "" && !isDigits(o.Zipcode, 5) {
		oe.add("zipcode", "%q is not a 5-digit postcode", o.Zipcode)
	}
	if o.Department != "" {
		o.Department = strings.ToUpper(o.Department)
		if !ValidDepartment(o.Department) {
			oe.add("department", "%q is not a department code like 22, 2A or 974", o.Department)
		}
	}
	switch {
	case (o.Latitude == nil) != (o.Longitude == nil):
		oe.add("latitude", "latitude and longitude go together")
	case o.Latitude == nil && !o.Remote:
		oe.add("latitude", "is required unless remote is true")
	case o.Latitude != nil:
		if *o.Latitude < -90 || *o.Latitude > 90 {
			oe.add("latitude", "%v is outside -90..90", *o.Latitude)
		}
		if *o.Longitude < -180 || *o.Longitude > 180 {
			oe.add("longitude", "%v is outside -180..180", *o.Longitude)
		}
	}
	weeks := map[string]bool{}
	var ws []string
	for _, w := range o.Weeks {
		if _, err := ParseWeek(w); err != nil {
			oe.add("weeks", "%v", err)
			continue
		}
		if !weeks[w] {
			weeks[w] = true
			ws = append(ws, w)
		}
	}
	sortStrings(ws)
	o.Weeks = ws
	if o.MaxCandidates < 1 || o.MaxCandidates > 1000 {
		oe.add("max_candidates", "%d is outside 1..1000", o.MaxCandidates)
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			oe.add("url", "must be an absolute http(s) URL")
		}
	}
}

// ValidDepartment reports whether code is a French department code:
// 01–95 (with 2A and 2B for Corsica) or 971–976.
func ValidDepartment(code string) bool {
	switch {
	case code == "2A" || code == "2B":
		return true
	case isDigits(code, 2):
		return code != "00" && code != "20" && code <= "95"
	case isDigits(code, 3):
		return code >= "971" && code <= "976"
	}
	return false
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func sortTracks(ts []Track) []Track {
	out := make([]Track, 0, len(ts))
	for _, t := range Tracks {
		for _, u := range ts {
			if u == t {
				out = append(out, t)
			}
		}
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
