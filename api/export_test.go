package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/stageindex/stageindex"
)

// total is the number of hits of a search.
func total(t *testing.T, s *Server, query string) int {
	t.Helper()
	resp, body := do(t, s, "/api/v1/offers?"+query)
	var res stageindex.SearchResult
	if resp.StatusCode != 200 || json.Unmarshal(body, &res) != nil {
		t.Fatalf("search %s: %d %s", query, resp.StatusCode, body)
	}
	return res.Total
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Fatal("no byte order mark")
	}
	r := csv.NewReader(bytes.NewReader(body[3:]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportOffers(t *testing.T) {
	s := newTestServer(t)
	for _, query := range []string{"where=22000&radius_km=60", "q=boulanger&remote=include", "track=segpa", ""} {
		want := total(t, s, query)
		t.Run("csv "+query, func(t *testing.T) {
			resp, body := do(t, s, "/api/v1/offers/export?format=csv&"+query)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
				!strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="stageindex-offres-`) {
				t.Fatalf("%d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
			}
			rows := readCSV(t, body)
			if strings.Join(rows[0], ",") != strings.Join(offerColumns, ",") {
				t.Errorf("header %v", rows[0])
			}
			if len(rows)-1 != want {
				t.Errorf("%d rows, the search has %d hits", len(rows)-1, want)
			}
			for _, r := range rows[1:] {
				if len(r) != len(offerColumns) || (r[6] != "oui" && r[6] != "non") || strings.Contains(r[13], ".") {
					t.Fatalf("row %v: want %d fields, oui/non, a decimal comma", r, len(offerColumns))
				}
			}
		})
		t.Run("jsonl "+query, func(t *testing.T) {
			resp, body := do(t, s, "/api/v1/offers/export?format=jsonl&"+query)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			n := 0
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var o stageindex.Offer
				if err := json.Unmarshal(sc.Bytes(), &o); err != nil || o.ID == "" || o.Description == "" {
					t.Fatalf("line %d: %v %s", n+1, err, sc.Bytes())
				}
				n++
			}
			if n != want {
				t.Errorf("%d lines, the search has %d hits", n, want)
			}
		})
		t.Run("xlsx "+query, func(t *testing.T) {
			resp, body := do(t, s, "/api/v1/offers/export?format=xlsx&"+query, "Accept-Encoding: br")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
				t.Fatalf("%d, Content-Encoding %q (a zip compressed again)", resp.StatusCode, resp.Header.Get("Content-Encoding"))
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows)-1 != want || rows[0][0] != "id" {
				t.Errorf("%d rows (header %v), the search has %d hits", len(rows)-1, rows[0], want)
			}
			if want > 0 {
				if v, _ := f.GetCellValue("Sheet1", "N2"); v == "" && rows[1][7] != "TRUE" {
					t.Errorf("row 2 has no latitude and is not remote: %v", rows[1])
				}
			}
		})
	}
	resp, body := do(t, s, "/api/v1/offers/export?format=pdf&page=2&radius_km=99&lat=48&lng=2")
	var p problem
	json.Unmarshal(body, &p)
	named := map[string]bool{}
	for _, e := range p.Errors {
		named[e.Param] = true
	}
	if resp.StatusCode != 400 || !named["format"] || !named["page"] || !named["radius_km"] {
		t.Errorf("bad export: %d %s", resp.StatusCode, body)
	}
}

func TestExportCSVGuardsFormulas(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+33": "'+33", "-20 %": "'-20 %", "@SUM": "'@SUM", "Boulangerie": "Boulangerie", "": ""} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportStats(t *testing.T) {
	s := newTestServer(t)
	resp, body := do(t, s, "/api/v1/stats/export?format=csv")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	rows := readCSV(t, body)
	if strings.Join(rows[0], ",") != "department,track,sector,week,offers" {
		t.Fatalf("header %v", rows[0])
	}
	// The cube summed over départements and sectors for one track gives
	// the week facet of a search for that track: two ways of counting.
	_, sbody := do(t, s, "/api/v1/offers?track=segpa&remote=include&per_page=1")
	var res stageindex.SearchResult
	json.Unmarshal(sbody, &res)
	sum := map[string]int{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[4])
		if err != nil || n <= 0 {
			t.Fatalf("row %v", r)
		}
		if r[1] == "segpa" && r[3] != "" {
			sum[r[3]] += n
		}
	}
	if len(res.Facets.Weeks) == 0 {
		t.Fatal("no week facet to compare with")
	}
	for w, n := range res.Facets.Weeks {
		if sum[w] != n {
			t.Errorf("week %s: the export counts %d segpa offers, the facet %d", w, sum[w], n)
		}
	}
	x, xbody := do(t, s, "/api/v1/stats/export?format=xlsx&department=22")
	f, err := excelize.OpenReader(bytes.NewReader(xbody))
	if x.StatusCode != 200 || err != nil {
		t.Fatalf("xlsx: %d %v", x.StatusCode, err)
	}
	defer f.Close()
	xrows, _ := f.GetRows("Sheet1")
	for _, r := range xrows[1:] {
		if r[0] != "22" {
			t.Fatalf("department=22 gave a row of %s", r[0])
		}
	}
	if len(xrows) < 2 {
		t.Error("no rows for department 22")
	}
}
