package models

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/rgrid/rgrid/api/internal/database"
	"github.com/rgrid/rgrid/tests/testenv"
)

// column is what the test compares between a row struct and a table.
type column struct {
	Name     string
	Nullable bool
}

// TestRowsMatchSchema proves that the GORM row types and the migrated schema
// agree, column for column and on nullability, in both dialects.
func TestRowsMatchSchema(t *testing.T) {
	rows := []any{&accountRow{}, &apiKeyRow{}}
	for _, d := range []database.Dialect{database.Postgres, database.SQLite} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := "sqlite://" + filepath.Join(t.TempDir(), "rgrid.db")
			if d == database.Postgres {
				url = testenv.NewDatabase(t)
			}
			db, err := database.Open(ctx, database.Options{URL: url})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			require.NoError(t, db.MigrateUp(ctx))

			for _, row := range rows {
				stmt := &gorm.Statement{DB: db.Gorm()}
				require.NoError(t, stmt.Parse(row))
				table := stmt.Schema.Table
				t.Run(table, func(t *testing.T) {
					var want []column
					for _, f := range stmt.Schema.Fields {
						if f.DBName == "" {
							continue
						}
						want = append(want, column{Name: f.DBName, Nullable: nullable(f.FieldType)})
					}
					got := tableColumns(t, db, table)
					sortColumns(want)
					sortColumns(got)
					assert.Equal(t, got, want, "row type and migrated table differ")
				})
			}
		})
	}
}

// nullable reports whether a Go field type can hold SQL NULL.
func nullable(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		return true
	}
	switch t {
	case reflect.TypeFor[sql.NullString](), reflect.TypeFor[sql.NullTime](), reflect.TypeFor[sql.NullInt64]():
		return true
	}
	return false
}

func tableColumns(t *testing.T, db *database.DB, table string) []column {
	t.Helper()
	var cols []column
	if db.Dialect() == database.Postgres {
		var rows []struct {
			ColumnName string
			IsNullable string
		}
		require.NoError(t, db.Gorm().Raw(`SELECT column_name, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ?`, table).Scan(&rows).Error)
		for _, r := range rows {
			cols = append(cols, column{Name: r.ColumnName, Nullable: r.IsNullable == "YES"})
		}
		return cols
	}
	var rows []struct {
		Name    string
		Notnull int
		Pk      int
	}
	require.NoError(t, db.Gorm().Raw(`SELECT name, "notnull", pk FROM pragma_table_info(?)`, table).Scan(&rows).Error)
	for _, r := range rows {
		// An INTEGER PRIMARY KEY is the rowid: never NULL though not declared so.
		cols = append(cols, column{Name: r.Name, Nullable: r.Notnull == 0 && r.Pk == 0})
	}
	return cols
}

func sortColumns(c []column) {
	sort.Slice(c, func(i, j int) bool { return c[i].Name < c[j].Name })
}
