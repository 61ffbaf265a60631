package database

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/tests/testenv"
)

var dialects = []Dialect{Postgres, SQLite}

// newURL returns the URL of a fresh, empty database of dialect d, removed
// when the test ends.
func newURL(tb testing.TB, d Dialect) string {
	tb.Helper()
	if d == Postgres {
		return testenv.NewDatabase(tb)
	}
	return "sqlite://" + filepath.Join(tb.TempDir(), "rgrid.db")
}

// mustOpen opens a fresh, empty database of dialect d, closed at cleanup.
func mustOpen(tb testing.TB, d Dialect, opts Options) *DB {
	tb.Helper()
	opts.URL = newURL(tb, d)
	db, err := Open(context.Background(), opts)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, db.Close()) })
	return db
}

func TestOpenBothDialects(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := mustOpen(t, d, Options{PoolMin: 3, PoolMax: 7})
			assert.Equal(t, d, db.Dialect())
			assert.Equal(t, d == Postgres, db.Gorm().Name() == "postgres")
			require.NoError(t, db.Ping(context.Background()))
			st := db.SQL().Stats()
			assert.Equal(t, 7, st.MaxOpenConnections)
			assert.Equal(t, 3, st.Idle, "PoolMin connections are open and idle after Open")
			assert.NotContains(t, db.Target(), "postgres:postgres@")
		})
	}
}

// TestPoolKeepsBurstThenShrinksToMin: connections opened by a burst above
// PoolMin stay open (no close-and-reopen per request), and once the pool is
// quiet for ConnMaxIdleTime it shrinks back to PoolMin, not below.
func TestPoolKeepsBurstThenShrinksToMin(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			const poolMin, poolMax = 2, 8
			db := mustOpen(t, d, Options{PoolMin: poolMin, PoolMax: poolMax,
				ConnMaxIdleTime: 2 * time.Second, KeepWarmInterval: 100 * time.Millisecond})
			ctx := context.Background()
			st := db.SQL().Stats()
			assert.Equal(t, poolMin, st.OpenConnections, "PoolMin connections opened at start")
			assert.Equal(t, poolMin, st.Idle)

			burst := func() {
				conns := make([]*sql.Conn, poolMax)
				for i := range conns {
					c, err := db.SQL().Conn(ctx)
					require.NoError(t, err)
					require.NoError(t, c.PingContext(ctx))
					conns[i] = c
				}
				for _, c := range conns {
					require.NoError(t, c.Close())
				}
			}
			burst()
			st = db.SQL().Stats()
			assert.Equal(t, poolMax, st.Idle, "every connection of the burst stays open and idle")
			assert.Zero(t, st.MaxIdleClosed, "no connection closed for lack of idle room")

			// A second burst reuses them: nothing new is opened.
			burst()
			assert.Equal(t, poolMax, db.SQL().Stats().OpenConnections)
			assert.Zero(t, db.SQL().Stats().MaxIdleClosed)

			// Quiet: the extra connections expire; PoolMin stay, kept warm.
			require.Eventually(t, func() bool {
				return db.SQL().Stats().OpenConnections == poolMin
			}, 10*time.Second, 50*time.Millisecond, "the pool shrinks back to PoolMin")
			st = db.SQL().Stats()
			assert.Equal(t, int64(poolMax-poolMin), st.MaxIdleTimeClosed)
			// ...and stays there: the kept-warm ones outlive ConnMaxIdleTime.
			time.Sleep(2500 * time.Millisecond)
			st = db.SQL().Stats()
			assert.Equal(t, poolMin, st.OpenConnections, "PoolMin connections are kept warm")
			assert.Equal(t, int64(poolMax-poolMin), st.MaxIdleTimeClosed, "the kept-warm connections never expired")
		})
	}
}

// TestPoolReopensMinAfterLoss: when PoolMin connections are lost (here
// closed by the idle timer with the keeper not yet run, as after an
// outage), the keeper opens PoolMin again.
func TestPoolReopensMinAfterLoss(t *testing.T) {
	db := mustOpen(t, SQLite, Options{PoolMin: 3, PoolMax: 6, KeepWarmInterval: 100 * time.Millisecond})
	db.SQL().SetMaxIdleConns(0) // drops every idle connection now
	assert.Zero(t, db.SQL().Stats().OpenConnections)
	db.SQL().SetMaxIdleConns(6)
	require.Eventually(t, func() bool { return db.SQL().Stats().OpenConnections == 3 },
		5*time.Second, 20*time.Millisecond, "the keeper reopens PoolMin connections")
}

