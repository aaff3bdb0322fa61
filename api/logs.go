package api

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/stageindex/stageindex"
)

// What a log line may say about a request: its method (one of the known
// ones), its route pattern (never the path: an id or a mistyped URL is the
// client's text), its status and the machine codes of what was wrong. Never
// a header, a cookie, the client's address or a parameter's value: a pupil
// types a home address in where and their name in q. q and where appear as
// a length and a kind of characters only (textShape).

// Rejections are logged at most rejectLogRate lines a second (burst as
// many); the next line written says how many were dropped since the last
// one, and /metrics counts them all.
const (
	rejectLogRate  = 10
	rejectLogBurst = 10
)

// sampledLog writes the lines of a flood at a bounded rate, counting the
// ones it drops: golang.org/x/time/rate decides, the count is ours.
type sampledLog struct {
	log     *slog.Logger
	limit   *rate.Limiter
	mu      sync.Mutex
	dropped int64 // since the last line written
	total   int64 // since start, for /metrics
}

func newSampledLog(l *slog.Logger) *sampledLog {
	return &sampledLog{log: l, limit: rate.NewLimiter(rejectLogRate, rejectLogBurst)}
}

// info writes msg with attrs unless the rate is spent, then only counts it.
func (s *sampledLog) info(msg string, attrs ...slog.Attr) {
	s.write(slog.LevelInfo, msg, attrs...)
}

func (s *sampledLog) write(level slog.Level, msg string, attrs ...slog.Attr) {
	if !s.limit.Allow() {
		s.mu.Lock()
		s.dropped++
		s.total++
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	dropped := s.dropped
	s.dropped = 0
	s.mu.Unlock()
	if dropped > 0 {
		attrs = append(attrs, slog.Int64("dropped_since_last", dropped))
	}
	s.log.LogAttrs(context.Background(), level, msg, attrs...)
}

// droppedTotal is the number of lines not written since start.
func (s *sampledLog) droppedTotal() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// knownMethod is the request's method if it is one of HTTP's, else
// "other": a client writes the method token too.
func knownMethod(m string) string {
	for _, k := range fiber.DefaultMethods {
		if m == k {
			return m
		}
	}
	return "other"
}

// routeOf is the route pattern a request matched ("/api/v1/offers/:id"),
// "unmatched" when none did.
func routeOf(c *fiber.Ctx) string {
	if r, ok := c.Locals(routeLocal).(string); ok {
		return r
	}
	if rt := c.Route(); rt != nil && rt.Path != "/" && rt.Path != "" {
		return rt.Path
	}
	if string(c.Request().URI().Path()) == "/" {
		return "/"
	}
	return "unmatched"
}

// routeLocal names, for a request that reached no route (it could not be
// parsed, its method is unknown), what the log says instead.
const routeLocal = "stageindex.route"

// requestAttrs describe a request for a log line without any of its text.
func requestAttrs(c *fiber.Ctx) []slog.Attr {
	attrs := []slog.Attr{slog.String("method", knownMethod(c.Method())), slog.String("route", routeOf(c))}
	qa := c.Context().QueryArgs()
	for _, name := range []string{"q", "where"} {
		vs := qa.PeekMulti(name)
		if len(vs) == 0 {
			continue
		}
		n, kind := textShape(string(vs[0]))
		attrs = append(attrs, slog.Int(name+"_len", n), slog.String(name+"_kind", kind))
	}
	return attrs
}

// textShape is the length of s in characters and the kind of characters
// it holds: "empty", "digits", "letters", "letters+digits" (spaces and
// punctuation between words allowed in both), "other" for anything else,
// "invalid_utf8". Enough to tell a postcode from a town name in the logs,
// not enough to read either.
func textShape(s string) (int, string) {
	if !utf8.ValidString(s) {
		return len(s), "invalid_utf8"
	}
	n := utf8.RuneCountInString(s)
	var letters, digits, other bool
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			letters = true
		case unicode.IsDigit(r):
			digits = true
		case r == ' ' || r == '-' || r == '\'' || r == '’' || r == ',' || r == '.' || r == '(' || r == ')':
		default:
			other = true
		}
	}
	switch {
	case n == 0 || strings.TrimSpace(s) == "":
		return n, "empty"
	case other:
		return n, "other"
	case letters && digits:
		return n, "letters+digits"
	case digits:
		return n, "digits"
	case letters:
		return n, "letters"
	}
	return n, "other" // punctuation only
}

// paramCodes lists an error's parameters as param:code, names we chose
// and codes of errors.go, never a message (messages quote values).
func paramCodes(e *stageindex.Error) string {
	var b strings.Builder
	for i, p := range e.Params {
		if i > 0 {
			b.WriteByte(',')
		}
		if p.Param != "" {
			b.WriteString(safeToken(p.Param))
			b.WriteByte(':')
		}
		b.WriteString(safeToken(string(p.Code)))
	}
	return b.String()
}

// safeToken keeps s if it is a short identifier, as our parameter names
// and codes are; anything else is not ours to log.
func safeToken(s string) string {
	if len(s) > 40 {
		return "?"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "?"
		}
	}
	return s
}

// redact removes from text (an error's, a panic's) every value of the
// request's query string and every header value, in case a lower layer
// quoted one: a 5xx is logged with its cause, never with the client's text.
func redact(c *fiber.Ctx, text string) string {
	var vals []string
	c.Context().QueryArgs().VisitAll(func(_, v []byte) {
		if len(v) >= 3 {
			vals = append(vals, string(v))
		}
	})
	c.Request().Header.VisitAll(func(_, v []byte) {
		if len(v) >= 3 {
			vals = append(vals, string(v))
		}
	})
	if p := string(c.Request().URI().Path()); len(p) > 1 {
		// the path's segments after the route's own, e.g. an offer id
		for _, seg := range strings.Split(p, "/") {
			if len(seg) >= 3 {
				vals = append(vals, seg)
			}
		}
	}
	for _, v := range vals {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

// logRejected writes the sampled line of a 4xx.
func (s *Server) logRejected(c *fiber.Ctx, status int, e *stageindex.Error) {
	attrs := append(requestAttrs(c), slog.Int("status", status), slog.String("code", safeToken(string(e.Code))))
	if pc := paramCodes(e); pc != "" {
		attrs = append(attrs, slog.String("params", pc))
	}
	s.rejects.info("request rejected", attrs...)
}

// logFailed writes the line of a 5xx: every one (they are ours to fix),
// the cause redacted.
func (s *Server) logFailed(c *fiber.Ctx, err error) {
	attrs := append(requestAttrs(c), slog.String("err", redact(c, err.Error())))
	s.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "request failed", attrs...)
}

// fasthttpLogger receives what fasthttp itself logs: it formats the
// client's address and, for a request it cannot parse, a piece of the raw
// request into its lines. Only the fixed part of the format is kept (no
// argument ever), at the sampled rate.
type fasthttpLogger struct{ out *sampledLog }

func (l fasthttpLogger) Printf(format string, _ ...any) {
	if strings.HasPrefix(format, "error when serving connection") {
		// The error of a request it could not read, which serverError
		// has answered and logged already.
		return
	}
	msg := format
	if i := strings.IndexByte(msg, '%'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimRight(strings.TrimSpace(msg), ":")
	l.out.write(slog.LevelWarn, "http server", slog.String("event", msg))
}
