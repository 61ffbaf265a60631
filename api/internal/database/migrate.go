package database

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	migratedb "github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// migrationsTable is golang-migrate's bookkeeping table.
const migrationsTable = "schema_migrations"

// ErrSchemaOutOfDate is matched (errors.Is) by CheckSchema's error when the
// database is not at the schema version this binary was built with.
var ErrSchemaOutOfDate = errors.New("database schema is out of date")

// SchemaError says how the database's schema differs from the binary's.
// It matches ErrSchemaOutOfDate.
type SchemaError struct {
	Current uint // version in the database; 0 when never migrated
	Latest  uint // version this binary's migrations reach
	Dirty   bool // a migration failed half-way at Current
}

// Error tells the operator what to run.
func (e *SchemaError) Error() string {
	switch {
	case e.Dirty:
		return fmt.Sprintf("%s: a migration to version %d failed half-way (dirty); repair the database, then run `rgrid-api migrate up`", ErrSchemaOutOfDate, e.Current)
	case e.Current > e.Latest:
		return fmt.Sprintf("database schema version %d is newer than this rgrid-api knows (%d): upgrade rgrid-api", e.Current, e.Latest)
	case e.Current == 0:
		return fmt.Sprintf("%s: the database has no schema yet (latest is version %d); run `rgrid-api migrate up` or start with `rgrid-api serve --migrate`", ErrSchemaOutOfDate, e.Latest)
	default:
		return fmt.Sprintf("%s: version %d, latest is %d; run `rgrid-api migrate up` or start with `rgrid-api serve --migrate`", ErrSchemaOutOfDate, e.Current, e.Latest)
	}
}

// Is makes errors.Is(err, ErrSchemaOutOfDate) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaOutOfDate }

// MigrateUp applies every migration not yet applied. It does nothing when the
// schema is already at the latest version. ctx is checked before starting;
// once begun, migrations run to the end rather than stop half-way.
func (db *DB) MigrateUp(ctx context.Context) error {
	err := db.runMigration(ctx, "migrate up", func(m *migrate.Migrate) error { return m.Up() })
	if err != nil {
		return err
	}
	v, _, _ := db.MigrateVersion(ctx)
	db.logger.InfoContext(ctx, "database schema up to date", "target", db.target, "version", v)
	return nil
}

// MigrateDown reverts every migration, leaving an empty schema. Like
// MigrateUp, it is not interrupted once begun.
func (db *DB) MigrateDown(ctx context.Context) error {
	err := db.runMigration(ctx, "migrate down", func(m *migrate.Migrate) error { return m.Down() })
	if err != nil {
		return err
	}
	db.logger.InfoContext(ctx, "database schema reverted", "target", db.target)
	return nil
}

// MigrateVersion returns the schema version of the database (0 when never
// migrated) and whether a migration failed half-way. It changes nothing.
func (db *DB) MigrateVersion(ctx context.Context) (version uint, dirty bool, err error) {
	var exists bool
	switch db.dialect {
	case Postgres:
		err = db.sql.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1)`,
			migrationsTable).Scan(&exists)
	default:
		err = db.sql.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)`,
			migrationsTable).Scan(&exists)
	}
	if err != nil {
		return 0, false, fmt.Errorf("read schema version of %s: %w", db.target, err)
	}
	if !exists {
		return 0, false, nil
	}
	var v int64
	err = db.sql.QueryRowContext(ctx, `SELECT version, dirty FROM `+migrationsTable+` LIMIT 1`).Scan(&v, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read schema version of %s: %w", db.target, err)
	case v < 0: // golang-migrate's NilVersion, written when a first migration failed
		return 0, dirty, nil
	}
	return uint(v), dirty, nil
}

// LatestVersion is the schema version the embedded migrations of dialect d
// reach.
func LatestVersion(d Dialect) (uint, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations/"+string(d))
	if err != nil {
		return 0, fmt.Errorf("read %s migrations: %w", d, err)
	}
	var latest uint
	for _, e := range entries {
		m, err := source.DefaultParse(e.Name())
		if err != nil {
			return 0, fmt.Errorf("read %s migrations: %s: %w", d, e.Name(), err)
		}
		latest = max(latest, m.Version)
	}
	return latest, nil
}

// CheckSchema returns nil when the database is at the latest schema version,
// and otherwise a *SchemaError (matching ErrSchemaOutOfDate) that names the
// command to run.
func (db *DB) CheckSchema(ctx context.Context) error {
	latest, err := LatestVersion(db.dialect)
	if err != nil {
		return err
	}
	current, dirty, err := db.MigrateVersion(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if dirty || current != latest {
		return &SchemaError{Current: current, Latest: latest, Dirty: dirty}
	}
	return nil
}

// runMigration runs fn on a golang-migrate instance bound to a pool of its
// own: closing the instance closes that pool, never db's.
func (db *DB) runMigration(ctx context.Context, op string, fn func(*migrate.Migrate) error) (err error) {
	// golang-migrate takes no context. Its GracefulStop channel races
	// (v4.20.1, seen with -race), so ctx is checked before starting only: a
	// migration, once begun, runs to its end rather than stopping half-way.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s on %s: %w", op, db.target, err)
	}
	m, err := db.newMigrate()
	if err != nil {
		return fmt.Errorf("%s on %s: %w", op, db.target, err)
	}
	defer func() {
		srcErr, dbErr := m.Close()
		if err == nil {
			err = errors.Join(srcErr, dbErr)
			if err != nil {
				err = fmt.Errorf("%s on %s: close: %w", op, db.target, err)
			}
		}
	}()

	if err := fn(m); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("%s on %s: %w", op, db.target, err)
	}
	return nil
}

func (db *DB) newMigrate() (*migrate.Migrate, error) {
	src, err := iofs.New(migrationFiles, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, fmt.Errorf("load embedded migrations: %w", err)
	}
	own, err := sql.Open(db.driver, db.dsn)
	if err != nil {
		_ = src.Close()
		return nil, fmt.Errorf("open migration connection: %w", err)
	}
	own.SetMaxOpenConns(2)
	var drv migratedb.Driver
	switch db.dialect {
	case Postgres:
		drv, err = migratepgx.WithInstance(own, &migratepgx.Config{MigrationsTable: migrationsTable})
	default:
		drv, err = migratesqlite.WithInstance(own, &migratesqlite.Config{MigrationsTable: migrationsTable})
	}
	if err != nil {
		_ = own.Close()
		_ = src.Close()
		return nil, fmt.Errorf("prepare migration driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, string(db.dialect), drv)
	if err != nil {
		_ = drv.Close()
		_ = src.Close()
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	m.Log = migrateLogger{l: db.logger.With("component", "migrate")}
	return m, nil
}

// migrateLogger adapts slog to golang-migrate's logger.
type migrateLogger struct{ l *slog.Logger }

func (m migrateLogger) Printf(format string, v ...any) {
	m.l.Info(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (m migrateLogger) Verbose() bool { return false }
