// Package e2e drives the real rgrid-api and rgrid binaries end to end: a
// server on a fresh PostgreSQL database and MinIO bucket, keys minted with
// the admin commands, the CLI run as a user would run it (through a real
// pseudo-terminal where it matters). Every HTTP response is checked against
// api/openapi.yaml on the way.
package e2e

import (
	"testing"

	"github.com/rgrid/rgrid/tests/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
