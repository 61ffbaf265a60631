// Package database opens RGrid's database (PostgreSQL through pgx, or SQLite
// through the pure-Go modernc driver in dev mode), sizes and warms its pool,
// retries the first connection, and applies the embedded migrations.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// Dialect names the SQL dialect of an open database.
type Dialect string

// The supported dialects. Their values name the migration folders too.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultPoolMin         = 5
	DefaultPoolMax         = 20
	DefaultConnectAttempts = 3
	DefaultAttemptTimeout  = 2 * time.Second
	DefaultBackoff         = time.Second
	// DefaultConnMaxIdleTime is how long a connection above PoolMin may sit
	// idle before the pool closes it: long enough that bursts a few minutes
	// apart find their connections open, short enough that a quiet server
	// gives its PostgreSQL backends back.
	DefaultConnMaxIdleTime = 5 * time.Minute
	// DefaultKeepWarmInterval is how often the pool's PoolMin connections
	// are touched (and reopened if they were lost), well inside
	// DefaultConnMaxIdleTime so they never expire.
	DefaultKeepWarmInterval = 30 * time.Second
	// connMaxLifetime recycles every connection now and then (server-side
	// memory growth, fail-over to a new primary behind the same address).
	connMaxLifetime = 30 * time.Minute
	// sqliteBusyTimeout is how long a SQLite writer waits for the write lock.
	sqliteBusyTimeout = 5 * time.Second
)

// PoolMinNone as Options.PoolMin opens no connection ahead of use.
const PoolMinNone = -1

// ErrUnreachable is wrapped by Open's error when every connection attempt failed.
var ErrUnreachable = errors.New("database unreachable")

// ErrRefused is wrapped by Open's error when the database answered with an
// error that retrying cannot fix (no such database, wrong user or password,
// a SQLite file that cannot be opened). Open fails at once with it.
var ErrRefused = errors.New("database refused the connection")

// refusedError is an ErrRefused with its own, complete message.
type refusedError struct{ msg string }

func (e refusedError) Error() string        { return e.msg }
func (e refusedError) Is(target error) bool { return target == ErrRefused }

func refusedf(format string, args ...any) error { return refusedError{fmt.Sprintf(format, args...)} }

// Options configures Open. Only URL is required.
type Options struct {
	// URL is postgres://user:pass@host:port/db?sslmode=..., or
	// sqlite:///abs/path/file.db, or sqlite://relative/path/file.db.
	URL string
	// PoolMin is the number of connections opened at start and kept open
	// and warm while the server is quiet (0: DefaultPoolMin, or PoolMax if
	// that is smaller; PoolMinNone: none).
	PoolMin int
	// PoolMax caps the open connections (default 20). Up to PoolMax may stay
	// open and idle after a burst, until ConnMaxIdleTime passes.
	PoolMax int
	// ConnMaxIdleTime closes connections idle for longer, shrinking the pool
	// back to PoolMin when quiet (default DefaultConnMaxIdleTime).
	ConnMaxIdleTime time.Duration
	// KeepWarmInterval is how often PoolMin connections are touched and
	// reopened if missing (default DefaultKeepWarmInterval; it is lowered to
	// half of ConnMaxIdleTime if that is shorter).
	KeepWarmInterval time.Duration
	// Logger receives connection retries and slow or failed queries (never
	// their parameters). Nil discards.
	Logger *slog.Logger
	// ConnectAttempts is how many times Open tries to reach the database
	// (default 3). AttemptTimeout bounds each try (default 2 s) and Backoff is
	// the first pause between tries, doubled each time (default 1 s). With
	// the defaults Open gives up within about 9 s.
	ConnectAttempts int
	AttemptTimeout  time.Duration
	Backoff         time.Duration
}

// DB is an open database: a GORM handle over a sized connection pool.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect Dialect
	// driver and dsn reopen the same database for migrations, which get a
	// pool of their own so that closing golang-migrate never closes this one.
	driver string
	dsn    string
	target string // where the database is, safe to log (no password)
	logger *slog.Logger

	poolMin, poolMax int
	stopKeep         context.CancelFunc // stops keepWarm
	keepDone         chan struct{}      // closed when keepWarm has returned
	closeOnce        sync.Once
	closeErr         error
}

// target describes a parsed database URL.
type target struct {
	dialect Dialect
	driver  string // database/sql driver name
	dsn     string // what the driver is opened with; may hold a password
	where   string // host:port/db or file path; never a password
	// PostgreSQL only, for messages: host:port, database and user names.
	host, name, user string
}

