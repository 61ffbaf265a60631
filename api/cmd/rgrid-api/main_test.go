package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/testenv"
)

type result struct {
	code           int
	stdout, stderr string
}

// cmdEnv runs rgrid-api in-process with a fixed environment.
type cmdEnv map[string]string

func (e cmdEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut testenv.SyncBuffer
	code := run(context.Background(), append([]string{"rgrid-api"}, args...), func(k string) string { return e[k] }, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (e cmdEnv) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := e.run(t, args...)
	require.Equal(t, 0, r.code, "rgrid-api %v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r.stdout
}

func (e cmdEnv) okJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(e.ok(t, args...)), v))
}

// startServe runs `serve` until the returned stop is called; it returns the
// base URL and a function that stops the server and returns its result.
func (e cmdEnv) startServe(t *testing.T, args ...string) (string, *testenv.SyncBuffer, func() result) {
	t.Helper()
	return e.startCommand(t, "serve", args...)
}

var listeningRE = regexp.MustCompile(`"message":"rgrid-api listening"[^\n]*?"addr":"([^"]+)"`)

func (e cmdEnv) startCommand(t *testing.T, cmd string, args ...string) (string, *testenv.SyncBuffer, func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testenv.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"rgrid-api", cmd}, args...), func(k string) string { return e[k] }, &out, &errOut)
	}()
	var addr string
	require.Eventually(t, func() bool {
		select {
		case code := <-done:
			done <- code
			return true
		default:
		}
		m := listeningRE.FindStringSubmatch(out.String() + errOut.String())
		if m != nil {
			addr = m[1]
		}
		return addr != ""
	}, 30*time.Second, 10*time.Millisecond)
	require.NotEmpty(t, addr, "server did not start\nstdout: %s\nstderr: %s", out.String(), errOut.String())
	var once sync.Once
	var res result
	stop := func() result {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				res = result{code, out.String(), errOut.String()}
			case <-time.After(20 * time.Second):
				t.Fatal("server did not stop within 20 s")
			}
		})
		return res
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr, &out, stop
}

func newServeEnv(t *testing.T) cmdEnv {
	t.Helper()
	b := testenv.NewBucket(t)
	return cmdEnv{
		"DATABASE_URL":     testenv.NewDatabase(t),
		"MINIO_ENDPOINT":   b.Endpoint,
		"MINIO_ACCESS_KEY": b.AccessKey,
		"MINIO_SECRET_KEY": b.SecretKey,
		"MINIO_BUCKET":     b.Bucket,
		"RGRID_HTTP_ADDR":  "127.0.0.1:0",
		"RGRID_LOG_LEVEL":  "debug",
	}
}

