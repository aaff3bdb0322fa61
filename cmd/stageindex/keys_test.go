package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/pgtest"
)

// TestPartnerKeysEndToEnd creates a key with the command line, uses it
// against a real serve, revokes it and watches it stop working.
func TestPartnerKeysEndToEnd(t *testing.T) {
	dsn := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := quietLogger()
	if _, err := run(ctx, []string{"migrate", "--database-url", dsn}, log); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "offers.jsonl")
	input := line("sb", "Boulangerie du Port", 48.52, -2.76, "") + "\n" +
		line("rennes", "Boulangerie de Rennes", 48.1173, -1.6778, `,"zipcode":"35000","city":"Rennes","department":"35"`)
	if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, err := run(ctx, []string{"import", "--database-url", dsn, file}, log); err != nil || code != 0 {
		t.Fatalf("import: %d %v", code, err)
	}
	var out bytes.Buffer
	if code, err := keysCommand(ctx, []string{"create", "--database-url", dsn, "--name", "onstage", "--rate", "50", "--departments", "22"}, &out); err != nil || code != 0 {
		t.Fatalf("keys create: %d %v", code, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "si_") || strings.Contains(key, " ") {
		t.Fatalf("last line of keys create is %q, want the key alone", key)
	}
	if code, err := keysCommand(ctx, []string{"create", "--database-url", dsn, "--name", "onstage"}, io.Discard); err == nil || code == 0 {
		t.Error("a second key of the same name was created")
	}

	addr := freeAddr(t)
	served := make(chan error, 1)
	go func() {
		served <- func() error {
			_, err := run(ctx, []string{"serve", "--database-url", dsn, "--addr", addr, "--keys-refresh", "200ms"}, log)
			return err
		}()
	}()
	base := "http://" + addr
	waitReady(t, base, served)
	get := func(path, key string) (int, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	var res stageindex.SearchResult
	status, body := get("/api/v1/offers?q=boulangerie", key)
	json.Unmarshal(body, &res)
	if status != 200 || res.Total != 1 || res.Hits[0].ID != "sb" {
		t.Fatalf("with the key for 22: %d %s", status, body)
	}
	if status, body := get("/api/v1/offers?q=boulangerie", ""); status != 200 || !strings.Contains(string(body), `"total":2`) {
		t.Errorf("anonymous: %d %s", status, body)
	}
	if status, _ := get("/api/v1/offers/rennes", key); status != 404 {
		t.Errorf("an offer of 35 with the key for 22: %d", status)
	}
	if status, _ := get("/api/v1/stats", key+"x"); status != 401 {
		t.Errorf("a wrong key: %d", status)
	}
	if _, body := get("/metrics", ""); !strings.Contains(string(body), `stageindex_partner_requests_total{key="onstage"} 2`) {
		t.Errorf("metrics do not count the key by name")
	}
	out.Reset()
	if code, err := keysCommand(ctx, []string{"list", "--database-url", dsn}, &out); err != nil || code != 0 || !strings.Contains(out.String(), "onstage") || strings.Contains(out.String(), key) {
		t.Errorf("keys list: %d %v\n%s", code, err, out.String())
	}
	if code, err := keysCommand(ctx, []string{"revoke", "--database-url", dsn, "onstage"}, io.Discard); err != nil || code != 0 {
		t.Fatalf("keys revoke: %d %v", code, err)
	}
	revoked := time.Now()
	for {
		status, body := get("/api/v1/stats", key)
		if status == 401 && strings.Contains(string(body), "revoked_key") {
			break
		}
		if time.Since(revoked) > 5*time.Second {
			t.Fatalf("5 s after revoke the key still gets %d", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-served
}
