// Package api serves stageindex over HTTP: the public JSON API, health and
// metrics endpoints. It talks to the search core and the gazetteer through
// interfaces, maps domain error codes to HTTP statuses, and is the only
// place that logs request errors.
package api

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

// Searcher answers questions about the current index: searches, offers by
// id, suggestions and public counts. Ready is false until an index is
// loaded; the others then fail with EUNAVAILABLE or answer nothing.
//
// allowed, in the methods that take it, is the départements a partner key
// may see (nil: all); a search carries it as SearchRequest.Allowed.
type Searcher interface {
	Search(ctx context.Context, req stageindex.SearchRequest) (*stageindex.SearchResult, error)
	// Each calls fn with every offer matching req, without paging.
	Each(ctx context.Context, req stageindex.SearchRequest, fn func(stageindex.Offer) error) error
	GetIn(id string, allowed []string) (stageindex.Offer, bool)
	SuggestIn(q string, limit int, allowed []string) []stageindex.Suggestion
	StatsIn(allowed []string) (stageindex.Stats, error)
	// KnownKeyword tells whether a word or phrase of q is better read as a
	// keyword (a job, a field, a frequent title word) than as a place.
	KnownKeyword(word string) bool
	// Generation changes whenever the index does, for ETags.
	Generation() uint64
	Ready() bool
}

// Places resolves and autocompletes French places: communes, départements,
// régions, the country.
type Places interface {
	Resolve(where string) (stageindex.Place, error)
	Autocomplete(q string, limit int) []stageindex.Place
	// PlaceInQuery finds a place typed at the end or start of the keywords
	// q, unless isKeyword reads it as a keyword, and returns q without it.
	PlaceInQuery(q string, isKeyword func(word string) bool) (rest string, p stageindex.Place, ok bool)
	// CommuneCodes returns the INSEE codes making up a commune: its own,
	// plus its arrondissements for Paris, Lyon and Marseille.
	CommuneCodes(insee string) []string
}

// Options wires a Server. Searcher and Places are required.
type Options struct {
	Searcher Searcher
	Places   Places
	Logger   *slog.Logger
	// Status, when set, adds the sync state to /readyz and /metrics.
	Status func() Status
	// Static, when set, mounts the search page and the widget.
	Static func(app *fiber.App)
	// Limits are the per-client limits; the zero value takes the defaults.
	Limits Limits
	// Keys, when set, accepts partner keys (Authorization: Bearer).
	Keys Keys
	// DrainTimeout bounds how long a shutdown waits for the requests in
	// flight (DefaultDrainTimeout when zero).
	DrainTimeout time.Duration
	// MetricsApart leaves /metrics out of the public app: MetricsApp
	// serves it, on a listener of its own.
	MetricsApart bool
	// SearchTimeout bounds one search (DefaultSearchTimeout when zero;
	// negative: none). A search also stops when its client leaves.
	SearchTimeout time.Duration
}

// Status is the sync state reported by /readyz and /metrics.
type Status struct {
	Mode           string    `json:"mode"` // "demo" or "database"
	Offers         int       `json:"offers"`
	Connected      bool      `json:"connected"`
	LastSync       time.Time `json:"last_sync,omitzero"`
	LagSeconds     float64   `json:"lag_seconds"`
	ChangesApplied int64     `json:"changes_applied"`
	LastError      string    `json:"last_error,omitempty"`
	RebuildSeconds float64   `json:"rebuild_seconds,omitempty"`
	// Source is what the index is synced from: "offers" (stageindex's
	// table) or a platform's view, schema.view.
	Source string `json:"source,omitempty"`
	// InvalidRows is the number of rows of a view source left out, when
	// last read, for breaking the offer rules; RowsSkipped counts them
	// since start (each version of a row once).
	InvalidRows int   `json:"invalid_rows"`
	RowsSkipped int64 `json:"rows_skipped_total"`
	// CatchingUp is set while an index reopened from disk has not caught
	// up with a database that answers: /readyz is 503 meanwhile.
	CatchingUp bool `json:"catching_up,omitempty"`
}

// DefaultDrainTimeout is how long a shutdown lets requests in flight
// finish: a search is bounded by its timeout (1 s), an export streams for
// a few seconds at most at 100k offers.
const DefaultDrainTimeout = 10 * time.Second

