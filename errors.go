package stageindex

import (
	"errors"
	"fmt"
)

// ErrorCode classifies errors so that the API maps them to HTTP statuses
// without knowing where they came from.
type ErrorCode string

// Error codes.
const (
	EINVALID     ErrorCode = "invalid"     // bad input: 400
	ENOTFOUND    ErrorCode = "not_found"   // 404
	EUNAVAILABLE ErrorCode = "unavailable" // not ready yet: 503
	EINTERNAL    ErrorCode = "internal"    // 500
	// EUNAUTHORIZED is a partner key that is wrong, revoked or expired: 401.
	EUNAUTHORIZED ErrorCode = "unauthorized"
	// ELIMITED is a client over its rate limit: 429.
	ELIMITED ErrorCode = "rate_limited"
)

// ParamCode is the stable, machine-readable reason a parameter was refused,
// so that clients (our page and widget included) can write their own words
// whatever the language of Message.
type ParamCode string

// Parameter error codes. They are part of the API contract: add new ones,
// never rename one.
const (
	CodeRequired       ParamCode = "required"        // needed with another parameter (lat without lng)
	CodeRepeated       ParamCode = "repeated"        // a single-valued parameter given twice
	CodeInvalidUTF8    ParamCode = "invalid_utf8"    // not valid UTF-8
	CodeTooManyValues  ParamCode = "too_many_values" // a repeatable parameter given too often
	CodeNotANumber     ParamCode = "not_a_number"    // lat, lng, radius_km
	CodeNotAnInteger   ParamCode = "not_an_integer"  // page, per_page, limit
	CodeNotABoolean    ParamCode = "not_a_boolean"   // is_public, accessible
	CodeOutOfRange     ParamCode = "out_of_range"    // a number outside its bounds
	CodeNotOneOf       ParamCode = "not_one_of"      // an enumerated value (track, remote, sort, format)
	CodeTooLong        ParamCode = "too_long"        // q, where, caller, id
	CodeTooShort       ParamCode = "too_short"       // autocomplete q under 2 characters
	CodeConflict       ParamCode = "conflict"        // where together with lat and lng
	CodeUnknownPlace   ParamCode = "unknown_place"   // where names no known place
	CodeAmbiguousPlace ParamCode = "ambiguous_place" // where names several places: see candidates
	CodeUnknownSector  ParamCode = "unknown_sector"  // not one of Sectors
	CodeInvalidWeek    ParamCode = "invalid_week"    // not an ISO week such as 2027-W05
	CodeInvalidDept    ParamCode = "invalid_department"
	CodeInvalidROME    ParamCode = "invalid_rome" // not a ROME fiche, domaine or grand domaine code
	CodeNeedsPlace     ParamCode = "needs_place"  // sort=distance without a place
	CodeTooDeep        ParamCode = "too_deep"     // page × per_page beyond MaxResultDepth
	CodeInvalidID      ParamCode = "invalid_id"   // an offer id that cannot exist
	CodeInvalid        ParamCode = "invalid"      // any other refusal
	CodeRateLimited    ParamCode = "rate_limited" // too many requests: see Retry-After
	CodeInvalidKey     ParamCode = "invalid_key"  // Authorization is no partner key, or not a Bearer one
	CodeRevokedKey     ParamCode = "revoked_key"  // a partner key that was revoked
	CodeExpiredKey     ParamCode = "expired_key"  // a partner key past its expiry date
)

// ParamError is one bad request parameter (Param is empty when the
// refusal is about the request as a whole, such as a rate limit).
// Candidates lists close places when the parameter named a place that is
// unknown or ambiguous. Args are the values Message speaks of (min, max,
// value…), by name, so that the API can say it in the caller's language
// from Code; they are not sent.
type ParamError struct {
	Param      string         `json:"param,omitempty"`
	Code       ParamCode      `json:"code"`
	Message    string         `json:"message"`
	Candidates []Place        `json:"candidates,omitempty"`
	Args       map[string]any `json:"-"`
}

// With sets p's Args from name, value pairs, and returns p.
func (p *ParamError) With(kv ...any) *ParamError {
	if p.Args == nil {
		p.Args = make(map[string]any, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			p.Args[k] = kv[i+1]
		}
	}
	return p
}

// Error is a domain error carrying a code and, for EINVALID, the parameters
// at fault.
type Error struct {
	Code    ErrorCode
	Message string
	Params  []ParamError
}

func (e *Error) Error() string {
	if len(e.Params) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Params[0].Param, e.Params[0].Message)
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, EINTERNAL
// when there is none, and "" for a nil err.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}
