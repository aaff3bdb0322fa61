package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

// Keys finds the partner a key belongs to. Lookup returns an *Error with
// code EUNAUTHORIZED (and a ParamError of code invalid_key, revoked_key or
// expired_key) for a key that grants nothing.
type Keys interface {
	Lookup(key string) (stageindex.Partner, error)
}

const partnerLocal = "stageindex.partner"

// authenticate reads Authorization: Bearer KEY. A request without the
// header is anonymous; one with a header that names no valid key is
// refused (401), never served as anonymous: a partner whose key stopped
// working must learn it, not silently lose its quota and scope.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
	if h == "" {
		return c.Next()
	}
	scheme, key, _ := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		s.metrics.authFailed(string(stageindex.CodeInvalidKey))
		return keyError(stageindex.CodeInvalidKey, "must be Bearer followed by a partner key", "scheme")
	}
	if s.opts.Keys == nil {
		s.metrics.authFailed(string(stageindex.CodeInvalidKey))
		return keyError(stageindex.CodeInvalidKey, "this server has no partner keys", "no_keys")
	}
	p, err := s.opts.Keys.Lookup(key)
	if err != nil {
		var e *stageindex.Error
		reason := string(stageindex.CodeInvalidKey)
		if asError(err, &e) && len(e.Params) > 0 {
			reason = string(e.Params[0].Code)
		}
		s.metrics.authFailed(reason)
		return err
	}
	c.Locals(partnerLocal, &p)
	s.metrics.partner(p.Name)
	return c.Next()
}

// keyError is the 401 of a key that grants nothing.
func keyError(code stageindex.ParamCode, msg, reason string) error {
	return &stageindex.Error{Code: stageindex.EUNAUTHORIZED, Message: "the partner key is not valid",
		Params: []stageindex.ParamError{{Param: "Authorization", Code: code, Message: msg, Args: map[string]any{"reason": reason}}}}
}

// partnerOf is the partner of an authenticated request, nil for anyone else.
func partnerOf(c *fiber.Ctx) *stageindex.Partner {
	p, _ := c.Locals(partnerLocal).(*stageindex.Partner)
	return p
}

// allowed is the départements the request may see: nil for all.
func allowed(c *fiber.Ctx) []string {
	if p := partnerOf(c); p != nil && p.Departments != nil {
		return p.Departments
	}
	return nil
}
