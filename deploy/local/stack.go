package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/internal/loopback"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/procstatus"
)

// stack is everything `make replicas` runs on loopback: a throwaway
// PostgreSQL cluster, N `stageindex serve` processes with their own data
// dirs, and HAProxy in front of them.
type stack struct {
	dir       string // working directory: binary, data dirs, logs, haproxy.cfg
	bin       string // the stageindex binary built for this run
	cluster   *pgtest.Cluster
	dsn       string
	replicas  []*replica
	haproxy   *exec.Cmd
	hapDone   chan struct{}
	frontend  string // host:port HAProxy listens on
	statsSock string
	inMemory  bool // replicas without --data-dir
	log       func(format string, args ...any)
}

// stackOptions shapes a stack.
type stackOptions struct {
	Dir      string // "" for a new temporary directory, removed by close
	Replicas int
	Corpus   string // JSON lines to import; "" for the embedded demo offers
	Port     int    // HAProxy's port; 0 for a free one
	HAProxy  bool   // false: replicas only (capacity runs)
	InMemory bool   // replicas without --data-dir: every start rebuilds
	Log      func(format string, args ...any)
}

// startStack builds the binary, starts PostgreSQL, migrates and imports,
// starts the replicas, waits until they are all ready, then starts HAProxy.
// On error it closes what it started.
func startStack(ctx context.Context, o stackOptions) (s *stack, err error) {
	s = &stack{dir: o.Dir, log: o.Log, inMemory: o.InMemory}
	if s.log == nil {
		s.log = func(string, ...any) {}
	}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "stageindex-replicas-"); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.bin = filepath.Join(s.dir, "stageindex")
	s.log("building stageindex into %s", s.bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/stageindex")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("go build: %w", err)
	}
	s.log("starting PostgreSQL")
	if s.cluster, err = pgtest.StartCluster(ctx); err != nil {
		return s, err
	}
	if s.dsn, err = s.cluster.CreateDatabase(ctx, "stageindex"); err != nil {
		return s, err
	}
	if err := s.runTool(ctx, "migrate", "--database-url", s.dsn); err != nil {
		return s, err
	}
	if o.Corpus != "" {
		s.log("importing %s", o.Corpus)
		t0 := time.Now()
		if err := s.runTool(ctx, "import", "--database-url", s.dsn, o.Corpus); err != nil {
			return s, err
		}
		s.log("imported in %.1f s", time.Since(t0).Seconds())
	} else if err := s.importDemo(ctx); err != nil {
		return s, err
	}
	for range o.Replicas {
		// One at a time: two cores cannot build three indexes at once any
		// faster, and the build time of one replica is a figure we report.
		if _, err := s.addReplica(ctx); err != nil {
			return s, err
		}
	}
	if !o.HAProxy {
		return s, nil
	}
	if o.Port != 0 {
		s.frontend = net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	} else if s.frontend, err = loopback.FreeAddr(); err != nil {
		return s, err
	}
	s.statsSock = filepath.Join(s.dir, "haproxy.sock")
	cfg := filepath.Join(s.dir, "haproxy.cfg")
	var servers []haproxyServer
	for _, r := range s.replicas {
		servers = append(servers, haproxyServer{Name: r.name, Addr: r.addr})
	}
	if err := os.WriteFile(cfg, []byte(haproxyConfig(s.frontend, s.statsSock, servers)), 0o644); err != nil {
		return s, err
	}
	if err := s.startHAProxy(ctx, cfg); err != nil {
		return s, err
	}
	return s, nil
}

