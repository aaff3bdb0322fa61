package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/importer"
)

// sampleFile mixes good and bad lines; wantRejected names the bad ones.
// Line 10 repeats id a-1 and wins over line 1.
var sampleFile = strings.Join([]string{
	/* 1 */ `{"id": "a-1", "title": "Boulangerie", "description": "Pain", "employer_name": "Au Fournil", "sector": "hôtellerie, restauration", "tracks": ["segpa", "generale"], "zipcode": "22000", "city": "Saint-Brieuc", "department": "22", "latitude": 48.5151, "longitude": -2.7684, "weeks": ["2027-W05", "2026-W53"], "max_candidates": 2, "url": "https://example.org/a-1", "published_at": "2026-09-01T10:00:00+02:00"}`,
	/* 2 */ ``,
	/* 3 */ `{"id": "broken", "title": `,
	/* 4 */ `{"id": "no-title", "description": "d", "employer_name": "e", "tracks": ["generale"], "latitude": 48, "longitude": 2}`,
	/* 5 */ `{"id": "lat-91", "title": "t", "description": "d", "employer_name": "e", "tracks": ["generale"], "latitude": 91, "longitude": 2}`,
	/* 6 */ `{"id": "bad-track", "title": "t", "description": "d", "employer_name": "e", "tracks": ["lycee"], "latitude": 48, "longitude": 2}`,
	/* 7 */ `{"id": "w54", "title": "t", "description": "d", "employer_name": "e", "tracks": ["generale"], "latitude": 48, "longitude": 2, "weeks": ["2026-W54"]}`,
	/* 8 */ `{"id": "w53-2025", "title": "t", "description": "d", "employer_name": "e", "tracks": ["generale"], "latitude": 48, "longitude": 2, "weeks": ["2025-W53"]}`,
	/* 9 */ `{"id": "remote-1", "title": "Développeur web", "description": "À distance", "employer_name": "Agence", "employer_description": "Une agence web", "tracks": ["generale"], "remote": true, "is_public": true, "handicap_accessible": true, "weeks": ["2026-W50"], "published_at": "2026-10-01T08:00:00.123456Z"}`,
	/* 10 */ `{"id": "a-1", "title": "Boulangerie Le Gall", "description": "Pain et viennoiseries", "employer_name": "Au Fournil", "tracks": ["generale"], "street": "1 rue du Port", "zipcode": "22000", "city": "Saint-Brieuc", "department": "22", "latitude": 48.5151, "longitude": -2.7684, "weeks": ["2027-W05"], "published_at": "2026-09-01T08:00:00Z"}`,
	/* 11 */ `{"id": "b-2", "title": "Mairie", "description": "Accueil", "employer_name": "Mairie d'Ajaccio", "tracks": ["prepa_metiers"], "department": "2a", "latitude": 41.9192, "longitude": 8.7386, "max_candidates": 1, "published_at": null}`,
	/* 12 */ `{"id": "c-3", "title": "Banque", "description": "Conseiller", "employer_name": "Crédit", "sector": "Banque et assurance", "tracks": ["generale", "segpa", "prepa_metiers"], "zipcode": "97400", "department": "974", "latitude": -20.88, "longitude": 55.45, "x_metier": "banque"}`,
	/* 13 */ `{"id": "nul", "title": "t", "description": "a\u0000b", "employer_name": "e", "tracks": ["generale"], "latitude": 48, "longitude": 2}`,
}, "\n") + "\n"

var wantRejected = []struct {
	line   int
	id     string
	reason string
}{
	{3, "", "invalid JSON"},
	{4, "no-title", "title: is required"},
	{5, "lat-91", "latitude: 91 is outside"},
	{6, "bad-track", `"lycee" is not one of`},
	{7, "w54", "2026-W54"},
	{8, "w53-2025", "2025 has 52 ISO weeks"},
	{13, "nul", "NUL"},
}

// winners are the lines whose offers the database must hold afterwards.
var winners = []int{9, 10, 11, 12}

