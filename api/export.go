package api

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/stageindex/stageindex"
)

// Exports stream every offer matching a search (or their counts) as CSV,
// JSON lines or XLSX. Nothing is built in memory: offers go out as the
// search core hands them over, and excelize's StreamWriter spills an XLSX
// sheet to a temporary file past a few megabytes.

// offerColumns are the columns of an offers export, in order. They are
// part of the API contract (documented in openapi.json): add new ones at
// the end, never rename or move one.
var offerColumns = []string{
	"id", "title", "employer_name", "sector", "tracks", "weeks", "is_public", "remote",
	"handicap_accessible", "street", "zipcode", "city", "department", "latitude", "longitude",
	"max_candidates", "url", "published_at", "description", "employer_description",
}

// statsColumns are the columns of a stats export.
var statsColumns = []string{"department", "track", "sector", "week", "offers"}

// exportTimeout bounds one export, however slow its client reads.
const exportTimeout = 10 * time.Minute

// parseExport reads an export's format and search filters. Paging
// parameters are refused: an export has every matching offer.
func (s *Server) parseExport(c *fiber.Ctx, formats ...string) (string, stageindex.SearchRequest, error) {
	qa := c.Context().QueryArgs()
	var pe paramErrors
	format := oneOf(args{qa, &pe}, "format", formats...)
	if format == "" && len(pe) == 0 {
		format = formats[0]
	}
	for _, p := range []string{"page", "per_page"} {
		if qa.Has(p) {
			pe.add(p, stageindex.CodeInvalid, "an export has no paging: it gives every matching offer").With("reason", "export_paging")
		}
	}
	req, _, _, err := parseSearch(qa, s.opts.Places, s.opts.Searcher)
	if err != nil {
		var e *stageindex.Error
		asError(err, &e)
		pe = append(pe, e.Params...)
	}
	if err := pe.err(); err != nil {
		return "", req, err
	}
	req.Allowed = allowed(c)
	return format, req, nil
}

