package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/api/internal/config"
	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/api/internal/services"
)

const (
	devEmail       = "dev@localhost"
	devStateFile   = "dev-account.json"
	devObjectsDir  = "objects"
	devDefaultDir  = ".rgrid-dev"
	devDefaultAddr = "127.0.0.1:8000"
)

// devState is what a dev data folder remembers about itself.
type devState struct {
	AccountID string `json:"account_id"`
}

func devCommand(e *env) *cli.Command {
	return withUsage(&cli.Command{
		Name:  "dev",
		Usage: "run the whole API on an embedded SQLite database and embedded S3 storage (127.0.0.1 only)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: devDefaultDir, Usage: "keep the database and objects in `DIR`"},
			&cli.BoolFlag{Name: "new-key", Usage: "mint and print a new API key for the dev account"},
			&cli.StringFlag{Name: "addr", Value: devDefaultAddr, Usage: "listen on `HOST:PORT` (a loopback host)"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runDev(c.Context, e, c.String("data-dir"), c.String("addr"), c.Bool("new-key"))
		},
	})
}

func runDev(ctx context.Context, e *env, dataDir, addr string, newKey bool) error {
	if err := checkLoopback(addr); err != nil {
		return err
	}
	level, err := config.ParseLogLevel(e.getenv("RGRID_LOG_LEVEL"))
	if err != nil {
		return usagef("RGRID_LOG_LEVEL: %v", err)
	}
	// Bind first: on a busy port nothing is created (the dev account and
	// its key would otherwise be made and never shown).
	next := nextPort(addr)
	ln, err := listen(ctx, addr, fmt.Sprintf("start on another port: --addr %s (make dev ARGS=\"--addr %s\")", next, next))
	if err != nil {
		return err
	}
	closeLn := true
	defer func() {
		if closeLn {
			_ = ln.Close()
		}
	}()
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("data folder %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	// JSON logs go to stderr; stdout carries only the banner.
	logger := middleware.NewLogger(e.stderr, level, "api")

	dbURL, err := sqliteURL(dir)
	if err != nil {
		return err
	}
	cfg := config.Config{DatabaseURL: dbURL, HTTPAddr: addr, LogLevel: level,
		DBPoolMin: 1, DBPoolMax: 8, ShutdownTimeout: config.DefaultShutdownTimeout}
	db, err := openDatabase(ctx, dbURL, cfg, logger)
	if err != nil {
		return err
	}
	if err := db.MigrateUp(ctx); err != nil {
		_ = db.Close()
		return fmt.Errorf("migrate the dev database: %w", err)
	}

	emb, err := startEmbeddedStorage(ctx, filepath.Join(dir, devObjectsDir), logger)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("start the embedded object storage: %w", err)
	}
	defer func() { _ = emb.Close() }()
	cfg.Storage = emb.Config()
	st := connectStorage(ctx, cfg.Storage, logger)

	s, err := newServer(cfg, logger, db, st)
	if err != nil {
		_ = db.Close()
		return err
	}
	acctID, key, err := ensureDevAccount(ctx, s.admin, dir, newKey)
	if err != nil {
		s.shutdownServices()
		return err
	}
	closeLn = false // s.run owns it now
	return s.run(ctx, ln, func(bound string) {
		printBanner(e, dir, bound, acctID, key)
	})
}

// ensureDevAccount returns the dev account of the data folder, creating it
// with a first key on first start. key is "" unless a key was minted now.
func ensureDevAccount(ctx context.Context, admin *services.Admin, dir string, newKey bool) (acctID, key string, err error) {
	statePath := filepath.Join(dir, devStateFile)
	var st devState
	b, err := os.ReadFile(statePath) //nolint:gosec // path inside the operator's data folder
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil || st.AccountID == "" {
			return "", "", fmt.Errorf("%s is damaged; delete the data folder %s to start over", statePath, dir)
		}
		if _, err := admin.GetAccount(ctx, st.AccountID); err != nil {
			return "", "", fmt.Errorf("the dev account %s is gone from %s (%w); delete the folder to start over", st.AccountID, dir, err)
		}
	case errors.Is(err, os.ErrNotExist):
		acct, err := admin.CreateAccount(ctx, devEmail)
		if err != nil {
			return "", "", fmt.Errorf("create the dev account: %w (if %s was copied without %s, delete the folder to start over)", err, dir, devStateFile)
		}
		st.AccountID = acct.ID
		b, _ := json.Marshal(st)
		if err := os.WriteFile(statePath, b, 0o600); err != nil {
			return "", "", fmt.Errorf("remember the dev account: %w", err)
		}
		newKey = true
	default:
		return "", "", fmt.Errorf("read %s: %w", statePath, err)
	}
	if !newKey {
		return st.AccountID, "", nil
	}
	created, err := admin.CreateKey(ctx, st.AccountID, "dev")
	if err != nil {
		return "", "", fmt.Errorf("create a dev API key: %w", err)
	}
	return st.AccountID, created.Plaintext, nil
}

// printBanner tells the user where the server is and what to run next. It
// is the only place the key is ever written: to stdout, once, never to logs.
func printBanner(e *env, dir, addr, acctID, key string) {
	url := "http://" + addr
	var b strings.Builder
	fmt.Fprintf(&b, "\nRGrid dev server is running at %s\n", url)
	fmt.Fprintf(&b, "  bound to %s only: dev mode is for this machine\n", addr)
	fmt.Fprintf(&b, "  data (SQLite database + objects): %s\n", dir)
	fmt.Fprintf(&b, "  dev account: %s (%s)\n\n", devEmail, acctID)
	if key != "" {
		fmt.Fprintf(&b, "Your API key (shown once; store it now):\n\n    %s\n\n", key)
	} else {
		fmt.Fprintf(&b, "Your API key is the one printed when this data folder was first started.\n")
		fmt.Fprintf(&b, "Lost it? Restart with --new-key to mint another.\n\n")
	}
	fmt.Fprintf(&b, "Next, in another terminal:\n\n    rgrid init --api-url %s\n    rgrid whoami\n\n", url)
	fmt.Fprintf(&b, "Stop with Ctrl-C; data stays in %s.\n", dir)
	_, _ = fmt.Fprint(e.stdout, b.String())
}

// checkLoopback refuses any listen address that is not on loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q is not HOST:PORT", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return usagef("dev mode listens on loopback only (for example 127.0.0.1:8000), not %q", addr)
	}
	return nil
}
