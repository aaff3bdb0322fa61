package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

// infoPage is a page of plain text: legal notice, privacy, accessibility.
type infoPage struct{ path, nav, title, desc string }

var infoPages = []infoPage{
	{"/mentions-legales", "legal", "Mentions légales", "Éditeur, hébergement et licences des données du service de stages de 3e."},
	{"/confidentialite", "privacy", "Confidentialité", "Ce que le service enregistre : rien qui identifie un élève."},
	{"/accessibilite", "a11y", "Déclaration d'accessibilité", "État de conformité au RGAA du service de stages de 3e."},
}

func (s *Site) serveInfo(p infoPage) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d := s.data(p.title+" · Stage de 3e", p.desc, nil)
		d.Nav = p.nav
		return s.sendHTML(c, fiber.StatusOK, "info", d, "public, max-age=3600")
	}
}

// serveWidgetDemo shows partners what to paste, with this server's
// address in it, and the widget running.
func (s *Site) serveWidgetDemo(c *fiber.Ctx) error {
	snippet := `<script src="` + c.BaseURL() + `/widget.js" data-department="22" data-track="segpa"
        data-caller="monsite" data-max-height="900" async></script>`
	d := s.data("Le widget pour les sites partenaires · Stage de 3e",
		"Montrer les offres de stage de 3e de son territoire sur son site : le code à coller.", map[string]string{"Snippet": snippet})
	d.Nav = "widget"
	return s.sendHTML(c, fiber.StatusOK, "widget-demo", d, "no-cache")
}

// problemPage answers a page that cannot be shown: an unknown offer, an
// index still loading.
func (s *Site) problemPage(c *fiber.Ctx, status int, heading, text string) error {
	d := s.data(heading+" · Stage de 3e", text, map[string]string{"Heading": heading, "Text": text})
	if status == fiber.StatusServiceUnavailable {
		c.Set("Retry-After", "5")
	}
	return s.sendHTML(c, status, "notfound", d, "no-store")
}

// offerView is an offer as its page shows it.
type offerView struct {
	Offer  stageindex.Offer
	Title  string
	Place  string
	Weeks  []string
	Tracks []string
	Apply  string
}

// serveOffer renders /offres/{id}: a page of its own, with a title and a
// description that a shared link previews, readable without JavaScript.
func (s *Site) serveOffer(c *fiber.Ctx) error {
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil || !utf8.ValidString(id) || len(id) > 200 {
		return s.problemPage(c, fiber.StatusNotFound, "Offre introuvable", "Cette adresse ne correspond à aucune offre.")
	}
	if s.opts.Searcher == nil || !s.opts.Searcher.Ready() {
		return s.problemPage(c, fiber.StatusServiceUnavailable, "Le service démarre", "Réessaie dans quelques secondes.")
	}
	o, ok := s.opts.Searcher.GetIn(id, nil)
	// Published later: indexed already, but not to be read before its time.
	if !ok || o.PublishedAt != nil && o.PublishedAt.After(time.Now()) {
		return s.problemPage(c, fiber.StatusNotFound, "Offre introuvable",
			"Cette offre n'existe pas ou n'est plus en ligne : l'employeur l'a peut-être retirée.")
	}
	v := offerView{Offer: o, Title: CleanTitle(o.Title, o.Sector, o.EmployerName), Apply: safeURL(o.URL)}
	v.Place = o.City
	if o.Zipcode != "" {
		v.Place += " (" + o.Zipcode + ")"
	}
	for _, w := range o.Weeks {
		if mon, err := stageindex.ParseWeek(w); err == nil && !stageindex.WeekPast(w, time.Now()) {
			v.Weeks = append(v.Weeks, weekLabelOf(mon))
		}
	}
	for _, t := range o.Tracks {
		v.Tracks = append(v.Tracks, trackLabel(string(t)))
	}
	where := v.Place
	if o.Remote {
		where = "à distance"
	}
	title := v.Title + " – " + o.EmployerName
	if where != "" {
		title += ", " + where
	}
	desc := "Stage de 3e chez " + o.EmployerName
	if where != "" {
		desc += " (" + where + ")"
	}
	if o.Description != "" {
		desc += " : " + cut(strings.Join(strings.Fields(o.Description), " "), 160)
	}
	d := s.data(title+" · Stage de 3e", desc, v)
	d.OfferJS = s.version("offer.js")
	return s.sendHTML(c, fiber.StatusOK, "offer", d, "public, max-age=60")
}

