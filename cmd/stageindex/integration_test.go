package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// line is one offer of the integration corpus, near Saint-Brieuc unless
// told otherwise: extra (`,"key":value…`) replaces or adds fields (a key
// given twice would be rejected by the importer).
func line(id, title string, lat, lng float64, extra string) string {
	base := fmt.Sprintf(`{"id":%q,"title":%q,"description":"Une semaine pour découvrir le métier.","employer_name":"Employeur %s","sector":"Hôtellerie, restauration","tracks":["generale"],"zipcode":"22000","city":"Saint-Brieuc","department":"22","latitude":%v,"longitude":%v,"weeks":["2030-W05"],"max_candidates":1,"published_at":"2026-09-01T08:00:00Z"}`,
		id, title, id, lat, lng)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(base), &fields); err != nil {
		panic(err)
	}
	if extra != "" {
		if err := json.Unmarshal([]byte("{"+strings.TrimPrefix(extra, ",")+"}"), &fields); err != nil {
			panic(err)
		}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestEndToEnd runs the binary's commands against a real PostgreSQL:
// migrate, import (with bad lines), serve, and searches over HTTP.
func TestEndToEnd(t *testing.T) {
	dsn := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := quietLogger()

	if code, err := run(ctx, []string{"serve", "--database-url", dsn, "--addr", freeAddr(t)}, log); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("serve on an empty database: code %d err %v; want a refusal naming migrate", code, err)
	}
	if _, err := run(ctx, []string{"migrate", "--database-url", dsn}, log); err != nil {
		t.Fatal(err)
	}

	input := strings.Join([]string{
		line("near", "Boulangerie du Port", 48.5200, -2.7600, ""),
		line("far", "Boulangerie des Landes", 48.4690, -2.5170, ""),
		line("desc", "Supermarché", 48.5151, -2.7684, `,"description":"Rayon boulangerie."`),
		`{"id":"broken",`,
		line("lat91", "Boulangerie impossible", 91, -2.7, ""),
		line("badtrack", "Boulangerie", 48.5, -2.7, `,"tracks":["lycee"]`),
		line("draft", "Boulangerie en projet", 48.5151, -2.7684, `,"published_at":null`),
		line("rennes", "Boulangerie de Rennes", 48.1173, -1.6778, ""),
	}, "\n")
	file := filepath.Join(t.TempDir(), "offers.jsonl")
	if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	code, err := run(ctx, []string{"import", "--database-url", dsn, file}, log)
	if err != nil || code != 3 {
		t.Fatalf("import: code %d err %v; want 3 (some lines rejected)", code, err)
	}

	addr := freeAddr(t)
	dataDir := t.TempDir()
	served := make(chan error, 1)
	rec := &recorder{}
	go func() {
		// A generous search budget (api's budget_test tests the 503): under
		// -race on a loaded machine a first search may pass the default second.
		_, err := run(ctx, []string{"serve", "--database-url", dsn, "--addr", addr, "--data-dir", dataDir, "--search-timeout", "30s"}, slog.New(rec))
		served <- err
	}()
	base := "http://" + addr
	waitReady(t, base, served)
	// A first start into an empty data dir is normal: nothing to warn about.
	if w := rec.messages(slog.LevelWarn); len(w) > 0 {
		t.Errorf("first start with an empty data dir warned: %q", w)
	}

	// A second server on the same data dir stops at once, saying why.
	start := time.Now()
	if _, err := run(ctx, []string{"serve", "--database-url", dsn, "--addr", freeAddr(t), "--data-dir", dataDir}, log); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second serve on one data dir: %v, want an 'in use' error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the second serve took %v to give up", d)
	}

	var res stageindex.SearchResult
	getJSON(t, base+"/api/v1/offers?q=boulangerie&lat=48.5151&lng=-2.7684&radius_km=30", &res)
	want := []string{"near", "far", "desc"}
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.ID)
		if h.DistanceKm == nil {
			t.Errorf("hit %s has no distance", h.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("hits %v, want %v", got, want)
	}
	if res.Total != 3 {
		t.Fatalf("total %d", res.Total)
	}

	resp, err := http.Get(base + "/api/v1/offers?radius_km=99&lat=48&lng=-2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad radius: status %d", resp.StatusCode)
	}
	cancel()
	select {
	case <-served:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}

func waitReady(t *testing.T, base string, served <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("not ready after 60 s")
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
