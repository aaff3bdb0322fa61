package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds stageindex into the test's temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stageindex")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuf collects a process's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDemo starts `stageindex serve` in demo mode with args and waits
// until it is ready; its output (stdout and stderr) goes to logs.
func startDemo(t *testing.T, bin, addr string, logs io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHTTP(t, addr, 60*time.Second)
	return cmd
}

// trickle sends a search whose 20-byte body arrives one byte per step:
// a request in flight for 20 steps. It returns the status and whether the
// answer asked to close the connection.
func trickle(addr string, step time.Duration) (int, bool, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /api/v1/offers?q=boulanger HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"); err != nil {
		return 0, false, err
	}
	for range 20 {
		time.Sleep(step)
		if _, err := c.Write([]byte{'x'}); err != nil {
			return 0, false, err
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, false, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Contains(body, []byte(`"total"`)) {
		return resp.StatusCode, resp.Close, fmt.Errorf("incomplete answer (%v): %.100s", err, body)
	}
	return resp.StatusCode, resp.Close, nil
}

// TestSIGTERMDrains: a real serve gets SIGTERM with slow requests in
// flight (bodies trickling in over 2 s) and an idle keep-alive connection:
// it stops accepting at once, answers every request in flight in full
// (with Connection: close), and exits 0 once they are done. With a drain
// time shorter than a request, it exits 0 within that time, cutting it.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)

	t.Run("drained", func(t *testing.T) {
		addr := freeAddr(t)
		var logs syncBuf
		srv := startDemo(t, bin, addr, &logs)
		idle, err := net.Dial("tcp", addr) // keep-alive, idle after one request
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("keep-alive request: %v", err)
		}
		type result struct {
			status int
			closed bool
			err    error
		}
		const n = 6
		results := make(chan result, n)
		for range n {
			go func() {
				s, cl, err := trickle(addr, 100*time.Millisecond)
				results <- result{s, cl, err}
			}()
		}
		time.Sleep(500 * time.Millisecond) // every request is in flight
		start := time.Now()
		srv.Process.Signal(syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Error("a new connection was accepted after SIGTERM")
		}
		for range n {
			r := <-results
			if r.err != nil || r.status != 200 || !r.closed {
				t.Errorf("request in flight: status %d, Connection: close %v, err %v", r.status, r.closed, r.err)
			}
		}
		err = srv.Wait()
		took := time.Since(start)
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0\n%s", err, logs.String())
		}
		if took > 5*time.Second {
			t.Errorf("exit %v after SIGTERM with requests of 1.5 s left", took)
		}
		if !strings.Contains(logs.String(), "requests drained") {
			t.Errorf("no drain in the logs:\n%s", logs.String())
		}
		t.Logf("SIGTERM with %d requests in flight (1.5 s left each) and an idle connection: exit 0 after %v", n, took.Round(time.Millisecond))
	})

	t.Run("bounded", func(t *testing.T) {
		addr := freeAddr(t)
		var logs syncBuf
		srv := startDemo(t, bin, addr, &logs, "--drain-timeout", "1s")
		done := make(chan error, 1)
		go func() { _, _, err := trickle(addr, 300*time.Millisecond); done <- err }() // 6 s
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		srv.Process.Signal(syscall.SIGTERM)
		err := srv.Wait()
		took := time.Since(start)
		if err != nil {
			t.Errorf("serve exited with %v, want 0", err)
		}
		if took > 3*time.Second {
			t.Errorf("exit %v after SIGTERM with --drain-timeout 1s", took)
		}
		if !strings.Contains(logs.String(), "are cut") {
			t.Errorf("the cut request is not logged:\n%s", logs.String())
		}
		<-done
		t.Logf("a 6 s request in flight, --drain-timeout 1s: exit 0 after %v", took.Round(time.Millisecond))
	})
}