// Open connects to the database at opts.URL, retrying with exponential
// backoff, and returns it with PoolMin connections already open. Errors name
// the host but never the password.
//
// The pool: at most PoolMax connections; all of them may stay idle, so
// concurrent requests above PoolMin reuse connections instead of closing
// and reopening one per request (database/sql closes a returned connection
// when the idle cap is full, which under 10 clients with a cap of 5 cost a
// TCP connect and PostgreSQL backend start on many requests). Connections
// idle for ConnMaxIdleTime are closed, while a background keeper touches
// PoolMin connections every KeepWarmInterval so those never expire (database/sql
// hands out the most recently used idle connection first, so the touched
// ones are the ones kept) and reopens them after an outage. Close stops it.
func Open(ctx context.Context, opts Options) (*DB, error) {
	opts = withDefaults(opts)
	if opts.PoolMin > opts.PoolMax {
		return nil, fmt.Errorf("open database: pool min %d is above pool max %d", opts.PoolMin, opts.PoolMax)
	}
	t, err := parseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if t.dialect == SQLite {
		if err := os.MkdirAll(filepath.Dir(t.where), 0o700); err != nil {
			return nil, refusedf("cannot create the folder of the SQLite database %s: %v (is part of that path a file, or not writable by this user?)", t.where, err)
		}
	}
	sqlDB, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, fmt.Errorf("open database at %s: %s", t.where, redactErr(err, opts.URL))
	}
	sqlDB.SetMaxOpenConns(opts.PoolMax)
	sqlDB.SetMaxIdleConns(opts.PoolMax)
	sqlDB.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	sqlDB.SetConnMaxLifetime(connMaxLifetime)

	if err := connect(ctx, sqlDB, t, opts); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}

	var dialector gorm.Dialector
	switch t.dialect {
	case Postgres:
		dialector = postgres.New(postgres.Config{Conn: sqlDB})
	default:
		dialector = sqlite.New(sqlite.Config{DriverName: "sqlite", Conn: sqlDB})
	}
	gdb, err := gorm.Open(dialector, &gorm.Config{
		Logger:  gormLogger(opts.Logger, t.dialect),
		NowFunc: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database at %s: %s", t.where, redactErr(err, opts.URL))
	}
	db := &DB{gorm: gdb, sql: sqlDB, dialect: t.dialect, driver: t.driver, dsn: t.dsn, target: t.where,
		logger: opts.Logger, poolMin: opts.PoolMin, poolMax: opts.PoolMax, keepDone: make(chan struct{})}
	if err := db.warm(ctx, opts.PoolMin); err != nil {
		db.logger.WarnContext(ctx, "database pool warm-up", "target", db.target, "error", err.Error())
	}
	keepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stopKeep = stop
	go db.keepWarm(keepCtx, opts.KeepWarmInterval)
	return db, nil
}

func withDefaults(opts Options) Options {
	if opts.PoolMax <= 0 {
		opts.PoolMax = DefaultPoolMax
	}
	switch {
	case opts.PoolMin == 0:
		opts.PoolMin = min(DefaultPoolMin, opts.PoolMax)
	case opts.PoolMin < 0:
		opts.PoolMin = 0
	}
	if opts.ConnectAttempts <= 0 {
		opts.ConnectAttempts = DefaultConnectAttempts
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.ConnMaxIdleTime <= 0 {
		opts.ConnMaxIdleTime = DefaultConnMaxIdleTime
	}
	if opts.KeepWarmInterval <= 0 {
		opts.KeepWarmInterval = DefaultKeepWarmInterval
	}
	opts.KeepWarmInterval = min(opts.KeepWarmInterval, opts.ConnMaxIdleTime/2)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts
}

// connect pings until the database answers, at most opts.ConnectAttempts
// times, pausing Backoff, 2*Backoff, ... between attempts. An answer that
// retrying cannot change (refused) ends it at once.
func connect(ctx context.Context, sqlDB *sql.DB, t target, opts Options) error {
	where := t.where
	var last error
	pause := opts.Backoff
	for attempt := 1; attempt <= opts.ConnectAttempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, opts.AttemptTimeout)
		last = sqlDB.PingContext(actx)
		cancel()
		if last == nil {
			if attempt > 1 {
				opts.Logger.InfoContext(ctx, "database connected", "target", where, "attempt", attempt)
			}
			return nil
		}
		if err := refused(last, t, opts.URL); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("connect to database at %s: %w", where, ctx.Err())
		}
		if attempt == opts.ConnectAttempts {
			break
		}
		opts.Logger.WarnContext(ctx, "database not reachable, retrying",
			"target", where, "attempt", attempt, "of", opts.ConnectAttempts,
			"retry_in", pause.String(), "error", redactErr(last, opts.URL))
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("connect to database at %s: %w", where, ctx.Err())
		case <-timer.C:
		}
		pause *= 2
	}
	return fmt.Errorf("%w: could not connect to %s after %d attempts: %s",
		ErrUnreachable, where, opts.ConnectAttempts, redactErr(last, opts.URL))
}