// Server is the HTTP front of stageindex.
type Server struct {
	opts    Options
	app     *fiber.App
	metrics *metrics
	// rejects writes the lines of refused requests at a bounded rate.
	rejects *sampledLog
	// bufs recycles search response buffers (*[]byte) between requests.
	bufs sync.Pool
	// limiter is nil when rate limits are off (Limits.Rate < 0).
	limiter *limiter
	// exports holds a token per running export (Limits.MaxExports).
	exports chan struct{}
	seed    maphash.Seed // of ETag hashes
	// pages keeps recent search answers compressed (pages.go); nil
	// sends every answer afresh (BenchmarkServeSearch/fresh).
	pages *pageCache
}

// New builds the server and its routes.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	if opts.SearchTimeout == 0 {
		opts.SearchTimeout = DefaultSearchTimeout
	}
	s := &Server{opts: opts, metrics: newMetrics(), seed: maphash.MakeSeed(), rejects: newSampledLog(opts.Logger),
		exports: make(chan struct{}, opts.Limits.MaxExports)}
	if opts.Limits.Rate > 0 {
		s.limiter = newLimiter(opts.Limits)
	}
	s.pages = newPageCache(pagesBudget)
	s.bufs.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	s.app = fiber.New(fiber.Config{
		// Request buffers are reused by fasthttp; strings that outlive a
		// handler (cache keys, logs) must not alias them.
		Immutable:             true,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          10 * time.Second,
		IdleTimeout:           60 * time.Second,
		ReadBufferSize:        16 << 10,
		// A compressed search page (3–6 KB) and most plain ones leave in
		// one write instead of two or more through fasthttp's default 4 KB:
		// a replica killed by kill -9 then sends an answer whole or not at
		// all, and the load balancer retries the nothing (the replicas
		// bench lost one request of 61,870, cut after its headers).
		WriteBufferSize: 16 << 10,
	})
	if opts.Limits.MaxConnsPerIP > 0 {
		// fasthttp refuses the connection beyond the cap (with a 429).
		s.app.Server().MaxConnsPerIP = opts.Limits.MaxConnsPerIP
	}
	s.app.Use(s.recoverAndMeasure, s.compress())
	// Health and metrics come before the limits: a probe is never refused.
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Get("/readyz", s.readyz)
	if !opts.MetricsApart {
		s.app.Get("/metrics", s.serveMetrics)
	}
	v1 := s.app.Group("/api/v1", cors, s.authenticate, s.rateLimit)
	v1.Get("/offers/export", s.exportOffers)
	v1.Get("/stats/export", s.exportStats)
	v1.Get("/offers", s.searchOffers)
	v1.Get("/offers/:id", s.getOffer)
	v1.Get("/places", s.places)
	v1.Get("/suggest", s.suggest)
	v1.Get("/stats", s.stats)
	v1.Get("/openapi.json", s.openAPI)
	if opts.Static != nil {
		opts.Static(s.app)
	}
	s.methodsNotAllowed()
	s.app.Use(func(c *fiber.Ctx) error {
		return stageindex.Errorf(stageindex.ENOTFOUND, "nothing at this address")
	})
	srv := s.app.Server()
	// What fasthttp answers and logs by itself: our problems, and lines
	// without the request's text or the client's address (logs.go).
	srv.ErrorHandler = s.serverError
	srv.Logger = fasthttpLogger{newSampledLog(opts.Logger)}
	srv.SecureErrorLogMessage = true
	// During a shutdown, answers say Connection: close, so that clients do
	// not send another request on a connection about to close.
	srv.CloseOnShutdown = true
	srv.Handler = s.withMethodCheck(s.app.Handler())
	return s
}

// MetricsApp is an app serving /metrics alone, for a listener apart
// from the public one (Options.MetricsApart).
func (s *Server) MetricsApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			var fe *fiber.Error
			if errors.As(err, &fe) {
				return c.Status(fe.Code).SendString(http.StatusText(fe.Code))
			}
			return c.Status(fiber.StatusInternalServerError).SendString("internal error")
		}})
	app.Server().Logger = fasthttpLogger{newSampledLog(s.opts.Logger)}
	app.Server().SecureErrorLogMessage = true
	app.Get("/metrics", s.serveMetrics)
	return app
}

// App exposes the Fiber app, for tests (app.Test) and for Listen.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until ctx ends, then shuts down gracefully.
func (s *Server) Listen(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln, already bound (so that a caller can say "listening"
// only once connections are accepted), until ctx ends, then shuts down
// gracefully: it stops accepting, lets the requests in flight finish
// (answered with Connection: close) for up to Options.DrainTimeout, and
// returns nil; requests still running then are cut, and logged. It
// closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveApp(ctx, s.app, readTracking{ln}, s.opts.DrainTimeout, s.opts.Logger)
}

// ServeMetrics serves MetricsApp on ln like Serve.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	return serveApp(ctx, s.MetricsApp(), ln, s.opts.DrainTimeout, s.opts.Logger)
}

