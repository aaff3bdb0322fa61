package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/changestream"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

// TestCrashConsistency runs a real `stageindex serve` with a data dir while
// offers change fast (edits, moves between départements, unpublish and
// republish, deletes and inserts), kill -9s it at a random moment, restarts
// it, lets it catch up with the writes paused, stops it, and compares its
// index with the database, offer by offer and shard by shard (stageindex
// verify): there must be no difference at all, after every kill.
//
// STAGEINDEX_CRASH_ROUNDS (default 3), _OFFERS (2,000) and _RATE (changes
// per second, 1,000) scale it; `make crashtest` runs the long version.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	rounds, nOffers, rate := envInt("STAGEINDEX_CRASH_ROUNDS", 3), envInt("STAGEINDEX_CRASH_OFFERS", 2000), envInt("STAGEINDEX_CRASH_RATE", 1000)
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "stageindex")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := pgtest.New(t)
	if _, err := run(ctx, []string{"migrate", "--database-url", dsn}, quietLogger()); err != nil {
		t.Fatal(err)
	}
	cfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO offers (id, title, description, employer_name, tracks,
			zipcode, city, department, latitude, longitude, weeks, published_at)
		SELECT 'c-' || i, 'Stage ' || i, 'Découverte du métier', 'Employeur ' || i, '{generale}',
			'22000', 'Saint-Brieuc', '22', 48.5151, -2.7684, '{2030-W10}', '2026-01-01T00:00:00Z'
		FROM generate_series(1, $1) AS i`, nOffers); err != nil {
		t.Fatal(err)
	}

	ids := make([]string, nOffers)
	for i := range ids {
		ids[i] = "c-" + strconv.Itoa(i+1)
	}
	w := &changestream.Writer{Pool: pool, IDs: ids, Rate: rate, Rand: rand.New(rand.NewPCG(1, 2))}
	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	go func() {
		if err := w.Run(wctx); err != nil {
			panic(err)
		}
	}()

	dataDir := filepath.Join(dir, "data")
	addr := freeAddr(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var kills, differences int
	for round := 1; round <= rounds; round++ {
		srv := startServe(t, bin, dsn, addr, dataDir)
		// Kill while it builds, reopens, repairs or syncs: anywhere.
		w.Resume()
		if round > 1 || rng.IntN(2) == 0 {
			waitHTTP(t, addr, 120*time.Second)
		}
		time.Sleep(time.Duration(100+rng.IntN(2500)) * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		kills++
		paused := w.Pause()

		srv = startServe(t, bin, dsn, addr, dataDir)
		waitCaughtUp(t, addr, paused, 120*time.Second)
		srv.Process.Signal(syscall.SIGTERM)
		if err := srv.Wait(); err != nil {
			t.Errorf("round %d: serve exited with %v after SIGTERM, want 0", round, err)
		}
		var out bytes.Buffer
		v := exec.Command(bin, "verify", "--database-url", dsn, "--data-dir", dataDir)
		v.Stdout, v.Stderr = &out, os.Stderr
		v.Env = cleanEnv()
		verr := v.Run()
		var rep indexer.VerifyReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("round %d: verify: %v, %v: %s", round, verr, err, out.String())
		}
		d := rep.Missing + rep.Stale + rep.Extra + rep.Stray + rep.Unindexed + rep.BadSlots + rep.Untrusted
		differences += d
		t.Logf("round %d: %d changes written so far; index %d offers, database %d expected; differences %d %v",
			round, w.Changes(), rep.Offers, rep.Expected, d, rep.Examples)
		if rep.Identity != "" {
			t.Errorf("round %d: identity: %s", round, rep.Identity)
		}
	}
	stopWriter()
	t.Logf("%d kill -9 at random moments, %d changes at ~%d/s over %d offers: %d differences", kills, w.Changes(), rate, nOffers, differences)
	if differences != 0 {
		t.Fatalf("%d differences between the index and the database after the kills", differences)
	}
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// cleanEnv is the environment without the variables serve reads, so that
// a developer's settings do not leak into the test's processes.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STAGEINDEX_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

func startServe(t *testing.T, bin, dsn, addr, dataDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--database-url", dsn, "--addr", addr, "--data-dir", dataDir,
		"--poll-interval", "500ms", "--reconcile-schedule", "", "--retire-schedule", "")
	cmd.Env = cleanEnv()
	logs, err := os.OpenFile(filepath.Join(filepath.Dir(dataDir), "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

type readyz struct {
	Ready bool `json:"ready"`
	Sync  struct {
		LastSync   time.Time `json:"last_sync"`
		LagSeconds float64   `json:"lag_seconds"`
	} `json:"sync"`
}

func getReadyz(addr string) (readyz, int) {
	var r readyz
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return r, 0
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&r)
	return r, resp.StatusCode
}

// waitHTTP waits until the server answers /readyz with 200.
func waitHTTP(t *testing.T, addr string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, code := getReadyz(addr); code == 200 {
			return
		}
	}
	t.Fatalf("serve not ready after %v", within)
}

// waitCaughtUp waits until a poll that started after the writes paused has
// succeeded: the index then holds every change.
func waitCaughtUp(t *testing.T, addr string, paused time.Time, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, code := getReadyz(addr); code == 200 && r.Sync.LastSync.After(paused) && r.Sync.LagSeconds == 0 {
			return
		}
	}
	t.Fatalf("serve did not catch up within %v", within)
}