// CleanTitle drops from an offer's title the " - "-separated segments that
// repeat its sector or its employer, as platforms build titles ("MACIF
// Lannion - Banque et assurance - Accueil des assurés" is, for a pupil,
// "Accueil des assurés" at MACIF Lannion). A leading segment that the
// employer's name starts, or that starts it, counts as the employer. A title
// that is nothing but those segments is kept whole. app.js does the same
// for the result cards.
func CleanTitle(title, sector, employer string) string {
	if !strings.Contains(title, " - ") {
		return title
	}
	sk, ek := stageindex.Fold(sector), stageindex.Fold(employer)
	parts := strings.Split(title, " - ")
	var kept []string
	for i, p := range parts {
		k := stageindex.Fold(strings.TrimSpace(p))
		employerLike := ek != "" && (k == ek || (i == 0 && k != "" && (strings.HasPrefix(ek, k+" ") || strings.HasPrefix(k, ek+" "))))
		if (sk != "" && k == sk) || employerLike {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		return title
	}
	return strings.Join(kept, " - ")
}

func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return p.String()
}

// cut shortens s to at most n runes, at a word boundary, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	t := string(r)
	if i := strings.LastIndexByte(t, ' '); i > n/2 {
		t = t[:i]
	}
	return strings.TrimRight(t, " ,;:.-") + "…"
}

// paragraphs splits a description on its blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// weekLabel writes an ISO week as a pupil reads it: "Semaine du 8 mars 2027".
func weekLabel(w string) string {
	mon, err := stageindex.ParseWeek(w)
	if err != nil {
		return w
	}
	return weekLabelOf(mon)
}

func weekLabelOf(mon time.Time) string {
	day := fmt.Sprint(mon.Day())
	if mon.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("Semaine du %s %s %d", day, months[mon.Month()-1], mon.Year())
}

func trackLabel(t string) string {
	switch stageindex.Track(t) {
	case stageindex.TrackGenerale:
		return "Générale"
	case stageindex.TrackSEGPA:
		return "SEGPA"
	case stageindex.TrackPrepaMetiers:
		return "Prépa métiers"
	}
	return t
}

// thousands writes n the French way: 12 345, with a narrow no-break space.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// statsRow is one line of a chart's table.
type statsRow struct {
	Label string
	Count int
	Pct   string // bar length, of 100
}

type statsChart struct {
	ID, Title, Column string
	Rows              []statsRow
}

type deptRow struct {
	Code, Name, D string
	Count, Class  int
	Selected      bool
}

type legendItem struct {
	Class int
	Text  string
}

type statsView struct {
	Dept, DeptName, Error string
	Total, Remote         int
	Options               []deptRow
	Departments           []deptRow
	Map                   struct {
		ViewBox           string
		Insets            []rect
		Paris             struct{ Box rect }
		Paths, ParisPaths []deptRow
	}
	Legend    []legendItem
	Charts    []statsChart
	Downloads struct{ StatsCSV, StatsXLSX, OffersCSV, OffersXLSX, OffersJSONL string }
}

