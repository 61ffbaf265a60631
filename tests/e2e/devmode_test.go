package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

// TestDevMode: `rgrid-api dev` needs no services, prints a key that passes
// rgrid init and whoami, keeps it across a restart, and a key revoked with
// the admin command on the dev data folder fails on the next request.
func TestDevMode(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "dev-data")
	dev := harness.StartDev(t, dataDir)
	key := dev.PrintedKey()
	require.NotEmpty(t, key, "dev mode prints an API key; output:\n%s", dev.Output())
	client := harness.NewClient(t)

	status, body, _ := harness.Do(t, client, http.MethodGet, dev.URL+common.PathHealth)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, common.HealthHealthy, body["status"], "dev mode has both its stores: %v", body)

	cli := harness.NewCLI(t, harness.ValidatingProxy(t, dev.URL))
	res := cli.Run(t, key+"\n", "init", "--api-key-stdin")
	require.Equal(t, 0, res.Code, "init: %s", res.Stderr)
	res = cli.Run(t, "", "whoami", "--json")
	require.Equal(t, 0, res.Code, "whoami: %s", res.Stderr)
	var who map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Stdout), &who))
	assert.Equal(t, "dev@localhost", who["email"])
	accountID := harness.Str(who, "account_id")
	require.NotEmpty(t, accountID)

	// Restart on the same folder: same account, same key, no new key.
	dev.Stop(t)
	dev = harness.StartDev(t, dataDir)
	status, body, _ = harness.Do(t, client, http.MethodPost, dev.URL+common.PathAuthValidate, bearer(key))
	require.Equal(t, http.StatusOK, status, "the key survives a restart: %v", body)
	assert.Equal(t, accountID, body["account_id"])
	if again := dev.PrintedKey(); again != "" {
		assert.Equal(t, key, again, "a restart must not mint a different key")
	}

	// Revoke through the admin command on the data folder while the server runs.
	admin := dev.Admin()
	keys := admin.ListKeys(t, accountID)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		admin.RevokeKey(t, harness.Str(k, "id", "key_id"))
	}
	status, body, _ = harness.Do(t, client, http.MethodPost, dev.URL+common.PathAuthValidate, bearer(key))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, string(common.CodeRevokedAPIKey), body["error_code"])
	res = cli.Run(t, "", "whoami")
	assert.Equal(t, 1, res.Code, "whoami with a revoked key fails")
}