// refused returns the error to fail with at once when err is an answer that
// will not change on retry, or nil when another attempt may succeed.
func refused(err error, t target, rawURL string) error {
	if t.dialect == SQLite {
		if msg := err.Error(); strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") {
			return nil // another process holds the write lock: that passes
		}
		// A local file does not come back by waiting: the folder is
		// missing, read-only, not a folder, or the file is not a database.
		return refusedf("cannot open the SQLite database %s: %s; check that %s is a folder this user can write to and that %s is a database file (or absent)",
			t.where, redactErr(err, rawURL), filepath.Dir(t.where), filepath.Base(t.where))
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	switch pgErr.Code {
	case "3D000": // invalid_catalog_name
		createdb := "createdb -h " + hostOnly(t.host) + " -p " + portOnly(t.host)
		if t.user != "" {
			createdb += " -U " + t.user
		}
		return refusedf("database %q does not exist on %s: create it (%s %s) or fix DATABASE_URL",
			t.name, t.host, createdb, t.name)
	case "28P01", "28000": // invalid_password, invalid_authorization_specification
		return refusedf("PostgreSQL on %s refused user %q (%s): fix the user or password in DATABASE_URL, or the server's pg_hba.conf",
			t.host, t.user, redactErr(errors.New(pgErr.Message), rawURL))
	}
	return nil
}

func hostOnly(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

func portOnly(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return "5432"
	}
	return p
}

// warm holds n connections at once (idle ones first, new ones for the
// rest), pings each and returns them to the pool, so the first requests do
// not pay for connecting and the touched connections start a new idle
// period. It returns the first error.
func (db *DB) warm(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultAttemptTimeout)
	defer cancel()
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := db.sql.Conn(ctx)
			if err == nil {
				err = c.PingContext(ctx)
				conns[i] = c
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			_ = c.Close()
		}
	}
	return errors.Join(errs...)
}

// keepWarm touches PoolMin connections every interval until Close, so they
// outlive ConnMaxIdleTime and are reopened after an outage. It skips a tick
// while the pool is busy, where it would only take connections from
// requests (busy connections do not expire anyway).
func (db *DB) keepWarm(ctx context.Context, interval time.Duration) {
	defer close(db.keepDone)
	if db.poolMin == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := db.sql.Stats()
		if st.InUse > 0 && st.OpenConnections >= db.poolMin {
			continue
		}
		// ctx ends at Close, so Close never waits on a dead server.
		if err := db.warm(ctx, min(db.poolMin, db.poolMax-st.InUse)); err != nil && ctx.Err() == nil {
			db.logger.DebugContext(ctx, "database pool keep-warm", "target", db.target, "error", err.Error())
		}
	}
}

// Gorm returns the GORM handle; callers add WithContext per operation.
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// SQL returns the underlying connection pool.
func (db *DB) SQL() *sql.DB { return db.sql }

// Dialect reports whether this is PostgreSQL or SQLite.
func (db *DB) Dialect() Dialect { return db.dialect }

// Target says where the database is (host:port/name or file), without secrets.
func (db *DB) Target() string { return db.target }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database at %s: %w", db.target, err)
	}
	return nil
}

// Close stops the keeper and closes the pool. Calling it again returns the
// first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.stopKeep()
		<-db.keepDone
		if err := db.sql.Close(); err != nil {
			db.closeErr = fmt.Errorf("close database at %s: %w", db.target, err)
		}
	})
	return db.closeErr
}

// parseURL maps a database URL to a driver and DSN.
func parseURL(raw string) (target, error) {
	if raw == "" {
		return target{}, errors.New("database URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the input in its message; do not repeat it.
		return target{}, errors.New("database URL is not a valid URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql":
		host := u.Host
		if host == "" {
			host = "localhost"
		}
		if u.Port() == "" {
			host += ":5432"
		}
		user := u.User.Username()
		name := strings.TrimPrefix(u.Path, "/")
		return target{dialect: Postgres, driver: "pgx", dsn: raw, where: host + u.Path,
			host: host, name: name, user: user}, nil
	case "sqlite", "sqlite3":
		path := u.Host + u.Path // sqlite:///abs -> "/abs"; sqlite://rel/x.db -> "rel/x.db"
		if u.Opaque != "" {
			path = u.Opaque // sqlite:rel/x.db
		}
		if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
			return target{}, fmt.Errorf("sqlite URL needs a file path, like sqlite:///abs/rgrid.db or sqlite://rel/rgrid.db")
		}
		return target{dialect: SQLite, driver: "sqlite", dsn: sqliteDSN(filepath.Clean(path)), where: filepath.Clean(path)}, nil
	default:
		return target{}, fmt.Errorf("database URL scheme %q is not supported (use postgres:// or sqlite://)", u.Scheme)
	}
}

// sqliteDSN is the modernc DSN for path: WAL so readers never block the
// writer, a busy timeout and BEGIN IMMEDIATE so concurrent writers queue for
// the single write lock instead of failing, foreign keys enforced on every
// connection, and times written in SQLite's own sortable format.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return path + "?" + q.Encode()
}

