package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	assert.Equal(t, Storage{Endpoint: "127.0.0.1:9000", AccessKey: "minioadmin", SecretKey: "minioadmin", Bucket: "rgrid", Region: "us-east-1"}, c.Storage)
	assert.Equal(t, ":8000", c.HTTPAddr)
	assert.Equal(t, slog.LevelInfo, c.LogLevel)
	assert.Equal(t, 5, c.DBPoolMin)
	assert.Equal(t, 20, c.DBPoolMax)
	assert.Equal(t, 15*time.Second, c.ShutdownTimeout)
}

func TestLoadValues(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"DATABASE_URL":           "postgres://u:hunter2@db:5432/x",
		"MINIO_ENDPOINT":         "minio:9000",
		"MINIO_SECRET_KEY":       "s3cr3t",
		"MINIO_BUCKET":           "my-bucket",
		"MINIO_USE_SSL":          "true",
		"RGRID_HTTP_ADDR":        "127.0.0.1:9999",
		"RGRID_LOG_LEVEL":        "DEBUG",
		"RGRID_DB_POOL_MIN":      "1",
		"RGRID_DB_POOL_MAX":      "2",
		"RGRID_SHUTDOWN_TIMEOUT": "3",
	}))
	require.NoError(t, err)
	assert.True(t, c.Storage.UseSSL)
	assert.Equal(t, slog.LevelDebug, c.LogLevel)
	assert.Equal(t, 3*time.Second, c.ShutdownTimeout)
	// Secrets never printed.
	for _, s := range []string{c.String(), fmt.Sprint(c), c.Storage.String(), c.LogValue().String()} {
		assert.NotContains(t, s, "hunter2")
		assert.NotContains(t, s, "s3cr3t")
	}
	assert.Contains(t, c.String(), "db:5432")
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"DATABASE_URL":           "mysql://x",
		"MINIO_ENDPOINT":         "http://minio:9000",
		"MINIO_BUCKET":           "No_Caps",
		"MINIO_USE_SSL":          "maybe",
		"RGRID_HTTP_ADDR":        "8000",
		"RGRID_LOG_LEVEL":        "loud",
		"RGRID_DB_POOL_MIN":      "x",
		"RGRID_DB_POOL_MAX":      "0",
		"RGRID_SHUTDOWN_TIMEOUT": "-1s",
	}
	for name, val := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{name: val}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), name+":")
		})
	}
	_, err := Load(envOf(map[string]string{"RGRID_DB_POOL_MIN": "9", "RGRID_DB_POOL_MAX": "3"}))
	assert.ErrorContains(t, err, "RGRID_DB_POOL_MIN: 9 is larger than RGRID_DB_POOL_MAX")

	// All problems at once; a password is not echoed.
	_, err = Load(envOf(map[string]string{"DATABASE_URL": "postgres://u:hunter2@/x", "RGRID_LOG_LEVEL": "x"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DATABASE_URL")
	assert.Contains(t, err.Error(), "RGRID_LOG_LEVEL")
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestSmallHelpers(t *testing.T) {
	for _, ok := range []string{"sqlite:///tmp/x.db", "postgresql://h/db"} {
		assert.NoError(t, checkDatabaseURL(ok))
	}
	assert.Error(t, checkDatabaseURL("::nope"))
	assert.Equal(t, "<unparseable URL>", RedactURL("::nope"))
	assert.Error(t, checkHostPort(":99999", true))
	assert.Error(t, checkHostPort(":9000", false))
	assert.Error(t, checkBucket(strings.Repeat("a", 64)))
	for s, want := range map[string]slog.Level{"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError, "": slog.LevelInfo} {
		got, err := ParseLogLevel(s)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	b, err := parseBool("off")
	require.NoError(t, err)
	assert.False(t, b)
	d, err := parseDuration("250ms")
	require.NoError(t, err)
	assert.Equal(t, 250*time.Millisecond, d)
}