// serveStats renders /statistiques from one search with no filter but the
// département (facets count every searchable offer, remote ones included):
// the département facet ignores its own filter, so the map shows all of
// France while the charts show the chosen département.
func (s *Site) serveStats(c *fiber.Ctx) error {
	if s.opts.Searcher == nil || !s.opts.Searcher.Ready() {
		return s.problemPage(c, fiber.StatusServiceUnavailable, "Le service démarre", "Réessaie dans quelques secondes.")
	}
	var v statsView
	status := fiber.StatusOK
	dept := strings.ToUpper(strings.TrimSpace(c.Query("department")))
	if dept != "" && !s.france.has(dept) {
		v.Error = "« " + cut(dept, 20) + " » n'est pas un numéro de département : choisis-en un dans la liste."
		status, dept = fiber.StatusBadRequest, ""
	}
	req := stageindex.SearchRequest{Remote: stageindex.RemoteInclude, PerPage: 1}
	if dept != "" {
		req.Departments = []string{dept}
	}
	res, err := s.opts.Searcher.Search(c.UserContext(), req)
	if err != nil {
		var e *stageindex.Error
		if errors.As(err, &e) && e.Code == stageindex.EUNAVAILABLE {
			return s.problemPage(c, fiber.StatusServiceUnavailable, "Le service démarre", "Réessaie dans quelques secondes.")
		}
		return err
	}
	v.Dept, v.DeptName, v.Total = dept, s.france.name(dept), res.Total
	remote := req
	remote.Remote = stageindex.RemoteOnly
	if r, err := s.opts.Searcher.Search(c.UserContext(), remote); err == nil {
		v.Remote = r.Total
	}
	s.statsMap(&v, res.Facets.Departments)
	v.Charts = []statsChart{
		{ID: "by-track", Title: "Par classe", Column: "Classe", Rows: rows(res.Facets.Tracks, trackOrder, trackLabel)},
		{ID: "by-week", Title: "Par semaine", Column: "Semaine", Rows: rows(res.Facets.Weeks, sortedKeys, weekLabel)},
		{ID: "by-sector", Title: "Par secteur", Column: "Secteur", Rows: rows(res.Facets.Sectors, byCount, func(k string) string { return k })},
	}
	link := func(p, format string) string {
		q := url.Values{"format": {format}}
		if dept != "" {
			q.Set("department", dept)
		}
		if strings.Contains(p, "offers") {
			q.Set("remote", "include")
		}
		return p + "?" + q.Encode()
	}
	v.Downloads.StatsCSV, v.Downloads.StatsXLSX = link("/api/v1/stats/export", "csv"), link("/api/v1/stats/export", "xlsx")
	v.Downloads.OffersCSV, v.Downloads.OffersXLSX = link("/api/v1/offers/export", "csv"), link("/api/v1/offers/export", "xlsx")
	v.Downloads.OffersJSONL = link("/api/v1/offers/export", "jsonl")

	title := "Statistiques des offres de stage de 3e"
	desc := thousands(v.Total) + " offres de stage de 3e"
	if dept != "" {
		title += " – " + v.DeptName + " (" + dept + ")"
		desc += " dans le département " + v.DeptName
	}
	d := s.data(title, desc+", par classe, par secteur et par semaine.", v)
	d.Nav, d.StatsJS, d.BodyClass = "stats", s.version("stats.js"), "stats-page"
	return s.sendHTML(c, status, "stats", d, "public, max-age=60")
}

// statsMap shades each département by its count, in five classes of
// equal steps on a square-root scale (a few large départements would
// otherwise leave every other one in the palest class).
func (s *Site) statsMap(v *statsView, counts map[string]int) {
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	class := func(n int) int {
		if n == 0 || top == 0 {
			return 0
		}
		return 1 + min(4, int(4.999*math.Sqrt(float64(n)/float64(top))))
	}
	v.Map.ViewBox = s.france.ViewBox
	v.Map.Insets = s.france.Insets
	v.Map.Paris.Box = s.france.Paris.Box
	for _, d := range s.france.Departments {
		r := deptRow{Code: d.Code, Name: d.Name, D: d.D, Count: counts[d.Code], Selected: d.Code == v.Dept}
		r.Class = class(r.Count)
		v.Map.Paths = append(v.Map.Paths, r)
		v.Departments = append(v.Departments, r)
		o := r
		o.D = ""
		v.Options = append(v.Options, o)
	}
	// The chosen département last, so that its outline is drawn on top.
	sort.SliceStable(v.Map.Paths, func(i, j int) bool { return !v.Map.Paths[i].Selected && v.Map.Paths[j].Selected })
	for _, d := range s.france.Paris.Departments {
		r := deptRow{Code: d.Code, Name: s.france.name(d.Code), D: d.D, Count: counts[d.Code], Selected: d.Code == v.Dept}
		r.Class = class(r.Count)
		v.Map.ParisPaths = append(v.Map.ParisPaths, r)
	}
	v.Legend = append(v.Legend, legendItem{0, "aucune"})
	for i := 1; i <= 5; i++ {
		f := float64(i-1) / 4.999
		lo := int(math.Ceil(float64(top) * f * f))
		v.Legend = append(v.Legend, legendItem{i, "à partir de " + thousands(max(lo, 1))})
	}
}

var trackOrder = func(m map[string]int) []string {
	out := make([]string, 0, len(stageindex.Tracks))
	for _, t := range stageindex.Tracks {
		out = append(out, string(t))
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func byCount(m map[string]int) []string {
	out := sortedKeys(m)
	sort.SliceStable(out, func(i, j int) bool { return m[out[i]] > m[out[j]] })
	return out
}

func rows(m map[string]int, order func(map[string]int) []string, label func(string) string) []statsRow {
	top := 0
	for _, n := range m {
		top = max(top, n)
	}
	var out []statsRow
	for _, k := range order(m) {
		n := m[k]
		pct := 0.0
		if top > 0 {
			pct = 100 * float64(n) / float64(top)
		}
		out = append(out, statsRow{Label: label(k), Count: n, Pct: fmt.Sprintf("%.1f", pct)})
	}
	return out
}
