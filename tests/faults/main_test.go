// Package faults breaks things under a running rgrid-api and rgrid: the
// database and the object store go away and come back, the server is
// stopped in the middle of a burst, the CLI is killed while it writes, and a
// key is revoked while it is in use. Tests that stop PostgreSQL or MinIO run
// their own instance on a free port, so no other test is disturbed.
package faults

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rgrid/rgrid/tests/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

var seq atomic.Int64

func uniqueEmail() string {
	return fmt.Sprintf("fault-%d-%d@example.com", time.Now().UnixNano(), seq.Add(1))
}

func bearer(key string) string { return "Bearer " + key }