func httpDo(t *testing.T, method, u string, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func TestVersionHelpAndUsageErrors(t *testing.T) {
	e := cmdEnv{}
	assert.Equal(t, "rgrid-api, version 0.1.0\n", e.ok(t, "--version"))
	assert.Contains(t, e.ok(t, "--help"), "serve")
	assert.Contains(t, e.ok(t), "USAGE")
	assert.Contains(t, e.ok(t, "keys"), "revoke")
	for _, args := range [][]string{
		{"bogus"},
		{"serve", "--nope"},
		{"serve", "extra"},
		{"accounts", "create"},
		{"accounts", "bogus"},
		{"keys", "revoke"},
		{"keys", "revoke", "abc"},
		{"keys", "revoke", "0"},
		{"keys", "revoke", "1", "2"},
		{"keys", "revoke", "1", "--bogus"},
		{"keys", "list"},
		{"migrate", "up", "x"},
		{"dev", "--addr", "0.0.0.0:8000"},
		{"dev", "--addr", "nonsense"},
	} {
		r := e.run(t, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stderr, "goroutine", "no stack traces")
	}
}

func TestConfigAndDatabaseErrors(t *testing.T) {
	r := cmdEnv{"RGRID_LOG_LEVEL": "loud", "DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x"}.run(t, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "RGRID_LOG_LEVEL")
	assert.NotContains(t, r.stderr+r.stdout, "hunter2")

	// Nothing listens on port 1: three attempts, then one clear sentence.
	e := cmdEnv{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable", "RGRID_HTTP_ADDR": "127.0.0.1:0"}
	r = e.run(t, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "127.0.0.1:1")
	assert.NotContains(t, r.stderr+r.stdout, "hunter2")
	assert.Equal(t, 1, e.run(t, "accounts", "create", "--email", "a@example.com").code)

	r = cmdEnv{}.run(t, "keys", "list", "--account", "acct_x", "--data-dir", "/nonexistent/dir")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not a dev data folder")
}

// TestServeAndAdmin walks the operator's path on a fresh PostgreSQL:
// serve refuses the empty schema, migrate, admin commands, serve, validate,
// revoke, SIGTERM-equivalent shutdown flushing last_used_at.
func TestServeAndAdmin(t *testing.T) {
	e := newServeEnv(t)

	r := e.run(t, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "rgrid-api migrate up")
	r = e.run(t, "accounts", "create", "--email", "a@example.com")
	assert.Equal(t, 1, r.code, "admin commands refuse an unmigrated database too")
	assert.Contains(t, e.ok(t, "migrate", "version"), "version 0 of 1 (out of date")
	assert.Contains(t, e.ok(t, "migrate", "up"), "version 1")
	var ver map[string]any
	e.okJSON(t, &ver, "migrate", "version", "--json")
	assert.Equal(t, map[string]any{"version": 1.0, "dirty": false, "latest": 1.0}, ver)

	var acct accountJSON
	e.okJSON(t, &acct, "accounts", "create", "--email", "a@example.com", "--json")
	assert.True(t, strings.HasPrefix(acct.ID, "acct_"))
	assert.Equal(t, "active", acct.Status)
	assert.Contains(t, e.ok(t, "accounts", "create", "--email", "b@example.com"), "Created account acct_")
	r = e.run(t, "accounts", "create", "--email", "a@example.com")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already exists")
	r = e.run(t, "accounts", "create", "--email", " A@Example.COM ")
	assert.Equal(t, 1, r.code, "another case is the same address")
	assert.Contains(t, r.stderr, "a@example.com already exists")
	assert.Contains(t, e.ok(t, "accounts", "create", "--email", "Mixed@Example.com"), "(mixed@example.com)")
	assert.Equal(t, 2, e.run(t, "accounts", "create", "--email", "not-an-email").code)

	assert.Contains(t, e.ok(t, "keys", "list", "--account", acct.ID), "has no API keys")
	var key keyJSON
	e.okJSON(t, &key, "keys", "create", "--account", acct.ID, "--name", "laptop", "--json")
	require.NoError(t, common.ValidateAPIKeyFormat(key.Key))
	assert.Equal(t, "laptop", key.Name)
	r = e.run(t, "keys", "create", "--account", acct.ID)
	require.Equal(t, 0, r.code)
	assert.Regexp(t, `sk_live_[A-Za-z0-9]{32}`, r.stdout)
	assert.Contains(t, r.stderr, "shown only once")
	r = e.run(t, "keys", "create", "--account", "acct_missing")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "account acct_missing does not exist")

	var list []keyJSON
	e.okJSON(t, &list, "keys", "list", "--account", acct.ID, "--json")
	require.Len(t, list, 2)
	assert.Empty(t, list[0].Key, "never listed in plaintext")
	human := e.ok(t, "keys", "list", "--account", acct.ID)
	assert.Contains(t, human, "laptop")
	assert.NotContains(t, human, key.Key)
	assert.Equal(t, 1, e.run(t, "keys", "list", "--account", "acct_missing").code)

	base, logs, stop := e.startServe(t)
	status, body := httpDo(t, "GET", base+"/health")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"status":"healthy","database":"connected","storage":"connected","version":"0.1.0"}`, string(body))
	status, body = httpDo(t, "POST", base+common.PathAuthValidate, "Authorization", "Bearer "+key.Key)
	require.Equal(t, 200, status, string(body))
	assert.JSONEq(t, fmt.Sprintf(`{"account_id":%q,"email":"a@example.com","credits_balance_micros":0}`, acct.ID), string(body))

	// Revoke with flags after the ID, as operators type it.
	var revoked keyJSON
	e.okJSON(t, &revoked, "keys", "revoke", fmt.Sprint(key.ID), "--json")
	require.NotNil(t, revoked.RevokedAt)
	assert.Contains(t, e.ok(t, "keys", "revoke", fmt.Sprint(key.ID)), "Revoked API key")
	assert.Equal(t, 1, e.run(t, "keys", "revoke", "999999").code)
	status, body = httpDo(t, "POST", base+common.PathAuthValidate, "Authorization", "Bearer "+key.Key)
	assert.Equal(t, 401, status)
	assert.Contains(t, string(body), "revoked_api_key")

	res := stop()
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, logs.String(), "rgrid-api stopped")
	assert.NotContains(t, logs.String(), key.Key)
	e.okJSON(t, &list, "keys", "list", "--account", acct.ID, "--json")
	assert.NotNil(t, list[0].LastUsedAt, "last_used_at flushed by the shutdown at the latest")

	// serve --migrate on a fresh database; storage down -> degraded, still serving.
	e2 := newServeEnv(t)
	e2["MINIO_ENDPOINT"] = "127.0.0.1:1"
	base, logs, stop = e2.startServe(t, "--migrate")
	status, body = httpDo(t, "GET", base+"/health")
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"degraded"`)
	assert.Contains(t, logs.String(), "object storage is unreachable")
	assert.NotContains(t, logs.String(), "refused the credentials")
	assert.Equal(t, 0, stop().code)

	// Wrong secret key: the storage answers, so the warning says the keys
	// were refused, not that it is unreachable; health is degraded all the same.
	e3 := newServeEnv(t)
	e3["MINIO_SECRET_KEY"] = "not-the-secret-key"
	base, logs, stop = e3.startServe(t, "--migrate")
	status, body = httpDo(t, "GET", base+"/health")
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"degraded"`)
	assert.Contains(t, logs.String(), "object storage answered but refused the credentials")
	assert.Contains(t, logs.String(), "MINIO_SECRET_KEY")
	assert.NotContains(t, logs.String(), "object storage is unreachable")
	assert.NotContains(t, logs.String(), "not-the-secret-key")
	assert.Equal(t, 0, stop().code)

	assert.Contains(t, e.ok(t, "migrate", "down", "--yes"), "reverted")
	assert.Contains(t, e.ok(t, "migrate", "version"), "version 0 of 1")
}

func TestServeCannotListen(t *testing.T) {
	e := newServeEnv(t)
	e.ok(t, "migrate", "up")
	e["RGRID_HTTP_ADDR"] = "203.0.113.1:80" // not an address of this machine
	r := e.run(t, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cannot listen on 203.0.113.1:80")
}

// TestServePortBusy: serve binds before it touches the database or the
// storage, so a busy port migrates nothing and creates no bucket, and the
// error names RGRID_HTTP_ADDR.
func TestServePortBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = busy.Close() }()

	e := newServeEnv(t)
	b := testenv.NewBucket(t)
	e["MINIO_BUCKET"] = b.Bucket + "-new"
	e["RGRID_HTTP_ADDR"] = busy.Addr().String()
	r := e.run(t, "serve", "--migrate")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already in use")
	assert.Contains(t, r.stderr, "RGRID_HTTP_ADDR")
	assert.Contains(t, e.ok(t, "migrate", "version"), "version 0 of 1", "nothing migrated")
	_, err = b.Client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(e["MINIO_BUCKET"])})
	var apiErr interface{ ErrorCode() string }
	require.ErrorAs(t, err, &apiErr, "no bucket created")
	assert.Equal(t, "NotFound", apiErr.ErrorCode(), "no bucket created")
}

// TestMigrateDownConfirmation: migrate down drops nothing unless --yes is
// given or a person answers y on a terminal; with no terminal and no --yes
// it is a usage error.
func TestMigrateDownConfirmation(t *testing.T) {
	dir := t.TempDir()
	e := cmdEnv{}
	e.ok(t, "migrate", "up", "--data-dir", dir)
	version := func() string { return e.ok(t, "migrate", "version", "--data-dir", dir) }

	input := func(s string, tty bool) {
		old := terminalInput
		terminalInput = func() (io.Reader, bool) { return strings.NewReader(s), tty }
		t.Cleanup(func() { terminalInput = old })
	}
	answer := func(s string) { input(s, true) }

	input("y\n", false) // not a terminal: never asked, never read
	r := e.run(t, "migrate", "down", "--data-dir", dir)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--yes")
	assert.NotContains(t, r.stderr, "[y/N]")
	assert.Contains(t, version(), "version 1 of 1", "nothing dropped")

	for _, no := range []string{"n\n", "\n", "", "yep\n"} {
		answer(no)
		r = e.run(t, "migrate", "down", "--data-dir", dir)
		assert.Equal(t, 1, r.code, "answer %q: %s", no, r.stderr)
		assert.Contains(t, r.stderr, "[y/N]")
		assert.Contains(t, r.stderr, "rgrid.db", "the question names the database")
		assert.Contains(t, r.stderr, "nothing was changed")
		assert.Contains(t, version(), "version 1 of 1", "answer %q drops nothing", no)
	}
	answer("Y\n")
	assert.Contains(t, e.ok(t, "migrate", "down", "--data-dir", dir), "reverted")
	assert.Contains(t, version(), "version 0 of 1")

	e.ok(t, "migrate", "up", "--data-dir", dir)
	answer("") // --yes never reads the terminal
	assert.Contains(t, e.ok(t, "migrate", "down", "--yes", "--data-dir", dir), "reverted")
	assert.Contains(t, version(), "version 0 of 1")
}

func TestSQLiteURL(t *testing.T) {
	u, err := sqliteURL("rel/dir")
	require.NoError(t, err)
	p, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, "sqlite", p.Scheme)
	assert.True(t, strings.HasSuffix(u, "/rel/dir/rgrid.db"))
}
