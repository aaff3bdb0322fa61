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
)

// ParamError is one bad request parameter. Candidates lists close places
// when the parameter named a place that is unknown or ambiguous.
type ParamError struct {
	Param      string  `json:"param"`
	Message    string  `json:"message"`
	Candidates []Place `json:"candidates,omitempty"`
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
