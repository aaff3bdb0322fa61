package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stageindex/stageindex/internal/loopback"
)

// ErrNoPostgres is returned by StartCluster when no initdb can be found.
var ErrNoPostgres = errors.New("pgtest: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or in PATH; install the postgresql package, or set STAGEINDEX_SKIP_PG=1 to skip these tests")

// Cluster is a throwaway PostgreSQL cluster: its own data directory, a
// private unix socket directory and a TCP port on 127.0.0.1, trust auth,
// durability off for speed. It can be stopped and started again to test
// clients that must survive a server restart.
type Cluster struct {
	bin    string // directory holding initdb and pg_ctl
	dir    string // temp dir: data/, sock/, log
	port   int
	runAs  string // "postgres" when we are root, since postgres refuses root
	uid    int
	gid    int
	closed bool
}

// StartCluster creates, configures and starts a new cluster. Close it.
func StartCluster(ctx context.Context) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs a postgres user to run the server: %w", err)
		}
		c.runAs = "postgres"
		c.uid, _ = strconv.Atoi(u.Uid)
		c.gid, _ = strconv.Atoi(u.Gid)
	}
	if c.dir, err = os.MkdirTemp("", "stageindex-pgtest-"); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := c.init(ctx); err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	// The free port is found by binding and releasing it, so another process
	// may take it in between: retry with a new one.
	for attempt := 0; ; attempt++ {
		if err = c.configurePort(); err == nil {
			if err = c.Start(ctx); err == nil {
				return c, nil
			}
		}
		if attempt == 2 {
			os.RemoveAll(c.dir)
			return nil, err
		}
	}
}

// findBin returns the bin directory of the newest PostgreSQL under
// /usr/lib/postgresql (Debian's layout), else the one of initdb in PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	type cand struct {
		dir string
		ver float64
	}
	var cands []cand
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err != nil {
			continue
		}
		cands = append(cands, cand{d, v})
	}
	if len(cands) > 0 {
		sort.Slice(cands, func(i, j int) bool { return cands[i].ver > cands[j].ver })
		return cands[0].dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *Cluster) sockDir() string { return filepath.Join(c.dir, "sock") }
func (c *Cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// run runs a PostgreSQL tool from c.bin, as the postgres user when root.
func (c *Cluster) run(ctx context.Context, tool string, args ...string) error {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running with our pipes open unless it
	// logs to a file (-l), which every call here does; WaitDelay bounds the
	// damage if that ever changes.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", tool, strings.Join(args, " "), err, out.String())
	}
	return nil
}

func (c *Cluster) init(ctx context.Context) error {
	for _, d := range []string{c.dir, c.sockDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if c.runAs != "" {
			if err := os.Chown(d, c.uid, c.gid); err != nil {
				return fmt.Errorf("pgtest: %w", err)
			}
		}
	}
	return c.run(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
}

// configurePort picks a free port and writes the server settings. Settings
// appended later override earlier ones, so rewriting on retry is fine.
func (c *Cluster) configurePort() error {
	port, err := loopback.FreePort()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	c.port = port
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 200
logging_collector = off
`, c.port, c.sockDir())
	// Appending keeps the file's owner (postgres) and mode.
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return fmt.Errorf("pgtest: %w", err)
	}
	return f.Close()
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(c.logFile())
		return fmt.Errorf("%w\nserver log:\n%s", err, tail(log, 2000))
	}
	return nil
}

// Stop stops the server in "fast" mode: open sessions are terminated, so
// clients see their connections drop, but committed data is kept. (An
// immediate stop would lose recent commits here, since the cluster runs with
// synchronous_commit and fsync off.)
func (c *Cluster) Stop(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

// Close stops the server if it runs and removes every file of the cluster.
func (c *Cluster) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Not running is the only expected failure; anything else shows up as
	// a leftover directory that RemoveAll below still cleans.
	_ = c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("pgtest: remove cluster: %w", err)
	}
	return nil
}

// Tool returns the path of a client program (pg_dump, psql) of the same
// PostgreSQL version as the cluster.
func (c *Cluster) Tool(name string) string { return filepath.Join(c.bin, name) }

// Port returns the TCP port the server listens on, on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// CreateDatabase creates database name on c and returns its URL. name is
// the caller's constant or made of [a-z0-9_]: an identifier cannot be a
// parameter.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return c.DSN(name), nil
}

// DSN returns a postgres URL for database db as superuser postgres.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