func importString(t *testing.T, s *store, file string, opts importer.Options) importer.Report {
	t.Helper()
	rep, err := s.Import(context.Background(), strings.NewReader(file), opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if sum := rep.Rejected + rep.Duplicates + rep.Inserted + rep.Updated + rep.Unchanged; sum != rep.Read {
		t.Errorf("report %+v: outcomes add up to %d, not Read", rep, sum)
	}
	return rep
}

type counts struct{ read, inserted, updated, unchanged, duplicates, rejected int }

func countsOf(r importer.Report) counts {
	return counts{r.Read, r.Inserted, r.Updated, r.Unchanged, r.Duplicates, r.Rejected}
}

func TestImport(t *testing.T) {
	for _, batch := range []int{1, 2, 0} { // 0: the default
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			ctx := context.Background()
			s, pool := newStore(t)
			opts := importer.Options{BatchSize: batch}
			changes := func() (n int) {
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM offer_changes`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			rep := importString(t, s, sampleFile, opts)
			if got, want := countsOf(rep), (counts{12, 4, 0, 0, 1, 7}); got != want {
				t.Errorf("first import: %+v, want %+v", got, want)
			}
			if len(rep.Rejections) != len(wantRejected) {
				t.Fatalf("rejections %+v, want %d", rep.Rejections, len(wantRejected))
			}
			for i, w := range wantRejected {
				r := rep.Rejections[i]
				if r.Line != w.line || r.ID != w.id || !strings.Contains(r.Reason, w.reason) {
					t.Errorf("rejection %d = %+v, want line %d id %q reason containing %q", i, r, w.line, w.id, w.reason)
				}
			}
			if n := changes(); n != 4 {
				t.Errorf("first import logged %d changes, want 4", n)
			}

			rep = importString(t, s, sampleFile, opts)
			if got, want := countsOf(rep), (counts{12, 0, 0, 4, 1, 7}); got != want {
				t.Errorf("same file again: %+v, want %+v", got, want)
			}
			if n := changes(); n != 4 {
				t.Errorf("an unchanged re-import logged changes: %d, want 4", n)
			}

			modified := strings.Replace(sampleFile, `"title": "Banque"`, `"title": "Banque mutualiste"`, 1)
			rep = importString(t, s, modified, opts)
			if got, want := countsOf(rep), (counts{12, 0, 1, 3, 1, 7}); got != want {
				t.Errorf("one line modified: %+v, want %+v", got, want)
			}
			var op string
			var version int
			if err := pool.QueryRow(ctx, `SELECT c.op, o.version FROM offer_changes c JOIN offers o ON o.id = c.offer_id
				ORDER BY c.seq DESC LIMIT 1`).Scan(&op, &version); err != nil {
				t.Fatal(err)
			}
			if n := changes(); n != 5 || op != "U" || version != 2 {
				t.Errorf("after one update: %d changes, last op %q, version %d; want 5, U, 2", n, op, version)
			}
		})
	}
}

// TestRoundTrip imports the sample and checks that LoadOffers and Get give
// back exactly what ParseOffer made of the winning lines.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	importString(t, s, sampleFile, importer.Options{})
	lines := strings.Split(sampleFile, "\n")
	want := map[string]stageindex.Offer{}
	for _, n := range winners {
		o, err := stageindex.ParseOffer([]byte(lines[n-1]))
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		want[o.ID] = o
	}
	got := loadAll(t, s)
	if !reflect.DeepEqual(got, want) {
		for id := range want {
			if !reflect.DeepEqual(got[id], want[id]) {
				t.Errorf("%s:\nloaded  %+v\nimported %+v", id, got[id], want[id])
			}
		}
		t.Fatalf("loaded %d offers, want %d", len(got), len(want))
	}
	for id, w := range want {
		o, err := s.Get(ctx, id)
		if err != nil || !reflect.DeepEqual(o, w) {
			t.Errorf("Get(%s) = %+v, %v; want %+v", id, o, err, w)
		}
	}
}

// TestImportNotifies checks that an import wakes a listener.
func TestImportNotifies(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN stageindex_offers`); err != nil {
		t.Fatal(err)
	}
	importString(t, s, sampleFile, importer.Options{})
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wctx)
	if err != nil {
		t.Fatalf("no notification after an import: %v", err)
	}
	if n.Channel != "stageindex_offers" || n.Payload != "*" {
		t.Errorf("notification %s %q, want stageindex_offers *", n.Channel, n.Payload)
	}
	if _, err := conn.Exec(ctx, `UNLISTEN *`); err != nil {
		t.Fatal(err)
	}
}

// TestImportDatabaseRefusal makes the database stricter than ParseOffer
// and checks that only the refused line is rejected, with its number.
func TestImportDatabaseRefusal(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	if _, err := pool.Exec(ctx, `ALTER TABLE offers ADD CONSTRAINT test_no_mairie CHECK (title <> 'Mairie')`); err != nil {
		t.Fatal(err)
	}
	rep := importString(t, s, sampleFile, importer.Options{})
	if got, want := countsOf(rep), (counts{12, 3, 0, 0, 1, 8}); got != want {
		t.Errorf("report %+v, want %+v", got, want)
	}
	found := false
	for _, r := range rep.Rejections {
		if r.Line == 11 {
			found = r.ID == "b-2" && strings.Contains(r.Reason, "test_no_mairie")
		}
	}
	if !found {
		t.Errorf("line 11 is not rejected for test_no_mairie: %+v", rep.Rejections)
	}
}

func TestImportReadErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(sampleFile))
	zw.Close()
	truncated := gz.Bytes()[:gz.Len()-10]
	path := filepath.Join(t.TempDir(), "cut.jsonl.gz")
	if err := os.WriteFile(path, truncated, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := s.Import(ctx, in, importer.Options{}); err == nil {
		t.Fatal("Import of a truncated gzip succeeded")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM offers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a failed read wrote %d offers", n)
	}
}

