package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL cluster owned by one test: its own data folder
// and port, so the test may stop and start it without disturbing others.
type Postgres struct {
	Port    int
	dir     string // data + socket folder, owned by the cluster's OS user
	binDir  string
	asUser  string // "postgres" when running as root, else ""
	logFile string
}

// postgresBinDir finds initdb and pg_ctl: RGRID_PG_BIN, then the newest
// /usr/lib/postgresql/*/bin, then PATH.
func postgresBinDir() (string, error) {
	if d := os.Getenv("RGRID_PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		sort.Strings(matches)
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("initdb not found (set RGRID_PG_BIN): %w", err)
	}
	return filepath.Dir(p), nil
}

// StartPostgres creates a fresh cluster in a temporary folder, starts it on
// a free port and removes it at cleanup. As root, initdb and pg_ctl run as
// the postgres user, since PostgreSQL refuses to run as root.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		SkipOrFail(tb, "own PostgreSQL cluster: %v", err)
	}
	// Not tb.TempDir: its parents are 0700 root, which the postgres user cannot enter.
	dir, err := os.MkdirTemp("", "rgrid-pg-")
	if err != nil {
		tb.Fatalf("make cluster dir: %v", err)
	}
	p := &Postgres{dir: dir, binDir: bin, logFile: filepath.Join(dir, "postgres.log")}
	tb.Cleanup(func() {
		_ = p.pgctl("stop", "-m", "immediate", "-w", "-t", "10")
		if tb.Failed() {
			if b, err := os.ReadFile(p.logFile); err == nil {
				tb.Logf("postgres log:\n%s", tail(string(b), 4000))
			}
		}
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			SkipOrFail(tb, "running as root and there is no postgres user to run initdb as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatalf("chown cluster dir: %v", err)
		}
		p.asUser = "postgres"
	}
	if out, err := p.run(filepath.Join(bin, "initdb"), "-D", p.dataDir(), "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Port = FreePort(tb)
	p.Start(tb)
	return p
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

func (p *Postgres) run(name string, args ...string) ([]byte, error) {
	if p.asUser != "" {
		args = append([]string{"-u", p.asUser, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(context.Background(), name, args...) //nolint:gosec // PostgreSQL tools with fixed arguments
	cmd.Dir = p.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (p *Postgres) pgctl(args ...string) error {
	args = append([]string{"-D", p.dataDir()}, args...)
	out, err := p.run(filepath.Join(p.binDir, "pg_ctl"), args...)
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w\n%s", args, err, out)
	}
	return nil
}

// Start starts the cluster (again) on its port and waits until it accepts
// connections.
func (p *Postgres) Start(tb testing.TB) {
	tb.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", p.Port, p.dir)
	if err := p.pgctl("start", "-w", "-t", "30", "-l", p.logFile, "-o", opts); err != nil {
		tb.Fatalf("start PostgreSQL: %v", err)
	}
}

// Stop stops the cluster with the given pg_ctl mode (fast or immediate).
func (p *Postgres) Stop(tb testing.TB, mode string) {
	tb.Helper()
	if err := p.pgctl("stop", "-m", mode, "-w", "-t", "30"); err != nil {
		tb.Fatalf("stop PostgreSQL: %v", err)
	}
}

// URL returns the connection URL of database db.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// NewDatabase creates a database in the cluster and returns its URL.
func (p *Postgres) NewDatabase(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		tb.Fatalf("connect to own PostgreSQL: %v", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	return p.URL(name)
}
