// Package config reads the rgrid-api settings from the environment once,
// into one typed struct, and validates them. Errors name the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults used when a variable is unset or empty (docs/architecture.md).
const (
	DefaultDatabaseURL     = "postgres://postgres:postgres@127.0.0.1:5432/rgrid?sslmode=disable" //nolint:gosec // the documented local-development default, not a secret
	DefaultMinIOEndpoint   = "127.0.0.1:9000"
	DefaultMinIOAccessKey  = "minioadmin"
	DefaultMinIOSecretKey  = "minioadmin"
	DefaultMinIOBucket     = "rgrid"
	DefaultHTTPAddr        = ":8000"
	DefaultDBPoolMin       = 5
	DefaultDBPoolMax       = 20
	DefaultShutdownTimeout = 15 * time.Second
)

// Storage holds the object storage (MinIO) settings.
type Storage struct {
	Endpoint  string // host:port, no scheme
	AccessKey string
	SecretKey string // never printed; see Config.String
	Bucket    string
	UseSSL    bool
	Region    string
}

// Config is the complete, validated configuration of rgrid-api.
type Config struct {
	DatabaseURL     string // may contain a password; never printed as is
	Storage         Storage
	HTTPAddr        string
	LogLevel        slog.Level
	DBPoolMin       int
	DBPoolMax       int
	ShutdownTimeout time.Duration
}

// Load reads the configuration through getenv (os.Getenv in production) and
// validates it. All problems are reported at once, each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL: get("DATABASE_URL", DefaultDatabaseURL),
		Storage: Storage{
			Endpoint:  get("MINIO_ENDPOINT", DefaultMinIOEndpoint),
			AccessKey: get("MINIO_ACCESS_KEY", DefaultMinIOAccessKey),
			SecretKey: get("MINIO_SECRET_KEY", DefaultMinIOSecretKey),
			Bucket:    get("MINIO_BUCKET", DefaultMinIOBucket),
			Region:    get("MINIO_REGION", "us-east-1"),
		},
		HTTPAddr: get("RGRID_HTTP_ADDR", DefaultHTTPAddr),
	}

	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	if err := checkHostPort(c.Storage.Endpoint, false); err != nil {
		errs = append(errs, fmt.Errorf("MINIO_ENDPOINT: %w (want host:port, no scheme)", err))
	}
	if err := checkBucket(c.Storage.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("MINIO_BUCKET: %w", err))
	}
	if err := checkHostPort(c.HTTPAddr, true); err != nil {
		errs = append(errs, fmt.Errorf("RGRID_HTTP_ADDR: %w (want host:port or :port)", err))
	}

	var err error
	if c.Storage.UseSSL, err = parseBool(get("MINIO_USE_SSL", "false")); err != nil {
		errs = append(errs, fmt.Errorf("MINIO_USE_SSL: %w", err))
	}
	if c.LogLevel, err = ParseLogLevel(get("RGRID_LOG_LEVEL", "info")); err != nil {
		errs = append(errs, fmt.Errorf("RGRID_LOG_LEVEL: %w", err))
	}
	minErr, maxErr := error(nil), error(nil)
	if c.DBPoolMin, minErr = parseInt(get("RGRID_DB_POOL_MIN", strconv.Itoa(DefaultDBPoolMin)), 0, 1000); minErr != nil {
		errs = append(errs, fmt.Errorf("RGRID_DB_POOL_MIN: %w", minErr))
	}
	if c.DBPoolMax, maxErr = parseInt(get("RGRID_DB_POOL_MAX", strconv.Itoa(DefaultDBPoolMax)), 1, 1000); maxErr != nil {
		errs = append(errs, fmt.Errorf("RGRID_DB_POOL_MAX: %w", maxErr))
	}
	if minErr == nil && maxErr == nil && c.DBPoolMin > c.DBPoolMax {
		errs = append(errs, fmt.Errorf("RGRID_DB_POOL_MIN: %d is larger than RGRID_DB_POOL_MAX (%d)", c.DBPoolMin, c.DBPoolMax))
	}
	if c.ShutdownTimeout, err = parseDuration(get("RGRID_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String())); err != nil {
		errs = append(errs, fmt.Errorf("RGRID_SHUTDOWN_TIMEOUT: %w", err))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// String describes the configuration with every secret redacted, so it can
// be logged.
func (c Config) String() string {
	return fmt.Sprintf("database=%s storage=%s bucket=%s ssl=%t addr=%s log_level=%s pool=%d..%d shutdown_timeout=%s",
		RedactURL(c.DatabaseURL), c.Storage.Endpoint, c.Storage.Bucket, c.Storage.UseSSL,
		c.HTTPAddr, c.LogLevel, c.DBPoolMin, c.DBPoolMax, c.ShutdownTimeout)
}

// LogValue makes slog print the redacted form.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String never shows the secret key.
func (s Storage) String() string {
	return fmt.Sprintf("{endpoint=%s access_key=%s secret_key=REDACTED bucket=%s ssl=%t}", s.Endpoint, s.AccessKey, s.Bucket, s.UseSSL)
}

// RedactURL returns u with any password replaced by "REDACTED". Unparseable
// input is not echoed at all.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparseable URL>"
	}
	return p.Redacted()
}

// ParseLogLevel accepts debug, info, warn (or warning) and error, in any case.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level (want debug, info, warn or error)", s)
}

func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL (want postgres://user:password@host:5432/dbname)")
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		if u.Host == "" {
			return errors.New("the URL has no host (want postgres://user:password@host:5432/dbname)")
		}
		return nil
	case "sqlite":
		return nil
	}
	return fmt.Errorf("scheme %q is not supported (want postgres:// or sqlite://)", u.Scheme)
}

func checkHostPort(s string, allowEmptyHost bool) error {
	if strings.Contains(s, "://") {
		return errors.New("contains a scheme")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("not host:port")
	}
	if host == "" && !allowEmptyHost {
		return errors.New("the host is empty")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

func checkBucket(s string) error {
	if len(s) < 3 || len(s) > 63 {
		return errors.New("a bucket name has 3 to 63 characters")
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.'
		if !ok {
			return errors.New("a bucket name has only lowercase letters, digits, '-' and '.'")
		}
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}

func parseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	return 0, fmt.Errorf("%q is not a positive duration (e.g. 15s)", s)
}
