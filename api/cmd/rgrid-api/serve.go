package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/api/internal/config"
	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/common"
)

func serveCommand(e *env) *cli.Command {
	return withUsage(&cli.Command{
		Name:  "serve",
		Usage: "run the API server (settings from DATABASE_URL, MINIO_* and RGRID_*)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "migrate", Usage: "apply pending database migrations before serving"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			cfg, err := config.Load(e.getenv)
			if err != nil {
				return err
			}
			logger := middleware.NewLogger(e.stdout, cfg.LogLevel, "api")
			logger.Info("starting rgrid-api", "version", common.Version, "config", cfg)

			// Bind first: a busy port must fail before the database is
			// migrated or the bucket created.
			ln, err := listen(c.Context, cfg.HTTPAddr,
				fmt.Sprintf("set RGRID_HTTP_ADDR to another address (for example RGRID_HTTP_ADDR=%s)", nextPort(cfg.HTTPAddr)))
			if err != nil {
				logger.Error("cannot start: cannot listen", "addr", cfg.HTTPAddr, "error", err)
				return err
			}
			db, err := openDatabase(c.Context, cfg.DatabaseURL, cfg, logger)
			if err != nil {
				_ = ln.Close()
				logger.Error("cannot start: database unavailable", "error", err)
				return err
			}
			if err := checkOrMigrate(c.Context, db, c.Bool("migrate")); err != nil {
				_ = ln.Close()
				_ = db.Close()
				logger.Error("cannot start: database schema", "error", err)
				return err
			}
			st := connectStorage(c.Context, cfg.Storage, logger)
			s, err := newServer(cfg, logger, db, st)
			if err != nil {
				_ = ln.Close()
				_ = db.Close()
				return fmt.Errorf("cannot start: %w", err)
			}
			return s.run(c.Context, ln, nil)
		},
	})
}