func TestPoolDefaults(t *testing.T) {
	o := withDefaults(Options{})
	assert.Equal(t, DefaultPoolMin, o.PoolMin)
	assert.Equal(t, DefaultPoolMax, o.PoolMax)
	assert.Equal(t, DefaultConnMaxIdleTime, o.ConnMaxIdleTime)
	assert.Equal(t, DefaultKeepWarmInterval, o.KeepWarmInterval)
	assert.Equal(t, 3, withDefaults(Options{PoolMax: 3}).PoolMin, "the default minimum never exceeds the maximum")
	assert.Equal(t, 0, withDefaults(Options{PoolMin: PoolMinNone}).PoolMin)
	o = withDefaults(Options{ConnMaxIdleTime: time.Second, KeepWarmInterval: time.Minute})
	assert.Equal(t, 500*time.Millisecond, o.KeepWarmInterval, "the keeper runs well inside the idle time")

	db := mustOpen(t, SQLite, Options{PoolMin: PoolMinNone})
	assert.LessOrEqual(t, db.SQL().Stats().OpenConnections, 1, "only the start-up ping's connection, no warm-up")
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "Close twice is harmless")
}

func TestSQLitePragmas(t *testing.T) {
	db := mustOpen(t, SQLite, Options{})
	ctx := context.Background()
	// Ask on several connections: pragmas must hold on each one.
	conns := make([]interface{ Close() error }, 0, 3)
	for range 3 {
		c, err := db.SQL().Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
		var fk, busy int
		var mode string
		require.NoError(t, c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		require.NoError(t, c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		require.NoError(t, c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		assert.Equal(t, 1, fk)
		assert.Equal(t, int(sqliteBusyTimeout.Milliseconds()), busy)
		assert.Equal(t, "wal", mode)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
}

func TestSQLiteConcurrentWriters(t *testing.T) {
	db := mustOpen(t, SQLite, Options{PoolMax: 8})
	ctx := context.Background()
	require.NoError(t, db.MigrateUp(ctx))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				errs <- err
				return
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n); err != nil {
				_ = tx.Rollback()
				errs <- err
				return
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO accounts (id, email) VALUES (?, ?)",
				"acct_"+string(rune('a'+i%26))+strings.Repeat("x", i), "e"+strings.Repeat("x", i)+"@x")
			if err != nil {
				_ = tx.Rollback()
				errs <- err
				return
			}
			errs <- tx.Commit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "read-then-write transactions must queue, not fail with SQLITE_BUSY")
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"empty url", Options{}, "empty"},
		{"unknown scheme", Options{URL: "mysql://u:pw@h/db"}, "not supported"},
		{"sqlite memory", Options{URL: "sqlite://:memory:"}, "file path"},
		{"sqlite no path", Options{URL: "sqlite://"}, "file path"},
		{"min above max", Options{URL: "sqlite:///tmp/x.db", PoolMin: 9, PoolMax: 3}, "pool min"},
		{"not a url", Options{URL: "postgres://u:se%cret@h/db"}, "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "se%cret")
			assert.NotContains(t, err.Error(), "u:pw")
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		dialect Dialect
		where   string
	}{
		{"postgres://u:pw@db.example:6543/rgrid?sslmode=disable", Postgres, "db.example:6543/rgrid"},
		{"postgresql://u@db.example/rgrid", Postgres, "db.example:5432/rgrid"},
		{"postgres:///rgrid", Postgres, "localhost:5432/rgrid"},
		{"sqlite:///abs/dir/rgrid.db", SQLite, "/abs/dir/rgrid.db"},
		{"sqlite://rel/dir/rgrid.db", SQLite, "rel/dir/rgrid.db"},
		{"sqlite:rel.db", SQLite, "rel.db"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := parseURL(tt.url)
			require.NoError(t, err)
			assert.Equal(t, tt.dialect, got.dialect)
			assert.Equal(t, tt.where, got.where)
			assert.NotContains(t, got.where, "pw")
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:hunter2@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db?password=hunter2&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"sqlite:///a/b.db", "sqlite:///a/b.db"},
		{"postgres://u:hu%zz@h/db", "(unparsable database URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, Redact(tt.in))
		})
	}
	err := errors.New("dial postgres://u:hunter2@h/db failed for hunter2")
	assert.NotContains(t, redactErr(err, "postgres://u:hunter2@h/db"), "hunter2")
	assert.NotContains(t, redactErr(errors.New("x hunter2"), "postgres://u@h/db?password=hunter2"), "hunter2")
}