// startExport takes an export slot or says to come back later, and sets
// the headers of a download.
func (s *Server) startExport(c *fiber.Ctx, name, format string) error {
	if !s.opts.Searcher.Ready() {
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "the index is still loading")
	}
	select {
	case s.exports <- struct{}{}:
	default:
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "too many exports are running, retry in a few seconds")
	}
	ctype := map[string]string{
		"csv":   "text/csv; charset=utf-8",
		"jsonl": "application/x-ndjson",
		"xlsx":  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	}[format]
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="stageindex-%s-%s.%s"`, name, time.Now().UTC().Format("2006-01-02"), format))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return nil
}

// stream runs write as the response body, after the handler has returned,
// and frees the export slot when it ends. The status (200) is sent by
// then: an error on the way can only cut the body short, and is logged.
//
// The server's WriteTimeout bounds a whole response; an export takes
// longer. As long as the export moves on (write calls progress, once per
// offer), its connection's write deadline is pushed exportStall ahead; a
// client that stops reading stalls it, and is cut exportStall later.
func (s *Server) stream(c *fiber.Ctx, what string, write func(ctx context.Context, w io.Writer, progress func()) error) {
	path := c.Path()
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer func() { <-s.exports }()
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		var moved atomic.Int64
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			last := int64(-1)
			for {
				if n := moved.Load(); n != last && conn != nil {
					conn.SetWriteDeadline(time.Now().Add(exportStall))
					last = n
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			progress := func() { moved.Add(1) }
			if err := write(ctx, progressWriter{w, progress}, progress); err != nil {
				return err
			}
			return w.Flush()
		}()
		if err != nil {
			s.opts.Logger.Warn("export cut short", "export", what, "path", path, "err", err)
		}
	})
}

func (s *Server) exportOffers(c *fiber.Ctx) error {
	format, req, err := s.parseExport(c, "csv", "jsonl", "xlsx")
	if err != nil {
		return err
	}
	if err := s.startExport(c, "offres", format); err != nil {
		return err
	}
	s.stream(c, "offers", func(ctx context.Context, w io.Writer, progress func()) error {
		each := func(ctx context.Context, fn func(stageindex.Offer) error) error {
			return s.opts.Searcher.Each(ctx, req, func(o stageindex.Offer) error { progress(); return fn(o) })
		}
		switch format {
		case "jsonl":
			return writeOffersJSONL(ctx, w, each)
		case "xlsx":
			return writeOffersXLSX(ctx, w, each)
		}
		return writeOffersCSV(ctx, w, each)
	})
	return nil
}

func (s *Server) exportStats(c *fiber.Ctx) error {
	format, req, err := s.parseExport(c, "csv", "xlsx")
	if err != nil {
		return err
	}
	// Like /api/v1/stats, the counts take in remote offers unless asked.
	if !c.Context().QueryArgs().Has("remote") {
		req.Remote = stageindex.RemoteInclude
	}
	if err := s.startExport(c, "statistiques", format); err != nil {
		return err
	}
	s.stream(c, "stats", func(ctx context.Context, w io.Writer, progress func()) error {
		rows, err := statsCube(ctx, time.Now(), func(ctx context.Context, fn func(stageindex.Offer) error) error {
			return s.opts.Searcher.Each(ctx, req, func(o stageindex.Offer) error { progress(); return fn(o) })
		})
		if err != nil {
			return err
		}
		if format == "xlsx" {
			return writeStatsXLSX(w, rows)
		}
		return writeStatsCSV(w, rows)
	})
	return nil
}

// progressWriter counts its writes as progress (stream).
type progressWriter struct {
	w        io.Writer
	progress func()
}

func (p progressWriter) Write(b []byte) (int, error) {
	p.progress()
	return p.w.Write(b)
}

type eachFunc func(ctx context.Context, fn func(stageindex.Offer) error) error

// exportStall is how long an export waits for its client to read.
const exportStall = 30 * time.Second

// --- offers ---------------------------------------------------------------

// csvText guards a text cell against formula injection: a spreadsheet
// runs a cell starting with = + - @ as a formula, and offer texts come
// from outside. The quote is what spreadsheets take for "text".
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// frenchNumber writes a decimal with a comma, as a spreadsheet set to
// French reads it.
func frenchNumber(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', -1, 64), ".", ",", 1)
}

func ouiNon(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

func joinTracks(ts []stageindex.Track) string {
	ss := make([]string, len(ts))
	for i, t := range ts {
		ss[i] = string(t)
	}
	return strings.Join(ss, ",")
}

func published(o *stageindex.Offer) string {
	if o.PublishedAt == nil {
		return ""
	}
	return o.PublishedAt.UTC().Format(time.RFC3339)
}

// writeOffersCSV writes UTF-8 with a byte order mark, ';' between fields
// and CRLF line ends: what a spreadsheet set to French opens as is.
// Booleans are oui/non, decimals have a comma, lists a ',' inside a field.
func writeOffersCSV(ctx context.Context, w io.Writer, each eachFunc) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	if err := cw.Write(offerColumns); err != nil {
		return err
	}
	row := make([]string, len(offerColumns))
	err := each(ctx, func(o stageindex.Offer) error {
		lat, lng := "", ""
		if o.HasLocation() {
			lat, lng = frenchNumber(*o.Latitude), frenchNumber(*o.Longitude)
		}
		row = append(row[:0], csvText(o.ID), csvText(o.Title), csvText(o.EmployerName), o.Sector,
			joinTracks(o.Tracks), strings.Join(o.Weeks, ","), ouiNon(o.IsPublic), ouiNon(o.Remote),
			ouiNon(o.HandicapAccessible), csvText(o.Street), csvText(o.Zipcode), csvText(o.City), o.Department, lat, lng,
			strconv.Itoa(o.MaxCandidates), csvText(o.URL), published(&o), csvText(o.Description), csvText(o.EmployerDescription))
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeOffersJSONL writes each offer as the interchange format has it: an
// export can be imported again.
func writeOffersJSONL(ctx context.Context, w io.Writer, each eachFunc) error {
	enc := json.NewEncoder(w)
	return each(ctx, func(o stageindex.Offer) error { return enc.Encode(&o) })
}

// maxCellChars is the most characters an XLSX cell holds.
const maxCellChars = 32767

func cellText(s string) string {
	if utf8.RuneCountInString(s) <= maxCellChars {
		return s
	}
	return string([]rune(s)[:maxCellChars])
}

// newSheet starts a workbook whose first sheet is written as a stream,
// with a header row in bold and frozen.
func newSheet(header []string) (*excelize.File, *excelize.StreamWriter, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		f.Close()
		return nil, nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, sw, nil
}

// writeOffersXLSX writes typed cells: booleans, numbers, and the
// publication as a date.
func writeOffersXLSX(ctx context.Context, w io.Writer, each eachFunc) error {
	f, sw, err := newSheet(offerColumns)
	if err != nil {
		return err
	}
	defer f.Close()
	dateFormat := "yyyy-mm-dd hh:mm"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat})
	if err != nil {
		return err
	}
	n := 1
	row := make([]any, len(offerColumns))
	err = each(ctx, func(o stageindex.Offer) error {
		n++
		var lat, lng, pub any
		if o.HasLocation() {
			lat, lng = *o.Latitude, *o.Longitude
		}
		if o.PublishedAt != nil {
			pub = excelize.Cell{StyleID: dateStyle, Value: o.PublishedAt.UTC()}
		}
		row = append(row[:0], o.ID, cellText(o.Title), cellText(o.EmployerName), o.Sector,
			joinTracks(o.Tracks), strings.Join(o.Weeks, ","), o.IsPublic, o.Remote,
			o.HandicapAccessible, cellText(o.Street), o.Zipcode, cellText(o.City), o.Department, lat, lng,
			o.MaxCandidates, cellText(o.URL), pub, cellText(o.Description), cellText(o.EmployerDescription))
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// --- stats ----------------------------------------------------------------

// statsRow is one cell of the stats cube: how many offers of a département
// are open to a track, in a sector, in a week. An offer counts once per
// track and per week not yet over; one without weeks (open all year) has
// week "", one without a sector or a département "".
type statsRow struct {
	department, track, sector, week string
	offers                          int
}

func statsCube(ctx context.Context, now time.Time, each eachFunc) ([]statsRow, error) {
	type key struct{ department, track, sector, week string }
	counts := map[key]int{}
	err := each(ctx, func(o stageindex.Offer) error {
		var weeks []string
		for _, w := range o.Weeks {
			if !stageindex.WeekPast(w, now) {
				weeks = append(weeks, w)
			}
		}
		if len(weeks) == 0 {
			weeks = []string{""}
		}
		for _, t := range o.Tracks {
			for _, w := range weeks {
				counts[key{o.Department, string(t), o.Sector, w}]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows := make([]statsRow, 0, len(counts))
	for k, n := range counts {
		rows = append(rows, statsRow{k.department, k.track, k.sector, k.week, n})
	}
	slices.SortFunc(rows, func(a, b statsRow) int {
		return cmp.Or(cmp.Compare(a.department, b.department), cmp.Compare(a.track, b.track),
			cmp.Compare(a.sector, b.sector), cmp.Compare(a.week, b.week))
	})
	return rows, nil
}

func writeStatsCSV(w io.Writer, rows []statsRow) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	if err := cw.Write(statsColumns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.department, r.track, r.sector, r.week, strconv.Itoa(r.offers)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeStatsXLSX(w io.Writer, rows []statsRow) error {
	f, sw, err := newSheet(statsColumns)
	if err != nil {
		return err
	}
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{r.department, r.track, r.sector, r.week, r.offers}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