// Redact returns rawURL with any password replaced by "xxxxx", safe to log.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable database URL)"
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactErr renders err with every secret part of rawURL removed.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	for _, s := range secretsOf(rawURL) {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// secretsOf lists the strings of rawURL that must not be shown: the password
// (raw and decoded) and the whole URL when it carries one.
func secretsOf(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return []string{rawURL}
	}
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, rawURL, p, url.QueryEscape(p), url.PathEscape(p))
	}
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "password") {
			for _, v := range vs {
				if v != "" {
					out = append(out, rawURL, v)
				}
			}
		}
	}
	return out
}

// gormLogger reports slow (over 200 ms) and failed queries to l; nil
// discards.
func gormLogger(l *slog.Logger, d Dialect) gormlogger.Interface {
	if l == nil {
		return gormlogger.Discard
	}
	return &queryLogger{l: l.With("component", "database"), level: gormlogger.Warn, slow: slowQuery,
		// GORM's SQLite dialect renders string values in double quotes
		// (identifiers in backticks); PostgreSQL's in single quotes.
		doubleQuoted: d == SQLite}
}

// slowQuery is the duration above which a query is logged as slow.
const slowQuery = 200 * time.Millisecond

// queryLogger is GORM's logger for RGrid. A failed query is logged as
// "database query failed" (GORM's own says "SQL executed") and a slow one as
// "slow database query", each with the statement but never its parameter
// values: GORM is asked for the statement without them (ParamsFilter), and
// any quoted literal or 64-hex-digit value left in it (GORM's Scan/Row path
// renders values in) is masked, so an API key's lookup hash or any other
// value never reaches the log.
type queryLogger struct {
	l            *slog.Logger
	level        gormlogger.LogLevel
	slow         time.Duration
	doubleQuoted bool // "..." is a value, not an identifier (SQLite)
}

var (
	_ gormlogger.Interface = (*queryLogger)(nil)
	_ gorm.ParamsFilter    = (*queryLogger)(nil)
)

func (q *queryLogger) LogMode(level gormlogger.LogLevel) gormlogger.Interface {
	out := *q
	out.level = level
	return &out
}

func (q *queryLogger) Info(ctx context.Context, msg string, data ...any) {
	if q.level >= gormlogger.Info {
		q.l.InfoContext(ctx, maskValues(fmt.Sprintf(msg, data...)))
	}
}

func (q *queryLogger) Warn(ctx context.Context, msg string, data ...any) {
	if q.level >= gormlogger.Warn {
		q.l.WarnContext(ctx, maskValues(fmt.Sprintf(msg, data...)))
	}
}

func (q *queryLogger) Error(ctx context.Context, msg string, data ...any) {
	if q.level >= gormlogger.Error {
		q.l.ErrorContext(ctx, maskValues(fmt.Sprintf(msg, data...)))
	}
}

// ParamsFilter drops the parameter values from the statement GORM renders
// for Trace.
func (q *queryLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (q *queryLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if q.level <= gormlogger.Silent {
		return
	}
	elapsed := time.Since(begin)
	failed := err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && q.level >= gormlogger.Error
	slow := q.slow > 0 && elapsed > q.slow && q.level >= gormlogger.Warn
	if !failed && !slow {
		return
	}
	sql, rows := fc()
	if q.doubleQuoted && strings.Contains(sql, `"`) {
		sql = sqlDoubleQuoted.ReplaceAllString(sql, "?")
	}
	attrs := []any{"duration_ms", float64(elapsed.Microseconds()) / 1000, "sql", maskValues(sql)}
	if rows >= 0 {
		attrs = append(attrs, "rows", rows)
	}
	if failed {
		attrs = append(attrs, "error", maskValues(err.Error()))
		q.l.ErrorContext(ctx, "database query failed", attrs...)
		return
	}
	q.l.WarnContext(ctx, "slow database query", attrs...)
}

var (
	// A SQL string literal ('it''s' included).
	sqlLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)
	// A value as GORM's SQLite dialect renders it ("a""b" included).
	sqlDoubleQuoted = regexp.MustCompile(`"(?:[^"]|"")*"`)
	// 64 hex digits: the shape of a SHA-256 such as an API key's lookup hash.
	hex64 = regexp.MustCompile(`[0-9A-Fa-f]{64}`)
)

// maskValues replaces the values a statement or message may carry with "?".
func maskValues(s string) string {
	if strings.Contains(s, "'") {
		s = sqlLiteral.ReplaceAllString(s, "?")
	}
	if len(s) >= 64 {
		s = hex64.ReplaceAllString(s, "[REDACTED]")
	}
	return s
}