// addReplica starts one more replica with an empty data dir and waits
// until it is ready: its first build.
func (s *stack) addReplica(ctx context.Context) (*replica, error) {
	n := len(s.replicas) + 1
	r := &replica{
		name: fmt.Sprintf("r%d", n), bin: s.bin, dsn: s.dsn,
		logPath: filepath.Join(s.dir, fmt.Sprintf("r%d.log", n)),
	}
	if !s.inMemory {
		r.dataDir = filepath.Join(s.dir, fmt.Sprintf("r%d-data", n))
	}
	var err error
	if r.addr, err = loopback.FreeAddr(); err != nil {
		return nil, err
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	s.replicas = append(s.replicas, r)
	if r.firstBuild, err = r.waitReady(ctx, 15*time.Minute); err != nil {
		return nil, err
	}
	s.log("%s ready on %s: first build %.1f s", r.name, r.addr, r.firstBuild.Seconds())
	return r, nil
}

// runTool runs the stageindex binary to completion (migrate, import).
func (s *stack) runTool(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 { // import: some lines rejected
		s.log("stageindex %s: some lines rejected:\n%s", args[0], tail(out, 1500))
		return nil
	}
	if err != nil {
		return fmt.Errorf("stageindex %s: %w\n%s", args[0], err, tail(out, 3000))
	}
	return nil
}

// importDemo imports the embedded demo offers (their weeks moved to come,
// as serve's demo mode does), written to a file for `stageindex import`.
func (s *stack) importDemo(ctx context.Context) error {
	s.log("importing the embedded demo offers")
	offers, err := demo.Offers(time.Now())
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, "demo.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, o := range offers {
		if err := enc.Encode(o); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return s.runTool(ctx, "import", "--database-url", s.dsn, path)
}

func (s *stack) startHAProxy(ctx context.Context, cfg string) error {
	check := exec.CommandContext(ctx, "haproxy", "-c", "-q", "-f", cfg)
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("haproxy -c: %w\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(s.dir, "haproxy.log"))
	if err != nil {
		return err
	}
	// -db: stay in the foreground, so that it is our child to stop.
	s.haproxy = exec.Command("haproxy", "-db", "-f", cfg)
	s.haproxy.Stdout, s.haproxy.Stderr = logf, logf
	s.haproxy.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.haproxy.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("haproxy: %w (apt-get install haproxy)", err)
	}
	s.hapDone = make(chan struct{})
	go func() { s.haproxy.Wait(); logf.Close(); close(s.hapDone) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.serverStates()
		if err == nil && s.allUp(st) {
			s.log("haproxy on %s, %d replicas up", s.frontend, len(st))
			return nil
		}
		select {
		case <-s.hapDone:
			return fmt.Errorf("haproxy exited: see %s", filepath.Join(s.dir, "haproxy.log"))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy: replicas not up after 10 s (%v, %v)", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allUp reports whether HAProxy routes to every replica.
func (s *stack) allUp(st map[string]serverStat) bool {
	for _, r := range s.replicas {
		if st[r.name].Status != "UP" {
			return false
		}
	}
	return true
}

// serverStat is one backend server's line of HAProxy's "show stat".
type serverStat struct {
	Status       string // UP, DOWN, …
	Retries      int    // wretr: requests retried on another attempt
	Redispatches int    // wredis: retries sent to another server
	ConnErrors   int    // econ
	RespErrors   int    // eresp
}

// serverStates asks HAProxy's stats socket for the backend's servers.
func (s *stack) serverStates() (map[string]serverStat, error) {
	c, err := net.DialTimeout("unix", s.statsSock, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return nil, err
	}
	return parseStats(b)
}

// parseStats reads the CSV of "show stat": a header line "# pxname,svname,…"
// then one line per proxy and server.
func parseStats(b []byte) (map[string]serverStat, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		return nil, fmt.Errorf("haproxy stats: unexpected answer %q", tail(b, 200))
	}
	col := map[string]int{}
	for i, name := range strings.Split(strings.TrimPrefix(lines[0], "# "), ",") {
		col[name] = i
	}
	out := map[string]serverStat{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(f) {
				return f[i]
			}
			return ""
		}
		if get("pxname") != "stageindex" || get("svname") == "BACKEND" || get("svname") == "FRONTEND" {
			continue
		}
		n := func(name string) int { v, _ := strconv.Atoi(get(name)); return v }
		out[get("svname")] = serverStat{Status: get("status"), Retries: n("wretr"),
			Redispatches: n("wredis"), ConnErrors: n("econ"), RespErrors: n("eresp")}
	}
	return out, nil
}

// close stops HAProxy, the replicas and PostgreSQL, and removes the
// working directory unless keep.
func (s *stack) close() {
	if s.haproxy != nil && s.haproxy.Process != nil {
		s.haproxy.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.hapDone:
		case <-time.After(5 * time.Second):
			s.haproxy.Process.Kill()
			<-s.hapDone
		}
	}
	for _, r := range s.replicas {
		r.stop()
	}
	if s.cluster != nil {
		if err := s.cluster.Close(); err != nil {
			s.log("close PostgreSQL: %v", err)
		}
	}
}

// replica is one `stageindex serve` process.
type replica struct {
	name, bin, dsn, logPath, addr string
	dataDir                       string // "" in memory
	firstBuild                    time.Duration

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	started time.Time
}

// start starts the process (again), appending to its log.
func (r *replica) start() error {
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	// HAProxy and the bench's client are on 127.0.0.1: trusting it, a
	// replica rate-limits by the address X-Forwarded-For gives.
	args := []string{"serve", "--addr", r.addr, "--database-url", r.dsn, "--trusted-proxies", "127.0.0.1/32"}
	if r.dataDir != "" {
		args = append(args, "--data-dir", r.dataDir)
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Killed with us if we die without stopping it (a closed pipe, kill -9).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("%s: %w", r.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done, r.started = cmd, done, time.Now()
	r.mu.Unlock()
	return nil
}

// pid returns the process id, 0 when not running.
func (r *replica) pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil || r.cmd.Process == nil {
		return 0
	}
	select {
	case <-r.done:
		return 0
	default:
	}
	return r.cmd.Process.Pid
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (r *replica) kill() error {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s is not running", r.name)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("%s: kill: %w", r.name, err)
	}
	<-done
	return nil
}

// signal sends sig to the running process.
func (r *replica) signal(sig os.Signal) error {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return fmt.Errorf("%s is not running", r.name)
	}
	return cmd.Process.Signal(sig)
}

// stop ends the process gracefully (SIGTERM), killing it after 15 s.
func (r *replica) stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// readyz is the part of /readyz this tool reads.
type readyz struct {
	Ready bool `json:"ready"`
	Sync  struct {
		Offers         int     `json:"offers"`
		Connected      bool    `json:"connected"`
		LagSeconds     float64 `json:"lag_seconds"`
		ChangesApplied int64   `json:"changes_applied"`
		LastError      string  `json:"last_error"`
	} `json:"sync"`
}

// status reads /readyz; ok is its status being 200.
func (r *replica) status(ctx context.Context, client *client) (readyz, bool, error) {
	var st readyz
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+"/readyz", nil)
	if err != nil {
		return st, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return st, false, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, false, err
	}
	return st, resp.StatusCode == http.StatusOK, nil
}

