package api

import (
	"errors"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex"
)

// Codes of the problems about the HTTP request itself rather than its
// parameters: the API's own, beside the domain's (errors.go).
const (
	eMethodNotAllowed stageindex.ErrorCode = "method_not_allowed" // 405
	eTimeout          stageindex.ErrorCode = "request_timeout"    // 408
	eTooLarge         stageindex.ErrorCode = "too_large"          // 413
	eHeaderTooLarge   stageindex.ErrorCode = "header_too_large"   // 431
	eMalformed        stageindex.ErrorCode = "malformed_request"  // 400
)

// allowGet is the Allow header of every resource: the API only reads.
const allowGet = "GET, HEAD, OPTIONS"

// statusError is the problem of an HTTP status met below the handlers
// (fasthttp's, Fiber's), with none of their text.
func statusError(status int) *stageindex.Error {
	switch status {
	case fiber.StatusNotFound:
		return stageindex.Errorf(stageindex.ENOTFOUND, "nothing at this address")
	case fiber.StatusMethodNotAllowed, fiber.StatusNotImplemented:
		return stageindex.Errorf(eMethodNotAllowed, "method not allowed")
	case fiber.StatusRequestTimeout:
		return stageindex.Errorf(eTimeout, "request timeout")
	case fiber.StatusRequestEntityTooLarge:
		return stageindex.Errorf(eTooLarge, "request too large")
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return stageindex.Errorf(eHeaderTooLarge, "request header too large")
	case fiber.StatusTooManyRequests:
		return stageindex.Errorf(stageindex.ELIMITED, "too many requests")
	case fiber.StatusServiceUnavailable:
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "unavailable")
	}
	if status >= 400 && status < 500 {
		return stageindex.Errorf(eMalformed, "malformed request")
	}
	return stageindex.Errorf(stageindex.EINTERNAL, "internal error")
}

// serverError is fasthttp's ErrorHandler: a request it could not read or
// parse gets our problem document with the status that fits, never
// fasthttp's text (which, for a parse error, quotes the raw request).
// A connection that sent nothing before its read timeout is closed
// without a word: there is no request to answer.
func (s *Server) serverError(fctx *fasthttp.RequestCtx, err error) {
	var op *net.OpError
	if errors.As(err, &op) && op.Timeout() && neverRead(fctx.Conn()) {
		s.metrics.idleClosed.Add(1)
		fctx.Conn().Close()
		return
	}
	status := fiber.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	var nerr net.Error
	switch {
	case errors.As(err, &small):
		status = fiber.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = fiber.StatusRequestEntityTooLarge
	case errors.As(err, &nerr) && nerr.Timeout(), strings.Contains(err.Error(), "timeout"):
		status = fiber.StatusRequestTimeout
	case errors.Is(err, fasthttp.ErrGetOnly):
		status = fiber.StatusMethodNotAllowed
	}
	c := s.app.AcquireCtx(fctx)
	defer s.app.ReleaseCtx(c)
	c.Locals(routeLocal, "unread")
	start := time.Now()
	s.problem(c, statusError(status))
	s.metrics.observe("other", status, time.Since(start))
}

// readTracking wraps the connections of a listener to know whether a
// client sent anything: fasthttp gives its ErrorHandler the same socket
// timeout for a connection that stayed silent and for a request whose
// body stopped coming.
type readTracking struct{ net.Listener }

func (l readTracking) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &trackedConn{Conn: c}, nil
}

// trackedConn is a connection that remembers whether it read a byte. Its
// field is named Conn so that rawConn finds the socket under it.
type trackedConn struct {
	net.Conn
	read atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.read.Load() {
		c.read.Store(true)
	}
	return n, err
}

// neverRead reports whether conn, or a connection it wraps, is a
// trackedConn that read nothing. Unknown connections (app.Test's) are
// taken to have read something: they get an answer.
func neverRead(conn net.Conn) bool {
	for range 4 {
		if tc, ok := conn.(*trackedConn); ok {
			return !tc.read.Load()
		}
		v := reflect.ValueOf(conn)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return false
		}
		f := v.FieldByName("Conn")
		if !f.IsValid() || !f.CanInterface() {
			return false
		}
		inner, ok := f.Interface().(net.Conn)
		if !ok || inner == nil {
			return false
		}
		conn = inner
	}
	return false
}

// withMethodCheck answers a method Fiber does not know (PROPFIND, BREW…)
// with a 405 problem before Fiber's router, which would send a text/plain
// 400. Written by hand: Fiber offers no hook for it.
func (s *Server) withMethodCheck(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(fctx *fasthttp.RequestCtx) {
		if knownMethod(string(fctx.Method())) != "other" {
			next(fctx)
			return
		}
		start := time.Now()
		c := s.app.AcquireCtx(fctx)
		defer s.app.ReleaseCtx(c)
		c.Set(fiber.HeaderAllow, allowGet)
		c.Locals(routeLocal, "unrouted")
		s.problem(c, statusError(fiber.StatusMethodNotAllowed))
		s.metrics.observe("other", fiber.StatusMethodNotAllowed, time.Since(start))
	}
}

// methodsNotAllowed gives every GET route a 405 (with Allow) for the
// other methods and a 204 (with Allow) for OPTIONS, so that a POST to an
// existing resource is not answered 404 by the catch-all. /api/v1 answers
// OPTIONS itself (CORS preflight).
func (s *Server) methodsNotAllowed() {
	seen := map[string]bool{}
	var paths []string
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == fiber.MethodGet && !seen[r.Path] {
			seen[r.Path] = true
			paths = append(paths, r.Path)
		}
	}
	refuse := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, allowGet)
		return statusError(fiber.StatusMethodNotAllowed)
	}
	options := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, allowGet)
		return c.SendStatus(fiber.StatusNoContent)
	}
	for _, p := range paths {
		for _, m := range fiber.DefaultMethods {
			switch m {
			case fiber.MethodGet, fiber.MethodHead:
			case fiber.MethodOptions:
				s.app.Add(m, p, options)
			default:
				s.app.Add(m, p, refuse)
			}
		}
	}
}