// TestServeLogsNoSecrets runs a real serve, sends it a hostile run whose
// every request carries planted secrets (query, path, Cookie, Referer,
// X-Forwarded-For, User-Agent, Authorization, body), malformed and huge
// requests among them, and greps everything the process wrote: no secret,
// no client address. /metrics is on --metrics-addr only.
func TestServeLogsNoSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	var logs syncBuf
	srv := startDemo(t, bin, addr, &logs, "--metrics-addr", metricsAddr, "--trusted-proxies", "127.0.0.0/8", "--rate-limit", "5", "--rate-burst", "5")

	secrets := []string{"Q-SECRET-7731", "12 rue du Secret", "COOKIE-SECRET", "REFERER-SECRET", "203.0.113.77",
		"UA-SECRET", "PATH-SECRET", "BODY-SECRET", "AUTH-SECRET"}
	headers := "Host: x\r\nCookie: session=COOKIE-SECRET\r\nReferer: https://example.org/REFERER-SECRET\r\n" +
		"X-Forwarded-For: 203.0.113.77\r\nUser-Agent: UA-SECRET\r\nConnection: close\r\n"
	q := url.QueryEscape(strings.Repeat("boulangerie patisserie ", 12) + "Q-SECRET-7731")
	where := url.QueryEscape("12 rue du Secret")
	raws := []string{
		"GET /api/v1/offers?q=" + q + "&where=" + where + " HTTP/1.1\r\n" + headers + "\r\n",
		"GET /api/v1/offers?where=" + where + " HTTP/1.1\r\n" + headers + "\r\n",
		"GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Authorization: Bearer AUTH-SECRET\r\n\r\n",
		"GET /PATH-SECRET HTTP/1.1\r\n" + headers + "\r\n",
		"GET /api/v1/offers/PATH-SECRET HTTP/1.1\r\n" + headers + "\r\n",
		"GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1 PATH-SECRET\r\n" + headers + "\r\n",
		"GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "COOKIE-SECRET\r\n\r\n",
		"GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Cookie: " + strings.Repeat("COOKIE-SECRET", 3000) + "\r\n\r\n",
		"GET /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 99999999\r\n\r\nBODY-SECRET",
		"BREW /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "\r\n",
		"POST /api/v1/offers?q=Q-SECRET-7731 HTTP/1.1\r\n" + headers + "Content-Length: 11\r\n\r\nBODY-SECRET",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfcCOOKIE-SECRET\r\n\r\n",
	}
	var answers strings.Builder
	for round := range 5 { // past the rate limit too
		for _, raw := range raws {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, raw)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b, _ := io.ReadAll(io.LimitReader(c, 1<<16))
			c.Close()
			if round == 0 && !bytes.Contains(b, []byte("application/problem+json")) {
				t.Errorf("%.50q: not a problem: %.300s", raw, b)
			}
			answers.Write(b)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("public /metrics: %v %v, want 404", resp.StatusCode, err)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics on --metrics-addr: %v", err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(m, []byte("stageindex_http_requests_total")) {
		t.Errorf("/metrics on --metrics-addr: %.200s", m)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Errorf("exit %v", err)
	}
	out := logs.String()
	for _, line := range strings.Split(out, "\n") {
		for _, sec := range append(secrets, "session=") {
			if strings.Contains(line, sec) {
				t.Errorf("a log line holds %q: %s", sec, line)
			}
		}
		// The clients' address; the server's own is logged once it listens.
		if strings.Contains(line, "127.0.0.1") && !strings.Contains(line, "listening") {
			t.Errorf("a log line holds an address: %s", line)
		}
	}
	for _, sec := range secrets[2:] { // q and where may come back in errors[]
		if strings.Contains(answers.String(), sec) {
			t.Errorf("an answer holds %q", sec)
		}
	}
	lines := strings.Count(out, "\n")
	if testing.Verbose() {
		t.Log(out)
	}
	if !strings.Contains(out, "request rejected") {
		t.Errorf("no rejection logged:\n%s", out)
	}
	t.Logf("%d requests, %d log lines, none holding a secret", 5*len(raws), lines)
}

// TestEmptyScheduleVariableDisables: STAGEINDEX_*_SCHEDULE set to ""
// disables the pass, as an empty flag does; unset, it takes the default.
func TestEmptyScheduleVariableDisables(t *testing.T) {
	for _, v := range []string{"STAGEINDEX_RECONCILE_SCHEDULE", "STAGEINDEX_RETIRE_SCHEDULE", "STAGEINDEX_PRUNE_SCHEDULE"} {
		t.Setenv(v, "")
	}
	fs, cfg, err := newFlags("serve")
	if err != nil || fs.Parse(nil) != nil {
		t.Fatal(err)
	}
	if cfg.reconcileSchedule != "" || cfg.retireSchedule != "" || cfg.pruneSchedule != "" {
		t.Errorf("schedules %q %q %q, want all disabled", cfg.reconcileSchedule, cfg.retireSchedule, cfg.pruneSchedule)
	}
	t.Setenv("STAGEINDEX_RECONCILE_SCHEDULE", "@every 5m")
	fs, cfg, _ = newFlags("serve")
	fs.Parse(nil)
	if cfg.reconcileSchedule != "@every 5m" {
		t.Errorf("reconcile schedule %q", cfg.reconcileSchedule)
	}
}

func TestUnsetScheduleVariableTakesTheDefault(t *testing.T) {
	for _, v := range []string{"STAGEINDEX_RECONCILE_SCHEDULE", "STAGEINDEX_PRUNE_SCHEDULE"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	fs, cfg, err := newFlags("serve")
	if err != nil || fs.Parse(nil) != nil {
		t.Fatal(err)
	}
	if cfg.reconcileSchedule != "@every 10m" || cfg.pruneSchedule != "@every 1h" {
		t.Errorf("defaults %q %q", cfg.reconcileSchedule, cfg.pruneSchedule)
	}
}