// TestOpenRetry checks the start-up contract: 3 attempts with backoff, a
// clear error naming the host within ~10 s, never the password.
func TestOpenRetry(t *testing.T) {
	refusedAddr := testenv.RefusedAddr(t) // refuses connections at once
	silentAddr := testenv.SilentAddr(t)   // accepts, never answers: only timeouts end the wait

	tests := []struct {
		name     string
		addr     string
		min, max time.Duration
	}{
		// 1 s + 2 s of backoff between three refused attempts.
		{"connection refused", refusedAddr, 3 * time.Second, 5 * time.Second},
		// Three 2 s timeouts plus the same backoff: the ~10 s budget.
		{"no answer", silentAddr, 8 * time.Second, 10500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs testenv.SyncBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			url := "postgres://rgrid:s3cr3t-pw@" + tt.addr + "/rgrid?sslmode=disable"
			start := time.Now()
			db, err := Open(context.Background(), Options{URL: url, Logger: logger})
			took := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, db)
			assert.ErrorIs(t, err, ErrUnreachable)
			assert.Contains(t, err.Error(), tt.addr)
			assert.Contains(t, err.Error(), "3 attempts")
			assert.NotContains(t, err.Error(), "s3cr3t-pw")
			assert.NotContains(t, logs.String(), "s3cr3t-pw")
			assert.Equal(t, 2, strings.Count(logs.String(), "retrying"), logs.String())
			assert.GreaterOrEqual(t, took, tt.min)
			assert.LessOrEqual(t, took, tt.max)
		})
	}
}

func TestOpenRetryStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Open(ctx, Options{URL: "postgres://u:pw@127.0.0.1:1/db?sslmode=disable", Backoff: 5 * time.Second})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestOpenCreatesSQLiteDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "rgrid.db")
	db, err := Open(context.Background(), Options{URL: "sqlite://" + path})
	require.NoError(t, err)
	assert.Equal(t, path, db.Target())
	require.NoError(t, db.Close())
}

// TestOpenRecoversOnLaterAttempt starts the database (a proxy to the real
// PostgreSQL) only after the first attempt failed: Open must succeed.
func TestOpenRecoversOnLaterAttempt(t *testing.T) {
	dbURL := testenv.NewDatabase(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	upstream := u.Host

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // refused until the proxy starts

	go func() {
		time.Sleep(300 * time.Millisecond)
		pl, err := net.Listen("tcp", addr)
		if err != nil {
			return
		}
		t.Cleanup(func() { _ = pl.Close() })
		for {
			c, err := pl.Accept()
			if err != nil {
				return
			}
			go proxy(c, upstream)
		}
	}()

	u.Host = addr
	var logs testenv.SyncBuffer
	db, err := Open(context.Background(), Options{
		URL:     u.String(),
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
		Backoff: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	assert.Contains(t, logs.String(), "retrying")
	assert.Contains(t, logs.String(), "database connected")
}

func proxy(c net.Conn, upstream string) {
	defer func() { _ = c.Close() }()
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer func() { _ = up.Close() }()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// fakePostgres answers every startup message with one FATAL error of the
// given SQLSTATE, as a PostgreSQL that refuses the login does.
func fakePostgres(t *testing.T, code, message string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				var n [4]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				size := int(n[0])<<24 | int(n[1])<<16 | int(n[2])<<8 | int(n[3])
				if _, err := io.CopyN(io.Discard, c, int64(size-4)); err != nil {
					return
				}
				var body []byte
				for _, f := range [][2]string{{"S", "FATAL"}, {"V", "FATAL"}, {"C", code}, {"M", message}} {
					body = append(append(append(body, f[0]...), f[1]...), 0)
				}
				body = append(body, 0)
				l := len(body) + 4
				msg := append([]byte{'E', byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}, body...)
				_, _ = c.Write(msg)
			}()
		}
	}()
	return l.Addr().String()
}

// TestOpenRefusedFailsAtOnce: answers that retrying cannot change (no such
// database, wrong password, a SQLite file that cannot be opened) fail the
// first attempt with a message that says what to fix, never "unreachable".
func TestOpenRefusedFailsAtOnce(t *testing.T) {
	pgURL, err := url.Parse(testenv.NewDatabase(t))
	require.NoError(t, err)
	pgURL.Path = "/rgrid_no_such_db"
	badPW := fakePostgres(t, "28P01", `password authentication failed for user "rgrid"`)
	noEntry := fakePostgres(t, "28000", `no pg_hba.conf entry for host "127.0.0.1", user "rgrid", database "rgrid"`)

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "isdir", "rgrid.db"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "afile"), []byte("x"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "garbage"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "garbage", "rgrid.db"), []byte(strings.Repeat("not a database ", 20)), 0o600))

	for _, tc := range []struct {
		name, url string
		want      []string
	}{
		{"database missing", pgURL.String(), []string{`database "rgrid_no_such_db" does not exist on ` + pgURL.Host, "createdb -h ", "rgrid_no_such_db) or fix DATABASE_URL"}},
		{"wrong password", "postgres://rgrid:s3cr3t-pw@" + badPW + "/rgrid?sslmode=disable", []string{"PostgreSQL on " + badPW + ` refused user "rgrid"`, "password authentication failed", "DATABASE_URL"}},
		{"no pg_hba entry", "postgres://rgrid:s3cr3t-pw@" + noEntry + "/rgrid?sslmode=disable", []string{`refused user "rgrid"`, "pg_hba.conf"}},
		{"sqlite path is a folder", "sqlite://" + filepath.Join(dir, "isdir", "rgrid.db"), []string{"cannot open the SQLite database", "is a folder this user can write to"}},
		{"sqlite file is not a database", "sqlite://" + filepath.Join(dir, "garbage", "rgrid.db"), []string{"cannot open the SQLite database", "not a database"}},
		{"sqlite folder is a file", "sqlite://" + filepath.Join(dir, "afile", "rgrid.db"), []string{"cannot create the folder of the SQLite database", "not a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testenv.SyncBuffer
			start := time.Now()
			db, err := Open(context.Background(), Options{URL: tc.url, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			require.Error(t, err)
			assert.Nil(t, db)
			assert.Less(t, time.Since(start), 900*time.Millisecond, "no retry with backoff")
			assert.ErrorIs(t, err, ErrRefused)
			assert.NotErrorIs(t, err, ErrUnreachable)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "PostgreSQL running")
			assert.NotContains(t, err.Error()+logs.String(), "s3cr3t-pw")
			assert.NotContains(t, logs.String(), "retrying")
		})
	}
}

