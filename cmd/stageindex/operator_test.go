package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stageindex/stageindex/internal/pgtest"
)

// captureStdout runs f with os.Stdout redirected and returns what it wrote.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	defer func() {
		os.Stdout = saved
	}()
	f()
	w.Close()
	return <-out
}

func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in the help text
	}{
		{[]string{"help"}, []string{"serve", "migrate", "import FILE", "health"}},
		{[]string{"--help"}, []string{"serve", "migrate", "import FILE", "health"}},
		{[]string{"serve", "--help"}, []string{"-addr", "-data-dir", "-database-url", "-reconcile-schedule",
			"-retire-schedule", "-rebuild-schedule", "-poll-interval", "STAGEINDEX_POLL_INTERVAL", "-tiles-url", "STAGEINDEX_TILES_URL"}},
		{[]string{"serve", "-h"}, []string{"-poll-interval"}},
		{[]string{"migrate", "--help"}, []string{"-database-url"}},
		{[]string{"import", "--help"}, []string{"usage: stageindex import [flags] FILE", "-database-url"}},
		{[]string{"health", "--help"}, []string{"-addr", "-ready", "-timeout"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var code int
			var err error
			out := captureStdout(t, func() { code, err = run(context.Background(), tt.args, quietLogger()) })
			if code != 0 || err != nil {
				t.Fatalf("code %d err %v, want 0 and no error", code, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
		})
	}
	for _, args := range [][]string{{"serve", "--bogus"}, {"nope"}, {}, {"migrate", "--data-dir", "x"}} {
		var code int
		captureStdout(t, func() { code, _ = run(context.Background(), args, quietLogger()) })
		if code != 2 {
			t.Errorf("%q: code %d, want 2", args, code)
		}
	}
}

func TestProbeAddr(t *testing.T) {
	for in, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"0.0.0.0:8080":   "127.0.0.1:8080",
		"[::]:8080":      "[::1]:8080",
		"10.1.2.3:9000":  "10.1.2.3:9000",
		"localhost:8080": "localhost:8080",
	} {
		if got := probeAddr(in); got != want {
			t.Errorf("probeAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHealthStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte(`{"status":"ok"}`))
		case "/readyz":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"ready":false}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	closed := freeAddr(t) // nothing listens there any more
	tests := []struct {
		args    []string
		code    int
		errHas  string
		errNone bool
	}{
		{[]string{"health", "--addr", addr}, 0, "", true},
		{[]string{"health", "--addr", addr, "--ready"}, 1, "503", false},
		{[]string{"health", "--addr", closed}, 1, "refused", false},
		{[]string{"health", "--addr", closed, "--ready"}, 1, "refused", false},
	}
	for _, tt := range tests {
		code, err := run(context.Background(), tt.args, quietLogger())
		if code != tt.code || (err == nil) != tt.errNone || (err != nil && !strings.Contains(err.Error(), tt.errHas)) {
			t.Errorf("%q: code %d err %v; want code %d, error containing %q", tt.args, code, err, tt.code, tt.errHas)
		}
	}
}

// recorder is a slog handler keeping every record; on "listening" it
// dials the logged address at once, so the test knows whether the port was
// bound when the line was written.
type recorder struct {
	mu      sync.Mutex
	recs    []slog.Record
	dialErr error
	dialed  bool
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "listening" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "addr" {
				c, err := net.DialTimeout("tcp", a.Value.String(), time.Second)
				if err == nil {
					c.Close()
				}
				r.mu.Lock()
				r.dialed, r.dialErr = true, err
				r.mu.Unlock()
			}
			return true
		})
	}
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}

func (r *recorder) messages(minLevel slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.Level >= minLevel {
			out = append(out, rec.Message)
		}
	}
	return out
}

// TestServeLogsListeningOnceBound serves the demo offers: "listening" is
// logged with the bound address once it accepts connections, health
// probes pass, and a stop is logged from start to end.
func TestServeLogsListeningOnceBound(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	served := make(chan error, 1)
	go func() {
		_, err := run(ctx, []string{"serve", "--addr", addr, "--database-url", ""}, slog.New(rec))
		served <- err
	}()
	waitReady(t, "http://"+addr, served)
	rec.mu.Lock()
	dialed, dialErr := rec.dialed, rec.dialErr
	rec.mu.Unlock()
	if !dialed || dialErr != nil {
		t.Fatalf("at the \"listening\" line: dialed %v, err %v; want a bound port", dialed, dialErr)
	}
	for _, args := range [][]string{{"health", "--addr", addr}, {"health", "--addr", addr, "--ready"}} {
		if code, err := run(ctx, args, quietLogger()); code != 0 || err != nil {
			t.Errorf("%q: code %d err %v", args, code, err)
		}
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	msgs := rec.messages(slog.LevelInfo)
	if n := len(msgs); n < 4 || msgs[n-4] != "listening" || msgs[n-3] != "shutting down" || msgs[n-2] != "requests drained" || msgs[n-1] != "stopped" {
		t.Errorf("log ends with %q, want listening, shutting down, requests drained, stopped", msgs)
	}
}

// TestServeTakenPort fails at once, without serving, when the port is taken.
func TestServeTakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rec := &recorder{}
	_, err = run(context.Background(), []string{"serve", "--addr", l.Addr().String(), "--database-url", ""}, slog.New(rec))
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err %v, want address already in use", err)
	}
	if msgs := rec.messages(slog.LevelInfo); len(msgs) > 0 {
		t.Errorf("logged %q before failing", msgs)
	}
}

func TestImportRefusesUnmigratedDatabase(t *testing.T) {
	dsn := pgtest.New(t)
	// The file does not exist: a refusal that names migrate proves the
	// schema was checked before the input was opened.
	missing := filepath.Join(t.TempDir(), "offers.jsonl")
	code, err := run(context.Background(), []string{"import", "--database-url", dsn, missing}, quietLogger())
	if code != 1 || err == nil || !strings.Contains(err.Error(), "run stageindex migrate") {
		t.Fatalf("code %d err %v; want 1 and \"run stageindex migrate\"", code, err)
	}
}

// TestConnectErrorWithoutTLSAttempt connects without sslmode in the URL
// (pgx's default, prefer) to a real server without TLS and a database that
// does not exist: the logged error names the database, not the TLS attempt.
func TestConnectErrorWithoutTLSAttempt(t *testing.T) {
	u, err := url.Parse(pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = "" // drop sslmode=disable
	u.Path = "/no_such_database"
	_, err = run(context.Background(), []string{"migrate", "--database-url", u.String()}, quietLogger())
	if err == nil {
		t.Fatal("migrate on a missing database succeeded")
	}
	if !strings.Contains(err.Error(), tlsRefused) {
		t.Fatalf("pgx no longer reports the refused TLS attempt (%v): cleanConnectError can go", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: cleanErrAttr})).Error("stageindex failed", "err", err)
	var line struct{ Err string }
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line.Err, "tls error") || !strings.Contains(line.Err, `database "no_such_database" does not exist`) {
		t.Errorf("logged err %q, want the missing database and no tls error", line.Err)
	}
	// Errors that are not connection errors are logged as they are.
	if got := cleanConnectError(io.EOF); got != io.EOF {
		t.Errorf("cleanConnectError(EOF) = %v", got)
	}
}
