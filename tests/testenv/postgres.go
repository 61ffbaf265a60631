package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DefaultDatabaseURL is the PostgreSQL server used when neither RGRID_TEST_DATABASE_URL nor
// DATABASE_URL is set. The password is ignored by a trust-auth server and matches the Docker
// Compose default (postgres/postgres).
const DefaultDatabaseURL = "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable" //nolint:gosec // G101: public development default, see docs/architecture.md

// adminDatabase is the database the helper connects to in order to create and drop others.
const adminDatabase = "postgres"

// ServerURL returns the URL of the PostgreSQL server the helpers use, with its database set to
// the maintenance database "postgres": RGRID_TEST_DATABASE_URL, else DATABASE_URL, else
// DefaultDatabaseURL. Any database name in the variable is replaced.
func ServerURL() (string, error) {
	raw := getenv(DefaultDatabaseURL, "RGRID_TEST_DATABASE_URL", "DATABASE_URL")
	u, err := withDatabase(raw, adminDatabase)
	if err != nil {
		return "", err
	}
	return u, nil
}

// withDatabase returns the URL raw with its path replaced by /name.
func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// Never echo raw: it may contain a password.
		return "", errors.New("testenv: RGRID_TEST_DATABASE_URL / DATABASE_URL must be a URL " +
			"of the form postgres://user[:password]@host:port/db?sslmode=disable")
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redact returns the URL without its password, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// NewDatabase creates a fresh, empty PostgreSQL database with a unique name (rgrid_test_...),
// returns its URL and drops it when the test and its subtests finish. It fails the test when the
// server is unreachable; it never skips.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	dbURL, cleanup, err := CreateDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	cleanupOrFail(tb, "database", cleanup)
	return dbURL
}

// CreateDatabase is NewDatabase for TestMain and other places without a testing.TB: it creates
// a fresh database and returns its URL and a function that drops it (terminating any sessions
// still connected). The caller must call cleanup.
func CreateDatabase(ctx context.Context) (dbURL string, cleanup func() error, err error) {
	server, err := ServerURL()
	if err != nil {
		return "", nil, err
	}
	name, err := uniqueName("rgrid_test_")
	if err != nil {
		return "", nil, err
	}
	if err := adminExec(ctx, server, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("testenv: create database %s: %w", name, err)
	}
	dbURL, err = withDatabase(server, name)
	if err != nil {
		return "", nil, err
	}
	cleanup = func() error {
		ctx, cancel := withTimeout()
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
		if err := adminExec(ctx, server, drop); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return dbURL, cleanup, nil
}

// adminExec runs one statement on a short-lived connection to server.
func adminExec(ctx context.Context, server, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("PostgreSQL not reachable at %s: %w; %s", redact(server), shorten(err), hint)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, sql); err != nil {
		return err
	}
	return nil
}

// shorten drops pgx's repetition of the connection string from dial errors.
func shorten(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 && strings.HasPrefix(msg, "failed to connect to") {
		return errors.New(msg[i+3:])
	}
	return err
}