// waitReady polls /readyz every 10 ms until it answers 200 and returns
// the time since the process started.
func (r *replica) waitReady(ctx context.Context, limit time.Duration) (time.Duration, error) {
	client := newClient(1)
	client.Timeout = time.Second
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		done, started := r.done, r.started
		r.mu.Unlock()
		select {
		case <-done:
			return 0, fmt.Errorf("%s exited: see %s", r.name, r.logPath)
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		if _, ok, err := r.status(ctx, client); err == nil && ok {
			return time.Since(started), nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s not ready after %v: see %s", r.name, limit, r.logPath)
}

// rss reads the resident set and its peak (VmRSS, VmHWM) of the process,
// in MB (10^6 bytes), from /proc.
func rss(pid int) (cur, peak float64, err error) {
	kb, err := procstatus.KB(pid)
	return kb["VmRSS"] * 1024 / 1e6, kb["VmHWM"] * 1024 / 1e6, err
}

// rssParts reads how the resident set of the process splits, in MB:
// anonymous memory (the Go heap, H3's C memory) and mapped files (the
// binary, the index's segment files).
func rssParts(pid int) (anon, file float64) {
	kb, _ := procstatus.KB(pid)
	return kb["RssAnon"] * 1024 / 1e6, kb["RssFile"] * 1024 / 1e6
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
