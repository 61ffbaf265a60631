package faults

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

// TestDatabaseOutage stops the server's PostgreSQL under it: validate answers
// 503 service_unavailable with Retry-After (never 401), health answers 503;
// once PostgreSQL is back both recover without restarting the server.
func TestDatabaseOutage(t *testing.T) {
	pg := harness.StartPostgres(t)
	s := harness.StartServer(t, harness.ServerOptions{DatabaseURL: pg.NewDatabase(t, "rgrid_fault")})
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail())
	warm := admin.CreateKey(t, acct.ID, "warm")
	cold := admin.CreateKey(t, acct.ID, "cold")

	status, _, _ := s.Validate(t, bearer(warm.Key))
	require.Equal(t, http.StatusOK, status)
	cli := harness.NewCLI(t, harness.ValidatingProxy(t, s.URL))
	res := cli.Run(t, warm.Key+"\n", "init", "--api-key-stdin")
	require.Equal(t, 0, res.Code, "init: %s", res.Stderr)
	saved := cli.ReadCredentials(t)

	pg.Stop(t, "fast")
	for _, k := range []harness.Key{warm, cold} {
		start := time.Now()
		status, body, hdr := s.Validate(t, bearer(k.Key))
		assert.Equal(t, http.StatusServiceUnavailable, status, "database down during auth is 503, never 401: %v", body)
		assert.Equal(t, string(common.CodeServiceUnavailable), body["error_code"])
		assert.NotEmpty(t, hdr.Get("Retry-After"), "503 carries Retry-After")
		t.Logf("validate while the database is down answered in %s", time.Since(start).Round(time.Millisecond))
	}
	status, body, _ := harness.Do(t, s.Client(), http.MethodGet, s.URL+common.PathHealth)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, common.ServiceDisconnected, body["database"])
	// The CLI fails cleanly and keeps the key: a sick server is not a bad key.
	start := time.Now()
	res = cli.Run(t, "", "whoami")
	t.Logf("rgrid whoami while the database is down: exit %d after %s: %s", res.Code, time.Since(start).Round(time.Millisecond), strings.TrimSpace(res.Stderr))
	assert.Equal(t, 1, res.Code, "whoami while the database is down")
	assert.NotContains(t, res.Stderr, "panic")
	assert.Equal(t, saved, cli.ReadCredentials(t), "the saved key is untouched")

	pg.Start(t)
	recovered := time.Now()
	err := harness.Eventually(30*time.Second, 200*time.Millisecond, func() error {
		status, _, _ := harness.Do(t, s.Client(), http.MethodGet, s.URL+common.PathHealth)
		if status != http.StatusOK {
			return assert.AnError
		}
		return nil
	})
	require.NoError(t, err, "health recovers once the database is back")
	t.Logf("health recovered %s after PostgreSQL started again", time.Since(recovered).Round(time.Millisecond))
	for _, k := range []harness.Key{warm, cold} {
		status, body, _ := s.Validate(t, bearer(k.Key))
		assert.Equal(t, http.StatusOK, status, "validate recovers without a server restart: %v", body)
	}
	res = cli.Run(t, "", "whoami")
	assert.Equal(t, 0, res.Code, "whoami after recovery: %s", res.Stderr)
	assert.True(t, s.Running(), "the server never exited")
}

// TestStorageOutage stops the server's MinIO: health says degraded with HTTP
// 200, authentication is unaffected, and health recovers when MinIO returns.
func TestStorageOutage(t *testing.T) {
	m := harness.StartMinIO(t)
	st := m.Storage("rgrid-fault")
	s := harness.StartServer(t, harness.ServerOptions{Storage: &st})
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail())
	key := admin.CreateKey(t, acct.ID, "k")
	cold := admin.CreateKey(t, acct.ID, "cold")

	status, body, _ := harness.Do(t, s.Client(), http.MethodGet, s.URL+common.PathHealth)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, common.HealthHealthy, body["status"], "%v", body)

	m.Stop(t)
	status, body, _ = harness.Do(t, s.Client(), http.MethodGet, s.URL+common.PathHealth)
	assert.Equal(t, http.StatusOK, status, "storage down is degraded, not down")
	assert.Equal(t, common.HealthDegraded, body["status"])
	assert.Equal(t, common.ServiceDisconnected, body["storage"])
	assert.Equal(t, common.ServiceConnected, body["database"])
	for _, k := range []harness.Key{key, cold} {
		status, body, _ = s.Validate(t, bearer(k.Key))
		assert.Equal(t, http.StatusOK, status, "auth does not depend on storage: %v", body)
	}

	m.Start(t)
	err := harness.Eventually(30*time.Second, 200*time.Millisecond, func() error {
		_, body, _ := harness.Do(t, s.Client(), http.MethodGet, s.URL+common.PathHealth)
		if body["status"] != common.HealthHealthy {
			return assert.AnError
		}
		return nil
	})
	assert.NoError(t, err, "health is healthy again once MinIO is back")
}
