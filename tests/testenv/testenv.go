// Package testenv gives each test package its own PostgreSQL database and MinIO bucket on the
// real local services started by `make services-up`, and removes them afterwards.
//
// The helpers never skip: when a service is unreachable they fail with a message that says how
// to start it, so a missing service can never turn into a silently green run.
//
// Use NewDatabase and NewBucket inside a test; use CreateDatabase and CreateBucket from
// TestMain when a whole package shares one database or bucket.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"
)

// setupTimeout bounds every call that talks to a service while creating or removing resources.
const setupTimeout = 30 * time.Second

// hint is appended to every "service unreachable" message.
const hint = "run `make services-up` (see docs/development.md)"

// uniqueName returns prefix followed by 16 random hex characters: lower case, safe as a
// PostgreSQL identifier and as an S3 bucket name.
func uniqueName(prefix string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random name: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// getenv returns the first non-empty value among the named environment variables, else def.
func getenv(def string, names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return def
}

// withTimeout returns a context bounded by setupTimeout.
func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), setupTimeout)
}

// cleanupOrFail registers cleanup with tb and reports its error as a test failure.
func cleanupOrFail(tb testing.TB, what string, cleanup func() error) {
	tb.Helper()
	tb.Cleanup(func() {
		if err := cleanup(); err != nil {
			tb.Errorf("testenv: remove %s: %v", what, err)
		}
	})
}
