// Package web serves the public search page (GET /), the partner widget
// (/widget.js) and the page it frames (/embed), from assets embedded in the
// binary: plain HTML, CSS and JavaScript with no build step, no framework and
// nothing fetched from a third party, so the service works offline and tells
// no one else what a pupil searches.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

//go:embed static page.html
var files embed.FS

// csp is the policy of both pages: everything from this origin only, no
// inline script or style, so that nothing an offer says can run.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// asset is one static file, ready to send.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// site holds the rendered pages and the static assets.
type site struct {
	page, embed []byte
	static      map[string]asset
}

// Mount registers GET /, /embed, /widget.js and /static/* on app. It panics
// only if the embedded assets are broken, which a test catches at build
// time: they are part of the binary, not input.
func Mount(app *fiber.App) {
	s, err := load()
	if err != nil {
		panic(fmt.Sprintf("web: %v", err))
	}
	app.Get("/", s.servePage(s.page, "frame-ancestors 'none'"))
	// /embed is meant to be framed by any partner site; it is the only page
	// that may be.
	app.Get("/embed", s.servePage(s.embed, "frame-ancestors *"))
	app.Get("/widget.js", s.serveWidget)
	app.Get("/static/:name", s.serveStatic)
}

func load() (*site, error) {
	s := &site{static: map[string]asset{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.static[path.Base(p)] = asset{body: b, ctype: ctype, etag: hex.EncodeToString(sum[:8])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	tmpl, err := template.ParseFS(files, "page.html")
	if err != nil {
		return nil, fmt.Errorf("parse page: %w", err)
	}
	// Asset URLs carry a content hash, so browsers may keep them long and
	// still see a new version at once after a deploy.
	version := func(name string) string {
		return "/static/" + name + "?v=" + s.static[name].etag
	}
	for _, v := range []struct {
		embed bool
		out   *[]byte
	}{{false, &s.page}, {true, &s.embed}} {
		var buf bytes.Buffer
		data := map[string]any{"Embed": v.embed, "CSS": version("app.css"), "JS": version("app.js")}
		if err := tmpl.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("render page: %w", err)
		}
		*v.out = buf.Bytes()
	}
	return s, nil
}

func (s *site) servePage(body []byte, frameAncestors string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", csp+"; "+frameAncestors)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("Cache-Control", "no-cache")
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
		return c.Send(body)
	}
}

func (s *site) serveStatic(c *fiber.Ctx) error {
	a, ok := s.static[c.Params("name")]
	if !ok {
		return c.Next() // the API's 404 problem
	}
	if c.Query("v") == a.etag {
		c.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Set("Cache-Control", "public, max-age=300")
	}
	return sendAsset(c, a)
}

// serveWidget sends the loader that partner sites include from their own
// pages: it must be readable cross-origin, and it changes without its URL
// changing, so it is cached briefly.
func (s *site) serveWidget(c *fiber.Ctx) error {
	c.Set("Cache-Control", "public, max-age=3600")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	c.Set("Access-Control-Allow-Origin", "*")
	return sendAsset(c, s.static["widget.js"])
}

func sendAsset(c *fiber.Ctx, a asset) error {
	etag := `"` + a.etag + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set("X-Content-Type-Options", "nosniff")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	return c.Send(a.body)
}