// TestFailedQueryLogsNoValues: a failed query is logged as "database query
// failed" with its statement but without its parameter values, through
// GORM's builder, Exec and Raw+Scan (which renders values into the SQL) on
// both dialects; a lookup hash never appears.
func TestFailedQueryLogsNoValues(t *testing.T) {
	const secret = "s3cret-param-value"
	hash := strings.Repeat("ab12", 16) // shaped like a lookup hash
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			var logs testenv.SyncBuffer
			db := mustOpen(t, d, Options{Logger: middleware.NewLogger(&logs, slog.LevelDebug, "api")})
			g := db.Gorm()
			var rows []map[string]any
			require.Error(t, g.Table("no_such_table").Where("lookup_hash = ? AND name = ?", hash, secret).Find(&rows).Error)
			require.Error(t, g.Exec("UPDATE no_such_table SET name = ? WHERE lookup_hash = ?", secret, hash).Error)
			var n int
			require.Error(t, g.Raw("SELECT count(*) FROM no_such_table WHERE lookup_hash = ? AND name = ?", hash, secret).Scan(&n).Error)
			out := logs.String()
			assert.NotContains(t, out, secret)
			assert.NotContains(t, out, hash)
			assert.NotContains(t, out, "SQL executed")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			failed := 0
			for _, line := range lines {
				if !strings.Contains(line, `"message":"database query failed"`) {
					continue
				}
				failed++
				assert.Contains(t, line, `"level":"ERROR"`)
				assert.Contains(t, line, `"component":"database"`)
				assert.Contains(t, line, "no_such_table", "the statement is there, without values")
				assert.Contains(t, line, `"error":`)
			}
			assert.Equal(t, 3, failed, out)
		})
	}
}

func TestMaskValues(t *testing.T) {
	h := strings.Repeat("0f", 32)
	assert.Equal(t, "SELECT * FROM t WHERE a = ? AND b = ?", maskValues("SELECT * FROM t WHERE a = 'x' AND b = 'it''s'"))
	assert.Equal(t, "WHERE lookup_hash = ?", maskValues("WHERE lookup_hash = '"+h+"'"))
	assert.Equal(t, "hash [REDACTED] seen", maskValues("hash "+h+" seen"))
	assert.Equal(t, "SELECT $1, 42", maskValues("SELECT $1, 42"))
}
