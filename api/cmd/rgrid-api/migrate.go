package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/api/internal/database"
)

func migrateCommand(e *env) *cli.Command {
	open := func(c *cli.Context) (*database.DB, error) {
		url, cfg, err := adminDatabaseURL(e, c.String(dataDirFlag.Name))
		if err != nil {
			return nil, err
		}
		cfg.DBPoolMin = min(cfg.DBPoolMin, 1)
		return openDatabase(c.Context, url, cfg, nil)
	}
	return withUsage(&cli.Command{
		Name:   "migrate",
		Usage:  "change or show the database schema version",
		Action: groupAction,
		Subcommands: []*cli.Command{
			{
				Name:  "up",
				Usage: "apply every migration not yet applied",
				Flags: []cli.Flag{dataDirFlag},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					db, err := open(c)
					if err != nil {
						return err
					}
					defer func() { _ = db.Close() }()
					if err := db.MigrateUp(c.Context); err != nil {
						return err
					}
					v, _, err := db.MigrateVersion(c.Context)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "Database schema is at version %d (latest).\n", v)
					return nil
				},
			},
			{
				Name:  "down",
				Usage: "revert every migration (drops all RGrid tables and their data; asks first unless --yes)",
				Flags: []cli.Flag{dataDirFlag,
					&cli.BoolFlag{Name: "yes", Usage: "drop without asking (required when stdin is not a terminal)"}},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					yes := c.Bool("yes")
					if !yes && !e.interactive {
						return usagef("migrate down drops every RGrid table and all its data; there is no terminal to confirm on, so add --yes to do it")
					}
					db, err := open(c)
					if err != nil {
						return err
					}
					defer func() { _ = db.Close() }()
					if !yes && !confirm(e, fmt.Sprintf("Drop every RGrid table and all its data in %s?", db.Target())) {
						return errors.New("cancelled: nothing was changed")
					}
					if err := db.MigrateDown(c.Context); err != nil {
						return err
					}
					fmt.Fprintln(e.stdout, "Database schema reverted: no RGrid tables remain.")
					return nil
				},
			},
			{
				Name:  "version",
				Usage: "print the schema version of the database",
				Flags: []cli.Flag{dataDirFlag, jsonFlag},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					db, err := open(c)
					if err != nil {
						return err
					}
					defer func() { _ = db.Close() }()
					v, dirty, err := db.MigrateVersion(c.Context)
					if err != nil {
						return err
					}
					latest, err := database.LatestVersion(db.Dialect())
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, map[string]any{"version": v, "dirty": dirty, "latest": latest})
					}
					state := "up to date"
					switch {
					case dirty:
						state = "dirty: a migration failed half-way"
					case v < latest:
						state = "out of date: run rgrid-api migrate up"
					}
					fmt.Fprintf(e.stdout, "Schema version %d of %d (%s).\n", v, latest, state)
					return nil
				},
			},
		},
	})
}

// confirm asks question on stderr and reads the answer from stdin: only
// "y" or "yes" (any case) is a yes.
func confirm(e *env, question string) bool {
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}
