package api

import (
	"bytes"
	"hash/maphash"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Cache lifetimes per endpoint: search results follow the sync (a few
// seconds behind the database) and a minute is the staleness a pupil never
// notices; an offer, the counts and the suggestions change more slowly;
// places come with the binary.
const (
	cacheSearch  = "max-age=60"
	cacheOffer   = "max-age=300"
	cacheStats   = "max-age=300"
	cacheSuggest = "max-age=300"
	cachePlaces  = "max-age=86400"
	cacheDoc     = "max-age=3600"
)

// conditional finishes a 200 response whose body is set: it adds an ETag
// made of the index generation and a hash of the body (skip, when not nil,
// is a span of the body left out of the hash: took_ms), Cache-Control
// (private for a partner key's answers, which depend on the key) and Vary,
// and turns the answer into 304 Not Modified when If-None-Match holds
// that ETag.
//
// Written by hand: Fiber's etag middleware hashes the whole body, which
// carries took_ms, and leaves a handler's own ETag unchecked against
// If-None-Match.
func (s *Server) conditional(c *fiber.Ctx, maxAge string, gen uint64, skip []int) error {
	return s.finish(c, maxAge, s.etag(c.Response().Body(), gen, skip))
}

// etag is the ETag of body (see conditional).
func (s *Server) etag(body []byte, gen uint64, skip []int) []byte {
	var h maphash.Hash
	h.SetSeed(s.seed)
	if skip != nil {
		h.Write(body[:skip[0]])
		h.Write(body[skip[1]:])
	} else {
		h.Write(body)
	}
	etag := make([]byte, 0, 40)
	etag = append(etag, `W/"`...)
	etag = strconv.AppendUint(etag, gen, 36)
	etag = append(etag, '-')
	etag = strconv.AppendUint(etag, h.Sum64(), 36)
	etag = append(etag, '"')
	return etag
}

// finish is conditional with the answer's ETag made already.
func (s *Server) finish(c *fiber.Ctx, maxAge string, etag []byte) error {
	c.Response().Header.SetBytesV(fiber.HeaderETag, etag)
	scope := "public, "
	if partnerOf(c) != nil {
		scope = "private, "
	}
	c.Set(fiber.HeaderCacheControl, scope+maxAge)
	c.Set(fiber.HeaderVary, "Accept-Encoding, Authorization")
	if inm := c.Request().Header.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 && etagMatch(inm, etag) {
		c.Context().ResetBody()
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		c.Status(fiber.StatusNotModified)
	}
	return nil
}

// etagMatch is If-None-Match's weak comparison (RFC 9110 §13.1.2): any of
// the listed tags, W/ or not, or *.
func etagMatch(header, etag []byte) bool {
	opaque := bytes.TrimPrefix(etag, []byte("W/"))
	for _, t := range bytes.Split(header, []byte(",")) {
		t = bytes.TrimSpace(t)
		if bytes.Equal(t, []byte("*")) || bytes.Equal(bytes.TrimPrefix(t, []byte("W/")), opaque) {
			return true
		}
	}
	return false
}

// tookSpan finds the took_ms member of an encoded search result, near its
// start, so that the ETag does not change with the time a search took.
func tookSpan(body []byte) []int {
	i := bytes.Index(body[:min(len(body), 128)], []byte(`,"took_ms":`))
	if i < 0 {
		return nil
	}
	j := bytes.IndexByte(body[i+1:], ',')
	if j < 0 {
		return nil
	}
	return []int{i, i + 1 + j}
}

// minCompress is the smallest body worth compressing: below a kilobyte
// the saving is a few hundred bytes and a packet at most.
const minCompress = 1 << 10

// compress compresses responses with brotli or gzip, by Accept-Encoding,
// at the fastest levels (docs/api.md has the measure), when the body is
// at least minCompress bytes or streamed. It is Fiber's compress
// middleware (fasthttp's CompressHandlerBrotliLevel, called after the
// handler) with the size threshold Fiber's lacks: fasthttp compresses
// from 200 bytes.
func (s *Server) compress() fiber.Handler {
	compressor := fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
		fasthttp.CompressBrotliBestSpeed, fasthttp.CompressBestSpeed)
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			if err = s.errorHandler(c, err); err != nil {
				return err
			}
		}
		resp := c.Response()
		// A kept search page (pages.go) is gzip-encoded already.
		if len(resp.Header.ContentEncoding()) == 0 && (resp.IsBodyStream() || len(resp.Body()) >= minCompress) &&
			!precompressed(resp.Header.ContentType()) {
			compressor(c.Context())
		}
		return nil
	}
}

// precompressed reports the types compressing again would only slow down.
func precompressed(ctype []byte) bool {
	for _, p := range []string{"application/vnd.openxmlformats", "application/zip", "application/gzip", "image/png", "image/jpeg"} {
		if bytes.HasPrefix(ctype, []byte(p)) {
			return true
		}
	}
	return false
}
