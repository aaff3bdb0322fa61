package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stageindex/stageindex/internal/loopback"
)

// needHAProxy skips without haproxy, except under CI, where
// scripts/setup.sh installs it and its absence is a failure.
func needHAProxy(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("haproxy not installed (scripts/setup.sh test installs it)")
		}
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
}

// TestHAProxyRetriesOnAnotherReplica runs HAProxy with the stack's
// configuration in front of two replicas: one that closes every search
// connection without answering (as a replica killed mid-request does) and
// one that answers, plus one that is not ready. Every request must succeed,
// served by the good one, and the stats must show the retries.
func TestHAProxyRetriesOnAnotherReplica(t *testing.T) {
	needHAProxy(t)
	var badHits, goodHits atomic.Int64
	var badXFF atomic.Value
	ready := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/readyz" {
			io.WriteString(w, `{"ready":true}`)
			return true
		}
		return false
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready(w, r) {
			return
		}
		badHits.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer bad.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready(w, r) {
			return
		}
		goodHits.Add(1)
		// HAProxy adds the address it got the request from, after the
		// client's own X-Forwarded-For.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) != 2 || !strings.HasPrefix(xff[0], "198.1") || xff[1] != "127.0.0.1" {
			badXFF.Store(strings.Join(xff, " | "))
		}
		io.WriteString(w, `{"total":1}`)
	}))
	defer good.Close()
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer notReady.Close()

	dir := t.TempDir()
	frontend, err := loopback.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{dir: dir, frontend: frontend, statsSock: filepath.Join(dir, "haproxy.sock"), log: t.Logf,
		replicas: []*replica{{name: "bad"}, {name: "good"}, {name: "notready"}}}
	cfg := filepath.Join(dir, "haproxy.cfg")
	conf := haproxyConfig(frontend, s.statsSock, []haproxyServer{
		{"bad", strings.TrimPrefix(bad.URL, "http://")},
		{"good", strings.TrimPrefix(good.URL, "http://")},
		{"notready", strings.TrimPrefix(notReady.URL, "http://")},
	})
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// startHAProxy waits for every server UP; notready never is.
	s.replicas = s.replicas[:2]
	if err := s.startHAProxy(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.serverStates()
		if err == nil && strings.HasPrefix(st["notready"].Status, "DOWN") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notready not marked down: %v %v", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := newClient(4)
	for i := range 40 {
		if err := client.get("http://" + frontend + "/api/v1/offers?q=" + string(rune('a'+i%26))); err != nil {
			t.Fatalf("request %d through HAProxy: %v", i, err)
		}
	}
	if goodHits.Load() != 40 || badHits.Load() == 0 {
		t.Errorf("good served %d of 40, bad was tried %d times; want 40 and some", goodHits.Load(), badHits.Load())
	}
	if v := badXFF.Load(); v != nil {
		t.Errorf("X-Forwarded-For %q, want the client's then HAProxy's 127.0.0.1", v)
	}
	st, err := s.serverStates()
	if err != nil {
		t.Fatal(err)
	}
	if st["bad"].Retries+st["bad"].Redispatches == 0 {
		t.Errorf("no retry counted on bad: %+v", st["bad"])
	}
}

func TestParseStats(t *testing.T) {
	in := "# pxname,svname,qcur,status,wretr,wredis,econ,eresp\n" +
		"www,FRONTEND,,OPEN,,,,\n" +
		"stageindex,r1,0,UP,3,7,1,2\n" +
		"stageindex,r2,0,DOWN,0,0,0,0\n" +
		"stageindex,BACKEND,0,UP,3,7,1,2\n"
	got, err := parseStats([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]serverStat{
		"r1": {Status: "UP", Retries: 3, Redispatches: 7, ConnErrors: 1, RespErrors: 2},
		"r2": {Status: "DOWN"},
	}
	if len(got) != len(want) || got["r1"] != want["r1"] || got["r2"] != want["r2"] {
		t.Errorf("parseStats = %+v, want %+v", got, want)
	}
	if _, err := parseStats([]byte("Unknown command\n")); err == nil {
		t.Error("no error on an answer without the header")
	}
}

func TestTitleWord(t *testing.T) {
	for in, want := range map[string]string{
		"Hôtel de la Gare - Tourisme - Découverte des métiers": "découverte",
		"MACIF Lannion":   "lannion",
		"":                "",
		"Aide-soignant·e": "aide-soignant·e",
	} {
		if got := titleWord(in); got != want {
			t.Errorf("titleWord(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(d, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if percentile(nil, 50) != 0 || !slices.IsSorted(d) {
		t.Error("empty input")
	}
}

func TestReopenSeconds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.log")
	old := `{"time":"t","level":"INFO","msg":"index reopened","dir":"d","offers":3,"xmin":1,"seconds":9.5}` + "\n"
	cur := `{"time":"t","level":"INFO","msg":"listening","addr":"x"}` + "\n" +
		`{"time":"t","level":"INFO","msg":"index reopened","dir":"d","offers":3,"xmin":1,"seconds":1.25}` + "\n"
	if err := os.WriteFile(path, []byte(old+cur), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := reopenSeconds(path, int64(len(old)), 0); got != 1.25 {
		t.Errorf("reopenSeconds = %v, want 1.25 (the reopen after the offset)", got)
	}
	if got := reopenSeconds(path, int64(len(old+cur)), 0); got != 0 {
		t.Errorf("nothing after the offset: %v", got)
	}
}
