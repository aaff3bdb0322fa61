package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listen serves s on a loopback port until the test ends.
func listen(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// rawAnswer is what a server sent back to a raw request.
type rawAnswer struct {
	status int
	ctype  string
	allow  string
	body   string
	// silent: the connection was closed without a byte.
	silent bool
}

// sendRaw writes raw on a new connection (then waits, if pause > 0,
// before closing its write side) and reads the answer.
func sendRaw(t *testing.T, addr, raw string) rawAnswer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if raw != "" {
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); err != nil {
		return rawAnswer{silent: true}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: reading the answer: %v", raw[:min(len(raw), 60)], err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return rawAnswer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), allow: resp.Header.Get("Allow"), body: string(body)}
}

// TestHostileRequestsLeaveNoTrace sends what an attacker or a broken
// client sends, every request carrying planted secrets in its query,
// path, cookies, Referer, X-Forwarded-For, User-Agent and body: each gets
// our problem document with the right status, and no log line and no
// answer contains a secret.
func TestHostileRequestsLeaveNoTrace(t *testing.T) {
	var logs syncBuffer
	s := serverWith(t, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Limits = Limits{Rate: -1, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	})
	// A short read timeout, for the slow and the idle clients below.
	s.App().Server().ReadTimeout = 300 * time.Millisecond
	addr := listen(t, s)

	secrets := []string{"Q-SECRET-7731", "12 rue du Secret", "COOKIE-SECRET", "REFERER-SECRET",
		"203.0.113.77", "UA-SECRET", "PATH-SECRET", "BODY-SECRET", "ID-SECRET", "AUTH-SECRET"}
	headers := "Host: x\r\nCookie: session=COOKIE-SECRET\r\nReferer: https://example.org/?REFERER-SECRET\r\n" +
		"X-Forwarded-For: 203.0.113.77\r\nUser-Agent: UA-SECRET\r\n"
	longQ := url.QueryEscape(strings.Repeat("boulangerie ", 20) + "Q-SECRET-7731")
	where := url.QueryEscape("12 rue du Secret")
	tests := []struct {
		name   string
		raw    string
		status int // 0: closed silently
		allow  bool
	}{
		{"long query", "GET /api/v1/offers?q=" + longQ + "&where=" + where + " HTTP/1.1\r\n" + headers + "\r\n", 400, false},
		{"unknown address", "GET /api/v1/offers?where=" + where + "&q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "\r\n", 400, false},
		{"invalid UTF-8 in places", "GET /api/v1/places?q=%ff" + where + " HTTP/1.1\r\n" + headers + "\r\n", 400, false},
		{"bad key", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Authorization: Bearer AUTH-SECRET\r\n\r\n", 401, false},
		{"no such offer", "GET /api/v1/offers/ID-SECRET HTTP/1.1\r\n" + headers + "\r\n", 404, false},
		{"bad escape in id", "GET /api/v1/offers/%ZZID-SECRET HTTP/1.1\r\n" + headers + "\r\n", 400, false},
		{"no such page", "GET /PATH-SECRET/x?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "\r\n", 404, false},
		{"malformed request line", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1 PATH-SECRET\r\n" + headers + "\r\n", 400, false},
		{"header without colon", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "COOKIE-SECRET\r\n\r\n", 400, false},
		{"control byte in header", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "X-A: \x01COOKIE-SECRET\r\n\r\n", 400, false},
		{"huge header", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Cookie: " + strings.Repeat("COOKIE-SECRET", 3000) + "\r\n\r\n", 431, false},
		{"huge body", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 99999999\r\n\r\nBODY-SECRET", 413, false},
		{"unknown method", "BREW /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "\r\n", 405, true},
		{"POST on a GET route", "POST /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 11\r\n\r\nBODY-SECRET", 405, true},
		{"DELETE on an offer", "DELETE /api/v1/offers/ID-SECRET HTTP/1.1\r\n" + headers + "\r\n", 405, true},
		{"POST on a probe", "POST /healthz?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 11\r\n\r\nBODY-SECRET", 405, true},
		{"headers cut short", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers, 408, false},
		{"body cut short", "GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 100\r\n\r\nBODY-SECRET", 408, false},
		{"idle connection", "", 0, false},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfcCOOKIE-SECRET\r\n\r\n", 400, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := sendRaw(t, addr, tc.raw)
			switch {
			case tc.status == 0:
				if !a.silent {
					t.Errorf("answered %d %q, want the connection closed without a word", a.status, a.body)
				}
				return
			case a.silent:
				t.Fatalf("closed without an answer, want %d", tc.status)
			case a.status != tc.status:
				t.Errorf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.status != 200 && a.ctype != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json: %s", a.ctype, a.body)
			}
			if tc.status != 200 {
				var p map[string]any
				if err := json.Unmarshal([]byte(a.body), &p); err != nil || p["status"] != float64(tc.status) || p["title"] == "" {
					t.Errorf("not our problem document: %s", a.body)
				}
			}
			if tc.allow && a.allow != allowGet {
				t.Errorf("Allow %q, want %q", a.allow, allowGet)
			}
			// q and where may come back to their sender in errors[]
			// ("« 12 rue du Secret » is no known place"); nothing else.
			for _, sec := range secrets[2:] {
				if strings.Contains(a.body, sec) {
					t.Errorf("the answer repeats %q: %s", sec, a.body)
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // the last lines
	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 {
		t.Fatalf("only %d log lines: the run did not log its rejections\n%s", len(lines), out)
	}
	for _, line := range lines {
		for _, sec := range append(secrets, "COOKIE", "Referer", "127.0.0.1", "session=") {
			if strings.Contains(line, sec) {
				t.Errorf("a log line holds %q: %s", sec, line)
			}
		}
	}
	if !strings.Contains(out, `"q_len":`) || !strings.Contains(out, `"where_kind":"letters+digits"`) {
		t.Errorf("q and where are not described by length and kind:\n%s", out)
	}
	t.Logf("%d log lines, none with a secret; for instance:\n%s", len(lines), lines[0])
}

// TestRejectionsAreSampled: a flood of bad requests writes at most
// rejectLogRate lines a second, and the next line says how many it left
// out.
func TestRejectionsAreSampled(t *testing.T) {
	var logs syncBuffer
	s := serverWith(t, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	const n = 200
	for i := range n {
		get(t, s, fmt.Sprintf("/api/v1/offers?page=0&i=%d", i))
	}
	time.Sleep(250 * time.Millisecond) // a token or two comes back
	get(t, s, "/api/v1/offers?page=0")
	var written, dropped int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Msg     string `json:"msg"`
			Dropped int    `json:"dropped_since_last"`
			Params  string `json:"params"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if l.Msg == "request rejected" {
			written++
			dropped += l.Dropped
			if l.Params != "page:out_of_range" {
				t.Errorf("params %q, want page:out_of_range", l.Params)
			}
		}
	}
	if written > rejectLogBurst+5 || written < rejectLogBurst {
		t.Errorf("%d lines written for %d rejections, want about %d", written, n+1, rejectLogBurst)
	}
	if written+dropped != n+1 {
		t.Errorf("%d lines written + %d counted as dropped, want %d", written, dropped, n+1)
	}
	_, _, body := get(t, s, "/metrics")
	if !strings.Contains(string(body), "stageindex_log_lines_dropped_total ") {
		t.Error("/metrics does not count the dropped lines")
	}
}

func TestTextShape(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		kind string
	}{
		{"", 0, "empty"},
		{"22000", 5, "digits"},
		{"Saint-Brieuc", 12, "letters"},
		{"l'été", 5, "letters"},
		{"12 rue de la Paix", 17, "letters+digits"},
		{"a<b>", 4, "other"},
		{"\xff", 1, "invalid_utf8"},
	}
	for _, tc := range tests {
		if n, kind := textShape(tc.in); n != tc.n || kind != tc.kind {
			t.Errorf("textShape(%q) = %d, %s; want %d, %s", tc.in, n, kind, tc.n, tc.kind)
		}
	}
}
