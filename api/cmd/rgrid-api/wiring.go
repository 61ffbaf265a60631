package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/api/internal/config"
	"github.com/rgrid/rgrid/api/internal/database"
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
)

// devDatabaseFile is the SQLite file of a dev data folder.
const devDatabaseFile = "rgrid.db"

var dataDirFlag = &cli.StringFlag{
	Name:  "data-dir",
	Usage: "act on the dev-mode data folder `DIR` (its SQLite database) instead of DATABASE_URL",
}

// sqliteURL returns the database URL of the dev data folder dir.
func sqliteURL(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data folder %s: %w", dir, err)
	}
	return "sqlite://" + filepath.ToSlash(filepath.Join(abs, devDatabaseFile)), nil
}

// adminDatabaseURL picks the database an admin or migrate command acts on:
// the dev data folder when --data-dir is given, else DATABASE_URL.
func adminDatabaseURL(e *env, dataDir string) (string, config.Config, error) {
	cfg, err := config.Load(e.getenv)
	if dataDir != "" {
		if fi, serr := os.Stat(dataDir); serr != nil || !fi.IsDir() {
			return "", config.Config{}, fmt.Errorf("%s is not a dev data folder (start `rgrid-api dev --data-dir %s` once to create it)", dataDir, dataDir)
		}
		u, uerr := sqliteURL(dataDir)
		if err != nil { // the environment is irrelevant here; keep the defaults
			cfg = config.Config{DBPoolMin: 1, DBPoolMax: 4}
		}
		return u, cfg, uerr
	}
	if err != nil {
		return "", config.Config{}, err
	}
	return cfg.DatabaseURL, cfg, nil
}

// openDatabase opens the database at url with the pool size of cfg.
func openDatabase(ctx context.Context, url string, cfg config.Config, logger *slog.Logger) (*database.DB, error) {
	poolMin := cfg.DBPoolMin
	if poolMin == 0 { // RGRID_DB_POOL_MIN=0: open connections only on use
		poolMin = database.PoolMinNone
	}
	db, err := database.Open(ctx, database.Options{
		URL: url, PoolMin: poolMin, PoolMax: cfg.DBPoolMax, Logger: logger,
	})
	if err != nil {
		if errors.Is(err, database.ErrUnreachable) && !strings.HasPrefix(url, "sqlite") {
			return nil, fmt.Errorf("%w; is PostgreSQL running and DATABASE_URL right?", err)
		}
		return nil, err
	}
	return db, nil
}

// openAdmin opens the database for an admin command, checks its schema and
// returns the admin service on it; closeDB releases the database.
func openAdmin(c *cli.Context, e *env) (admin *services.Admin, closeDB func(), err error) {
	url, cfg, err := adminDatabaseURL(e, c.String(dataDirFlag.Name))
	if err != nil {
		return nil, nil, err
	}
	cfg.DBPoolMin = min(cfg.DBPoolMin, 2)
	db, err := openDatabase(c.Context, url, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := db.CheckSchema(c.Context); err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return services.NewAdmin(models.NewStore(db.Gorm())), func() { _ = db.Close() }, nil
}