func TestOpenInput(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(sampleFile))
	zw.Close()
	files := map[string][]byte{
		"plain.jsonl":     []byte(sampleFile),
		"packed.jsonl.gz": gz.Bytes(),
		"misnamed.jsonl":  gz.Bytes(), // gzip recognised by content
		"empty.jsonl":     nil,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, file string
		want       string
		wantErr    bool
	}{
		{"plain", "plain.jsonl", sampleFile, false},
		{"gzip", "packed.jsonl.gz", sampleFile, false},
		{"gzip by magic bytes", "misnamed.jsonl", sampleFile, false},
		{"empty", "empty.jsonl", "", false},
		{"missing", "missing.jsonl", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := importer.OpenInput(filepath.Join(dir, c.file))
			if c.wantErr {
				if err == nil {
					r.Close()
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Error(err)
			}
			if string(got) != c.want {
				t.Errorf("read %d bytes, want %d", len(got), len(c.want))
			}
		})
	}
}

// TestImportRejectsWhatJSONHides: a line with invalid UTF-8 or a key
// given twice, which encoding/json would read with U+FFFD or the last
// value, is rejected with its line number; the lines around it land.
func TestImportRejectsWhatJSONHides(t *testing.T) {
	s, _ := newStore(t)
	good := func(id string) string {
		return `{"id": "` + id + `", "title": "Boulangerie", "description": "Pain", "employer_name": "Au Fournil", "tracks": ["generale"], "latitude": 48.5, "longitude": -2.7, "published_at": "2026-09-01T08:00:00Z"}`
	}
	file := strings.Join([]string{
		good("ok-1"),
		`{"id": "twice", "title": "Boulangerie", "title": "Autre", "description": "Pain", "employer_name": "e", "tracks": ["generale"], "latitude": 48.5, "longitude": -2.7}`,
		"{\"id\": \"latin1\", \"title\": \"Boulang\xe8re\", \"description\": \"Pain\", \"employer_name\": \"e\", \"tracks\": [\"generale\"], \"latitude\": 48.5, \"longitude\": -2.7}",
		good("ok-2"),
	}, "\n")
	rep := importString(t, s, file, importer.Options{})
	if rep.Inserted != 2 || rep.Rejected != 2 {
		t.Fatalf("report %+v, want 2 inserted and 2 rejected", rep)
	}
	want := []struct {
		line   int
		reason string
	}{{2, "title: is given twice"}, {3, "title: must be valid UTF-8"}}
	for i, w := range want {
		if r := rep.Rejections[i]; r.Line != w.line || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("rejection %+v, want line %d %q", r, w.line, w.reason)
		}
	}
}
