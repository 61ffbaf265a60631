package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
)

var keyRE = regexp.MustCompile(`sk_live_[A-Za-z0-9]{32}`)

// TestDevMode: no services needed; the first start mints and prints a key,
// a restart keeps the data and mints none, --new-key mints another, and the
// admin commands act on the data folder while the server runs.
func TestDevMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	e := cmdEnv{"RGRID_LOG_LEVEL": "debug"}
	base, _, stop := e.startCommand(t, "dev", "--data-dir", dir, "--addr", "127.0.0.1:0")
	res := stop()
	require.Equal(t, 0, res.code, res.stderr)
	key := keyRE.FindString(res.stdout)
	require.NotEmpty(t, key, "the banner prints a key:\n%s", res.stdout)
	assert.Contains(t, res.stdout, "rgrid init --api-url http://127.0.0.1:")
	assert.Contains(t, res.stdout, "rgrid whoami")
	assert.Contains(t, res.stdout, "only")
	assert.NotContains(t, res.stderr, key, "the key never reaches the JSON logs")
	_ = base

	// Second start: same data, no new key, the old one works.
	base, _, stop = e.startCommand(t, "dev", "--data-dir", dir, "--addr", "127.0.0.1:0")
	status, body := httpDo(t, "GET", base+"/health")
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"status":"healthy","database":"connected","storage":"connected","version":"0.1.0"}`, string(body))
	status, body = httpDo(t, "POST", base+common.PathAuthValidate, "Authorization", "Bearer "+key)
	require.Equal(t, 200, status, string(body))
	var who common.AuthValidateResponse
	require.NoError(t, json.Unmarshal(body, &who))
	assert.Equal(t, "dev@localhost", who.Email)

	// Admin commands on the data folder, while the server runs.
	var list []keyJSON
	e.okJSON(t, &list, "keys", "list", "--account", who.AccountID, "--data-dir", dir, "--json")
	require.Len(t, list, 1)
	e.ok(t, "keys", "revoke", fmt.Sprint(list[0].ID), "--data-dir", dir)
	status, _ = httpDo(t, "POST", base+common.PathAuthValidate, "Authorization", "Bearer "+key)
	assert.Equal(t, 401, status, "revoked through the data folder: fails on the next request")
	assert.Contains(t, e.ok(t, "migrate", "version", "--data-dir", dir), "up to date")
	res = stop()
	require.Equal(t, 0, res.code, res.stderr)
	assert.Empty(t, keyRE.FindString(res.stdout), "a restart mints no key")
	assert.Contains(t, res.stdout, "--new-key")

	// --new-key mints one that works at once (memo warmed: no bcrypt).
	base, out, stop := e.startCommand(t, "dev", "--data-dir", dir, "--addr", "127.0.0.1:0", "--new-key")
	var key2 string
	require.Eventually(t, func() bool { key2 = keyRE.FindString(out.String()); return key2 != "" }, 5*time.Second, 10*time.Millisecond)
	assert.NotEqual(t, key, key2)
	status, _ = httpDo(t, "POST", base+common.PathAuthValidate, "Authorization", "Bearer "+key2)
	assert.Equal(t, 200, status)
	_, metrics := httpDo(t, "GET", base+"/metrics")
	assert.Contains(t, string(metrics), `rgrid_bcrypt_verifications_total{result="match"} 0`, "a key minted by the server is verified without bcrypt")
	res = stop()
	require.Equal(t, 0, res.code, res.stderr)

	// A damaged state file is reported, not overwritten.
	require.NoError(t, os.WriteFile(filepath.Join(dir, devStateFile), []byte("{"), 0o600))
	r := e.run(t, "dev", "--data-dir", dir, "--addr", "127.0.0.1:0")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "damaged")
}

// TestDevPortBusy: on a busy port dev mode fails before it touches the data
// folder, naming the flag that fixes it; so the first successful start still
// mints and shows the key.
func TestDevPortBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = busy.Close() }()
	addr := busy.Addr().String()

	dir := filepath.Join(t.TempDir(), "dev")
	e := cmdEnv{}
	r := e.run(t, "dev", "--data-dir", dir, "--addr", addr)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already in use")
	assert.Contains(t, r.stderr, "--addr 127.0.0.1:")
	assert.Contains(t, r.stderr, `make dev ARGS="--addr 127.0.0.1:`)
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing created in the data folder")

	_, _, stop := e.startCommand(t, "dev", "--data-dir", dir, "--addr", "127.0.0.1:0")
	res := stop()
	require.Equal(t, 0, res.code, res.stderr)
	assert.NotEmpty(t, keyRE.FindString(res.stdout), "the first start that binds still shows the key:\n%s", res.stdout)
}

func TestNextPort(t *testing.T) {
	assert.Equal(t, "127.0.0.1:8001", nextPort("127.0.0.1:8000"))
	assert.Equal(t, "[::1]:9001", nextPort("[::1]:9000"))
	assert.Equal(t, "localhost:8001", nextPort("localhost:0"))
}

// TestDevDataFolderProblems: a data folder that cannot hold the database
// says so, never "is PostgreSQL running".
func TestDevDataFolderProblems(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "dev", devDatabaseFile), 0o700)) // the database path is a folder
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o600))
	e := cmdEnv{}
	for _, args := range [][]string{
		{"dev", "--data-dir", filepath.Join(dir, "dev"), "--addr", "127.0.0.1:0"},
		{"migrate", "version", "--data-dir", filepath.Join(dir, "dev")},
		{"dev", "--data-dir", filepath.Join(dir, "file"), "--addr", "127.0.0.1:0"},
	} {
		r := e.run(t, args...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stderr, "PostgreSQL", args)
		assert.NotContains(t, r.stderr, "DATABASE_URL", args)
		assert.Regexp(t, `SQLite database|data folder`, r.stderr, args)
	}
}
