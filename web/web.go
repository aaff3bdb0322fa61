// Package web serves the public pages of stageindex from assets embedded in
// the binary: the search page (GET /), the page partner sites frame
// (/embed) and its loader (/widget.js), an offer's page (/offres/{id}), the
// public statistics (/statistiques) and the legal pages. Plain HTML, CSS and
// JavaScript with no build step and no framework; Leaflet (npm, copied into
// static/ by tools/webassets) draws the map. Nothing is fetched from a third
// party but the map tiles, from --tiles-url, so that no one else learns what
// a pupil searches.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex"
)

//go:embed static templates france.json
var files embed.FS

// DefaultTilesURL is the IGN Géoplateforme's "Plan IGN" WMTS (Licence
// Ouverte Etalab 2.0), the French public map service, as a Leaflet URL
// template.
const DefaultTilesURL = "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" +
	"&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png" +
	"&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"

// DefaultTilesAttribution credits DefaultTilesURL's tiles.
const DefaultTilesAttribution = "Plan IGN © IGN – Géoplateforme"

// Searcher is what the server-rendered pages read: an offer by id for its
// page (GetIn with nil: the public pages see every département), a
// search's facets for the statistics. *search.Live, and any api.Searcher,
// is one.
type Searcher interface {
	Search(ctx context.Context, req stageindex.SearchRequest) (*stageindex.SearchResult, error)
	GetIn(id string, allowed []string) (stageindex.Offer, bool)
	Ready() bool
}

// Options configures the pages.
type Options struct {
	// Searcher answers /offres/{id} and /statistiques; nil serves them as
	// "not ready" (503), which only tests of the static pages want.
	Searcher Searcher
	// TilesURL is the Leaflet URL template ({z}, {x}, {y}) of the map's
	// tiles, http or https; "" draws the markers on a plain background.
	// The pages' Content-Security-Policy allows its origin, and only it.
	TilesURL string
	// TilesAttribution is shown on the map when there are tiles.
	TilesAttribution string
	// BrotliAfter, when set, delays the brotli forms of the assets (a
	// second of one core) until it is closed: serve closes it once its
	// index is loaded, so that a restart's reopen does not share the
	// cores with them. Until then the gzip forms are sent.
	BrotliAfter <-chan struct{}
}

// asset is one static file, ready to send, with its compressed forms:
// gzip at once, brotli at its best level (11: Leaflet shrinks to 37 KB
// from gzip's 42, and that keeps the map page within 60 KB) computed in
// the background, as it takes a second. They are sent as they are; the
// API's compression leaves an encoded body alone.
type asset struct {
	body  []byte
	ctype string
	etag  string
	gz    []byte
	br    *atomic.Pointer[[]byte]
}

// compressible reports the types worth compressing.
func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.HasPrefix(ctype, "image/svg") || strings.Contains(ctype, "json")
}

func newAsset(body []byte, ctype string) asset {
	sum := sha256.Sum256(body)
	a := asset{body: body, ctype: ctype, etag: hex.EncodeToString(sum[:8]), br: new(atomic.Pointer[[]byte])}
	if compressible(ctype) && len(body) >= 1<<10 {
		a.gz = fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressBestCompression)
	}
	return a
}

// compressBrotli fills in the brotli forms of assets, one after the other.
func compressBrotli(assets []asset) {
	for _, a := range assets {
		if a.gz != nil {
			b := fasthttp.AppendBrotliBytesLevel(nil, a.body, fasthttp.CompressBrotliBestCompression)
			a.br.Store(&b)
		}
	}
}

// Site holds the rendered static pages, the templates of the dynamic ones
// and the static assets.
type Site struct {
	opts      Options
	csp       string // without frame-ancestors
	page      asset
	embed     asset
	static    map[string]asset
	templates map[string]*template.Template
	france    franceMap
}

// New checks opts and renders what can be rendered once.
func New(opts Options) (*Site, error) {
	s := &Site{opts: opts, static: map[string]asset{}, templates: map[string]*template.Template{}}
	imgSrc := "'self' data:"
	if opts.TilesURL != "" {
		origin, err := tilesOrigin(opts.TilesURL)
		if err != nil {
			return nil, err
		}
		imgSrc += " " + origin
	}
	// Everything from this origin but the tiles; no inline script or
	// style, so that nothing an offer says can run.
	s.csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + imgSrc + "; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	all := []asset{s.page, s.embed}
	for _, a := range s.static {
		all = append(all, a)
	}
	go func() {
		if opts.BrotliAfter != nil {
			<-opts.BrotliAfter
		}
		compressBrotli(all)
	}()
	return s, nil
}