func serveApp(ctx context.Context, app *fiber.App, ln net.Listener, drain time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	start := time.Now()
	err := app.ShutdownWithTimeout(drain)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown: requests still running after the drain time are cut",
			"connections", app.Server().GetOpenConnectionsCount(), "drain_seconds", drain.Seconds())
		return nil
	}
	if err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	log.Info("requests drained", "seconds", time.Since(start).Seconds())
	return nil
}

func cors(c *fiber.Ctx) error {
	c.Set("Access-Control-Allow-Origin", "*")
	c.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	c.Set("Access-Control-Allow-Headers", "Authorization, If-None-Match")
	c.Set("Access-Control-Expose-Headers", "ETag, Retry-After, RateLimit, RateLimit-Policy")
	if c.Method() == fiber.MethodOptions {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Next()
}

// recoverAndMeasure turns a panic into a logged 500 problem rather than a
// dropped connection, and records request metrics.
func (s *Server) recoverAndMeasure(c *fiber.Ctx) (err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("panic serving request", "method", knownMethod(c.Method()), "route", routeOf(c),
				"panic", redact(c, fmt.Sprint(r)))
			err = s.problem(c, stageindex.Errorf(stageindex.EINTERNAL, "internal error"))
		}
		route := "other"
		if rt := c.Route(); rt != nil && rt.Path != "/" {
			route = rt.Path
		}
		s.metrics.observe(route, c.Response().StatusCode(), time.Since(start))
	}()
	if err := c.Next(); err != nil {
		return s.errorHandler(c, err)
	}
	return nil
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		// Fiber's own errors: only their status is kept, never their
		// message (it may quote the request).
		err = statusError(fe.Code)
	}
	return s.problem(c, err)
}

// problem writes err as an RFC 9457 problem document.
func (s *Server) problem(c *fiber.Ctx, err error) error {
	if errors.Is(err, errClientGone) {
		// Nobody to answer: recorded in the metrics, not logged.
		c.Status(statusClientGone)
		return nil
	}
	var e *stageindex.Error
	if !errors.As(err, &e) {
		e = &stageindex.Error{Code: stageindex.EINTERNAL, Message: "internal error"}
	}
	status := fiber.StatusInternalServerError
	switch e.Code {
	case stageindex.EINVALID, eMalformed:
		status = fiber.StatusBadRequest
	case stageindex.ENOTFOUND:
		status = fiber.StatusNotFound
	case stageindex.EUNAVAILABLE:
		status = fiber.StatusServiceUnavailable
		c.Set("Retry-After", "5")
	case stageindex.EUNAUTHORIZED:
		status = fiber.StatusUnauthorized
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="stageindex", error="invalid_token"`)
	case stageindex.ELIMITED:
		status = fiber.StatusTooManyRequests
	case eMethodNotAllowed:
		status = fiber.StatusMethodNotAllowed
		if len(c.Response().Header.Peek(fiber.HeaderAllow)) == 0 {
			c.Set(fiber.HeaderAllow, allowGet)
		}
	case eTimeout:
		status = fiber.StatusRequestTimeout
	case eTooLarge:
		status = fiber.StatusRequestEntityTooLarge
	case eHeaderTooLarge:
		status = fiber.StatusRequestHeaderFieldsTooLarge
	}
	l := langOf(c)
	title, detail := problemText(e, l)
	c.Set(fiber.HeaderContentLanguage, [...]string{"fr", "en"}[l])
	c.Set(fiber.HeaderVary, "Accept-Language")
	// An error is about this request at this time: never cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().Header.Del(fiber.HeaderETag)
	switch {
	case status >= 500:
		s.logFailed(c, err)
	case e.Code == stageindex.ELIMITED:
		// Counted in /metrics, not logged one by one: an abusive client
		// would flood the logs.
	default:
		s.logRejected(c, status, e)
	}
	body := fiber.Map{
		"type":   "https://stageindex.fr/problems/" + strings.ReplaceAll(string(e.Code), "_", "-"),
		"title":  title,
		"status": status,
		"detail": detail,
	}
	if len(e.Params) > 0 {
		body["errors"] = localize(c, e.Params, l)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.JSON(body, "application/problem+json")
}
