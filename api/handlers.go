package api

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

func asError(err error, target **stageindex.Error) bool { return errors.As(err, target) }

func (s *Server) searchOffers(c *fiber.Ctx) error {
	start := time.Now()
	req, place, caller, err := parseSearch(c.Context().QueryArgs(), s.opts.Places, s.opts.Searcher)
	if err != nil {
		return err
	}
	if !s.opts.Searcher.Ready() {
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "the index is still loading")
	}
	req.Allowed = allowed(c)
	// Read before searching: an Apply racing with the search then gives
	// a newer result an older generation, never the reverse.
	gen := s.opts.Searcher.Generation()
	// A kept page is sent to whoever takes gzip (every browser does).
	var key string
	kept := s.pages != nil && c.Context().Request.Header.HasAcceptEncoding("gzip")
	if kept {
		key = pageKey(gen, start, req.Allowed, c.Context().URI().QueryString())
		if p, ok := s.pages.pages.Get(key); ok {
			took := math.Round(float64(time.Since(start).Microseconds())/10) / 100
			s.metrics.search(caller, took)
			if err := p.send(c, took); err != nil {
				return err
			}
			return s.finish(c, cacheSearch, p.etag)
		}
	}
	ctx, done := workContext(c, s.opts.SearchTimeout)
	res, err := s.opts.Searcher.Search(ctx, req)
	err = workError(ctx, err)
	done()
	if err != nil {
		return err
	}
	res.Place = place
	if place != nil && place.FromQuery {
		res.QUsed = req.Query
	}
	s.metrics.search(caller, res.TookMs)
	if err := s.sendSearchResult(c, res); err != nil {
		return err
	}
	body := c.Response().Body()
	etag := s.etag(body, gen, tookSpan(body))
	if kept {
		if p, ok := s.pages.make(body, etag); ok {
			s.pages.pages.Put(key, p)
			if err := p.send(c, res.TookMs); err != nil {
				return err
			}
		}
	}
	return s.finish(c, cacheSearch, etag)
}

func (s *Server) getOffer(c *fiber.Ctx) error {
	// The router matches the raw path, so that an id with an escaped
	// slash (%2F) stays one segment; the id is its decoded text.
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil || !utf8.ValidString(id) || len(id) > 200 {
		return &stageindex.Error{Code: stageindex.EINVALID, Message: "invalid id",
			Params: []stageindex.ParamError{{Param: "id", Code: stageindex.CodeInvalidID, Message: "must be a valid offer id"}}}
	}
	if !s.opts.Searcher.Ready() {
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "the index is still loading")
	}
	gen := s.opts.Searcher.Generation()
	o, ok := s.opts.Searcher.GetIn(id, allowed(c))
	// An offer published later is indexed already (it appears on time
	// without a write) but does not exist yet for anyone.
	if !ok || o.PublishedAt != nil && o.PublishedAt.After(time.Now()) {
		return stageindex.Errorf(stageindex.ENOTFOUND, "no offer has this id")
	}
	if err := c.JSON(o); err != nil {
		return err
	}
	return s.conditional(c, cacheOffer, gen, nil)
}

// shortQuery reads the q parameter of the autocompletion endpoints.
func shortQuery(c *fiber.Ctx) (string, int, error) {
	var pe paramErrors
	a := args{c.Context().QueryArgs(), &pe}
	q, _ := a.one("q")
	limit := a.int("limit", 10, 1, 50)
	switch n := utf8.RuneCountInString(q); {
	case n > 100:
		pe.add("q", stageindex.CodeTooLong, "is too long (100 characters at most)").With("max", 100)
	case n < 2 && len(pe) == 0:
		pe.add("q", stageindex.CodeTooShort, "needs at least 2 characters").With("min", 2)
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, q), limit, pe.err()
}

func (s *Server) places(c *fiber.Ctx) error {
	q, limit, err := shortQuery(c)
	if err != nil {
		return err
	}
	places := s.opts.Places.Autocomplete(q, limit)
	if places == nil {
		places = []stageindex.Place{}
	}
	if err := c.JSON(fiber.Map{"places": places}); err != nil {
		return err
	}
	// Places come from the gazetteer in the binary, not from the index.
	return s.conditional(c, cachePlaces, 0, nil)
}

func (s *Server) suggest(c *fiber.Ctx) error {
	q, limit, err := shortQuery(c)
	if err != nil {
		return err
	}
	gen := s.opts.Searcher.Generation()
	out := s.opts.Searcher.SuggestIn(q, limit, allowed(c))
	if out == nil {
		out = []stageindex.Suggestion{}
	}
	if err := c.JSON(fiber.Map{"suggestions": out}); err != nil {
		return err
	}
	return s.conditional(c, cacheSuggest, gen, nil)
}

func (s *Server) stats(c *fiber.Ctx) error {
	gen := s.opts.Searcher.Generation()
	st, err := s.opts.Searcher.StatsIn(allowed(c))
	if err != nil {
		return err
	}
	if err := c.JSON(st); err != nil {
		return err
	}
	return s.conditional(c, cacheStats, gen, nil)
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ready := s.opts.Searcher.Ready()
	body := fiber.Map{}
	if s.opts.Status != nil {
		st := s.opts.Status()
		// A reopened index serves stale offers until its first poll: a
		// load balancer should wait for it (the searches are answered).
		ready = ready && !st.CatchingUp
		body["sync"] = st
	}
	body["ready"] = ready
	if !ready {
		c.Status(fiber.StatusServiceUnavailable)
	}
	return c.JSON(body)
}