// tilesOrigin checks a tiles URL template and returns its origin, the one
// host the pages' policy lets images come from.
func tilesOrigin(tmpl string) (string, error) {
	if strings.Contains(tmpl, "{s}") {
		return "", fmt.Errorf("web: tiles URL %q: subdomains ({s}) are not supported, the policy names one host", tmpl)
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(tmpl))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("web: tiles URL %q is not an http(s) URL", tmpl)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(tmpl, p) {
			return "", fmt.Errorf("web: tiles URL %q lacks %s", tmpl, p)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// Mount registers the pages and assets on app. It is api.Options.Static.
func (s *Site) Mount(app *fiber.App) {
	app.Get("/", s.servePage(s.page, "frame-ancestors 'none'"))
	// /embed is meant to be framed by any partner site; it is the only page
	// that may be.
	app.Get("/embed", s.servePage(s.embed, "frame-ancestors *"))
	app.Get("/widget.js", s.serveWidget)
	app.Get("/static/:name", s.serveStatic)
	app.Get("/favicon.ico", func(c *fiber.Ctx) error {
		c.Set("Cache-Control", "public, max-age=86400")
		return sendAsset(c, s.static["favicon.svg"])
	})
	app.Get("/offres/:id", s.serveOffer)
	app.Get("/statistiques", s.serveStats)
	app.Get("/widget-demo", s.serveWidgetDemo)
	for _, p := range infoPages {
		app.Get(p.path, s.serveInfo(p))
	}
}

// pageData is what every template's layout reads.
type pageData struct {
	Title, Description string
	Embed              bool
	BodyClass          string
	Nav                string // the footer link of the current page
	// Asset URLs with their version.
	CSS, JS, StatsJS      string
	OfferJS               string
	LeafletJS, LeafletCSS string
	MapJS                 string
	Tiles, TilesAttr      string
	Main                  any
}

func (s *Site) load() error {
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.static[path.Base(p)] = newAsset(b, ctype)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load assets: %w", err)
	}
	if s.france, err = loadFrance(); err != nil {
		return err
	}
	funcs := template.FuncMap{"weekLabel": weekLabel, "trackLabel": trackLabel, "paragraphs": paragraphs,
		"deptName": s.france.name, "thousands": thousands}
	for _, name := range []string{"search", "offer", "stats", "info", "notfound", "widget-demo"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		s.templates[name] = t
	}
	for _, v := range []struct {
		embed bool
		out   *asset
	}{{false, &s.page}, {true, &s.embed}} {
		d := s.data("Trouver un stage de 3e près de chez toi",
			"Cherche un stage d'observation de 3e par métier, par commune et par semaine.", nil)
		d.Embed = v.embed
		d.BodyClass = "search"
		d.LeafletJS, d.LeafletCSS, d.MapJS = s.version("leaflet.js"), s.version("leaflet.css"), s.version("map.js")
		d.Tiles, d.TilesAttr = s.opts.TilesURL, s.opts.TilesAttribution
		b, err := s.render("search", d)
		if err != nil {
			return err
		}
		*v.out = newAsset(b, "text/html; charset=utf-8")
	}
	return nil
}

// version is an asset's URL with a content hash, so that browsers may keep
// it for good and still see a new version at once after a deploy.
func (s *Site) version(name string) string {
	return "/static/" + name + "?v=" + s.static[name].etag
}

func (s *Site) data(title, desc string, main any) pageData {
	return pageData{Title: title, Description: desc, CSS: s.version("app.css"), JS: s.version("app.js"),
		Main: main}
}

func (s *Site) render(name string, d pageData) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.templates[name].Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// headers sets the security headers of every HTML page.
func (s *Site) headers(c *fiber.Ctx, frameAncestors string) {
	c.Set("Content-Security-Policy", s.csp+"; "+frameAncestors)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
}

func (s *Site) servePage(a asset, frameAncestors string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s.headers(c, frameAncestors)
		c.Set("Cache-Control", "no-cache")
		return sendBody(c, a)
	}
}

// sendHTML renders a dynamic page with status.
func (s *Site) sendHTML(c *fiber.Ctx, status int, name string, d pageData, cache string) error {
	b, err := s.render(name, d)
	if err != nil {
		return err // a broken template: the API's 500 problem, logged there
	}
	s.headers(c, "frame-ancestors 'none'")
	c.Set("Cache-Control", cache)
	return c.Status(status).Send(b)
}

func (s *Site) serveStatic(c *fiber.Ctx) error {
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
func (s *Site) serveWidget(c *fiber.Ctx) error {
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
	return sendBody(c, a)
}

// sendBody sends a's body in the best encoding the client accepts.
func sendBody(c *fiber.Ctx, a asset) error {
	if a.gz == nil {
		return c.Send(a.body)
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	ae := c.Get(fiber.HeaderAcceptEncoding)
	if br := a.br.Load(); br != nil && acceptsEncoding(ae, "br") {
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(*br)
	}
	if acceptsEncoding(ae, "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.body)
}

// acceptsEncoding reports whether an Accept-Encoding header allows enc
// (not refused with q=0).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), enc) {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
