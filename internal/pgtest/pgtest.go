// Package pgtest gives tests a fresh, empty PostgreSQL database on a real
// server: the one DATABASE_URL points at, or else a throwaway cluster that
// the test binary starts once and removes when it exits.
//
// A package using New must call Main from its TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// SkipEnv is the environment variable that, set to 1, turns "no PostgreSQL
// binaries" into skipped tests instead of failures. CI never sets it.
const SkipEnv = "STAGEINDEX_SKIP_PG"

// shared is the cluster of this test binary, started by the first New and
// closed by Main. It is the package's only state: set up once, then read.
var shared struct {
	main    bool // Main is running the tests
	once    sync.Once
	cluster *Cluster
	err     error
}

// Main runs the tests of m, then removes the cluster New may have started,
// and exits with the tests' status.
func Main(m *testing.M) {
	shared.main = true
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// New returns the URL of a new empty database, dropped when t ends. Without
// PostgreSQL binaries it fails t, or skips it when STAGEINDEX_SKIP_PG=1.
func New(t testing.TB) string {
	t.Helper()
	if admin := os.Getenv("DATABASE_URL"); admin != "" {
		return createDB(t, admin)
	}
	if !shared.main {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main(m), which removes the throwaway cluster")
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.cluster, shared.err = StartCluster(ctx)
	})
	if shared.err != nil {
		failOrSkip(t, shared.err)
	}
	return createDB(t, shared.cluster.DSN("postgres"))
}

// NewCluster starts a private cluster for t, closed when t ends. Use it
// for tests that stop and restart the server; others should use New.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx)
	if err != nil {
		failOrSkip(t, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// CreateDB creates a new empty database on c, dropped when t ends, and
// returns its URL.
func (c *Cluster) CreateDB(t testing.TB) string {
	t.Helper()
	return createDB(t, c.DSN("postgres"))
}

func failOrSkip(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoPostgres) && os.Getenv(SkipEnv) == "1" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// createDB creates a uniquely named database on the server of adminURL and
// returns adminURL pointing at it.
func createDB(t testing.TB, adminURL string) string {
	t.Helper()
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("pgtest: bad server URL: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "stageindex_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer admin.Close(ctx)
	// Identifiers cannot be parameters; name is ours, made of [a-z0-9_].
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDB(t, adminURL, name) })
	u.Path = "/" + name
	return u.String()
}

func dropDB(t testing.TB, adminURL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		// A test that stopped its server leaves nothing to drop.
		t.Logf("pgtest: drop %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	// FORCE ends sessions a test left open (PostgreSQL 13+).
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database: %v", err)
	}
}
