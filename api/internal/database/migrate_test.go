package database

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/tests/testenv"
)

// tables lists the user tables of db (without golang-migrate's own).
func tables(t *testing.T, db *DB) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' ORDER BY table_name`
	if db.Dialect() == SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name`
	}
	var names []string
	require.NoError(t, db.Gorm().Raw(q).Scan(&names).Error)
	return names
}

func TestMigrateUpDownUp(t *testing.T) {
	all := []string{"account_memberships", "accounts", "api_keys", "users"}
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := mustOpen(t, d, Options{})
			latest, err := LatestVersion(d)
			require.NoError(t, err)
			require.Equal(t, uint(1), latest)

			steps := []struct {
				name    string
				run     func(context.Context) error
				version uint
				tables  []string
			}{
				{"up", db.MigrateUp, latest, all},
				{"up again is a no-op", db.MigrateUp, latest, all},
				{"down", db.MigrateDown, 0, nil},
				{"down again is a no-op", db.MigrateDown, 0, nil},
				{"up after down", db.MigrateUp, latest, all},
			}
			for _, s := range steps {
				require.NoError(t, s.run(ctx), s.name)
				v, dirty, err := db.MigrateVersion(ctx)
				require.NoError(t, err, s.name)
				assert.Equal(t, s.version, v, s.name)
				assert.False(t, dirty, s.name)
				assert.Equal(t, s.tables, tables(t, db), s.name)
				// golang-migrate closes its own pool, never the shared one.
				require.NoError(t, db.Ping(ctx), "shared pool after %s", s.name)
			}
		})
	}
}

func TestCheckSchema(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := mustOpen(t, d, Options{})

			// Un-migrated: out of date, names the command, creates nothing.
			err := db.CheckSchema(ctx)
			require.ErrorIs(t, err, ErrSchemaOutOfDate)
			var se *SchemaError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, SchemaError{Current: 0, Latest: 1}, *se)
			assert.Contains(t, err.Error(), "rgrid-api migrate up")
			assert.Contains(t, err.Error(), "--migrate")
			assert.Empty(t, tables(t, db))
			v, dirty, err := db.MigrateVersion(ctx)
			require.NoError(t, err)
			assert.Zero(t, v)
			assert.False(t, dirty)

			require.NoError(t, db.MigrateUp(ctx))
			require.NoError(t, db.CheckSchema(ctx))

			// Dirty: a migration failed half-way.
			require.NoError(t, db.Gorm().Exec(`UPDATE schema_migrations SET dirty = ?`, true).Error)
			err = db.CheckSchema(ctx)
			require.ErrorIs(t, err, ErrSchemaOutOfDate)
			assert.Contains(t, err.Error(), "dirty")

			// Newer than this binary: refuse, and say to upgrade.
			require.NoError(t, db.Gorm().Exec(`UPDATE schema_migrations SET dirty = ?, version = ?`, false, 99).Error)
			err = db.CheckSchema(ctx)
			require.ErrorIs(t, err, ErrSchemaOutOfDate)
			assert.Contains(t, err.Error(), "upgrade rgrid-api")

			// Emptied table (what golang-migrate leaves after a full down).
			require.NoError(t, db.Gorm().Exec(`DELETE FROM schema_migrations`).Error)
			require.ErrorIs(t, db.CheckSchema(ctx), ErrSchemaOutOfDate)
		})
	}
}

func TestSchemaErrorMessages(t *testing.T) {
	tests := []struct {
		err  SchemaError
		want string
	}{
		{SchemaError{Current: 0, Latest: 2}, "no schema yet"},
		{SchemaError{Current: 1, Latest: 2}, "version 1, latest is 2; run `rgrid-api migrate up`"},
		{SchemaError{Current: 1, Latest: 1, Dirty: true}, "dirty"},
		{SchemaError{Current: 3, Latest: 2}, "upgrade rgrid-api"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Contains(t, tt.err.Error(), tt.want)
			assert.ErrorIs(t, &tt.err, ErrSchemaOutOfDate)
		})
	}
}

func TestMigrateCancelled(t *testing.T) {
	db := mustOpen(t, SQLite, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.MigrateUp(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestMigrateOnClosedDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{URL: newURL(t, Postgres)})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	assert.Error(t, db.CheckSchema(ctx))
	assert.Error(t, db.Ping(ctx))
	_, _, err = db.MigrateVersion(ctx)
	assert.Error(t, err)
}

// TestMigrateLogOneComponent: golang-migrate's lines ("1/u init (2ms)") go
// through the rgrid logger with one component key, "migrate", not the
// server's "api" repeated after it.
func TestMigrateLogOneComponent(t *testing.T) {
	var logs testenv.SyncBuffer
	db := mustOpen(t, SQLite, Options{Logger: middleware.NewLogger(&logs, slog.LevelDebug, "api")})
	require.NoError(t, db.MigrateUp(context.Background()))
	require.NoError(t, db.MigrateDown(context.Background()))
	out := logs.String()
	assert.Contains(t, out, `"message":"1/u init`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		assert.Equal(t, 1, strings.Count(line, `"component":`), "one component per line: %s", line)
		if strings.Contains(line, `"message":"1/`) {
			assert.Contains(t, line, `"component":"migrate"`)
		}
	}
}
