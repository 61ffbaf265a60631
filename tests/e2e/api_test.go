package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

var emailSeq atomic.Int64

// uniqueEmail returns an address no other test in this run uses.
func uniqueEmail(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("e2e-%d-%d@example.com", time.Now().UnixNano(), emailSeq.Add(1))
}

// newAccountWithKey mints an account and one key through the admin commands.
func newAccountWithKey(t *testing.T, s *harness.Server) (harness.Account, harness.Key) {
	t.Helper()
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail(t))
	key := admin.CreateKey(t, acct.ID, "e2e")
	return acct, key
}

func bearer(key string) string { return "Bearer " + key }

// TestValidateWithMintedKey: the admin commands create an account and key on
// a fresh PostgreSQL, and validate answers 200 with the spec's fields.
func TestValidateWithMintedKey(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	acct, key := newAccountWithKey(t, s)

	assert.True(t, strings.HasPrefix(acct.ID, "acct_"), "account id %q should start with acct_", acct.ID)
	assert.Len(t, key.Key, common.APIKeyLength)

	status, body, hdr := s.Validate(t, bearer(key.Key))
	require.Equal(t, http.StatusOK, status, "body: %v", body)
	assert.Equal(t, acct.ID, body["account_id"])
	assert.Equal(t, acct.Email, body["email"])
	assert.Contains(t, body, "credits_balance_micros")
	assert.NotEmpty(t, hdr.Get("X-Request-ID"), "every response carries X-Request-ID")

	// last_used_at is written behind the request, within about a second.
	conn := harness.ConnectDB(t, s.DatabaseURL)
	err := harness.Eventually(5*time.Second, 100*time.Millisecond, func() error {
		var used *time.Time
		if err := conn.QueryRow(context.Background(),
			"SELECT last_used_at FROM api_keys WHERE id::text = $1", key.ID).Scan(&used); err != nil {
			return err
		}
		if used == nil {
			return fmt.Errorf("last_used_at is still NULL")
		}
		return nil
	})
	assert.NoError(t, err, "last_used_at should be set within a few seconds of a request")

	// The key is listed with a hint, never in plaintext.
	list := s.Admin().ListKeys(t, acct.ID)
	require.Len(t, list, 1)
	assert.NotContains(t, fmt.Sprint(list[0]), key.Key, "keys list must never show the key")
}

// TestRevokedKeyFailsOnVeryNextRequest: after `keys revoke` returns, the
// next request with that key is 401 revoked_api_key, although the key was
// verified (and so remembered) a moment before.
func TestRevokedKeyFailsOnVeryNextRequest(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	_, key := newAccountWithKey(t, s)

	status, _, _ := s.Validate(t, bearer(key.Key))
	require.Equal(t, http.StatusOK, status)

	s.Admin().RevokeKey(t, key.ID)

	status, body, hdr := s.Validate(t, bearer(key.Key))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, string(common.CodeRevokedAPIKey), body["error_code"])
	assert.True(t, strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer"), "401 carries WWW-Authenticate: Bearer")
}

// TestErrorResponses sends every kind of bad request the server documents
// and checks status and error code (never message text). The contract check
// in the client validates each body against api/openapi.yaml as well.
func TestErrorResponses(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	acct, key := newAccountWithKey(t, s)
	suspended, suspendedKey := newAccountWithKey(t, s)
	harness.Exec(t, s.DatabaseURL, "UPDATE accounts SET status = 'suspended' WHERE id = $1", suspended.ID)
	unknown := common.APIKeyPrefix + strings.Repeat("A", common.APIKeyRandomLength)

	cases := []struct {
		name   string
		method string
		path   string
		auth   []string
		status int
		code   common.ErrorCode // "" for success
	}{
		{"valid key", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key)}, 200, ""},
		{"lowercase scheme", http.MethodPost, common.PathAuthValidate, []string{"bearer " + key.Key}, 200, ""},
		{"several spaces after scheme", http.MethodPost, common.PathAuthValidate, []string{"Bearer    " + key.Key}, 200, ""},
		{"missing header", http.MethodPost, common.PathAuthValidate, nil, 401, common.CodeMissingAPIKey},
		{"empty header", http.MethodPost, common.PathAuthValidate, []string{""}, 401, common.CodeMissingAPIKey},
		{"empty key", http.MethodPost, common.PathAuthValidate, []string{"Bearer "}, 401, common.CodeMissingAPIKey},
		{"basic scheme", http.MethodPost, common.PathAuthValidate, []string{"Basic dXNlcjpwYXNz"}, 401, common.CodeMissingAPIKey},
		{"two headers", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key), bearer(key.Key)}, 400, common.CodeInvalidRequest},
		{"right prefix wrong length", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key[:len(key.Key)-1])}, 401, common.CodeInvalidAPIKey},
		{"right prefix bad characters", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key[:len(key.Key)-1] + "!")}, 401, common.CodeInvalidAPIKey},
		{"valid key with extra characters", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key + "x")}, 401, common.CodeInvalidAPIKey},
		{"10 kB header", http.MethodPost, common.PathAuthValidate, []string{bearer(key.Key + strings.Repeat("a", 10<<10))}, 401, common.CodeInvalidAPIKey},
		{"well-formed unknown key", http.MethodPost, common.PathAuthValidate, []string{bearer(unknown)}, 401, common.CodeInvalidAPIKey},
		{"suspended account", http.MethodPost, common.PathAuthValidate, []string{bearer(suspendedKey.Key)}, 403, common.CodeAccountSuspended},
		{"unknown route", http.MethodGet, "/api/v1/nope", nil, 404, common.CodeNotFound},
		{"wrong method", http.MethodGet, common.PathAuthValidate, []string{bearer(key.Key)}, 405, common.CodeMethodNotAllowed},
		{"wrong method on health", http.MethodDelete, common.PathHealth, nil, 405, common.CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := harness.Do(t, s.Client(), tc.method, s.URL+tc.path, tc.auth...)
			require.Equal(t, tc.status, status, "body: %v", body)
			assert.NotEmpty(t, hdr.Get("X-Request-ID"))
			if tc.code == "" {
				assert.Equal(t, acct.ID, body["account_id"])
				return
			}
			assert.Equal(t, string(tc.code), body["error_code"])
			if status == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer"), "401 carries WWW-Authenticate: Bearer")
			}
		})
	}
}

// TestDocumentsAndMetrics: the served documents and the metrics endpoint
// answer, and /openapi.json is the same contract as api/openapi.yaml.
func TestDocumentsAndMetrics(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	for _, path := range []string{"/openapi.json", "/docs", "/redoc", "/metrics", common.PathHealth} {
		t.Run(path, func(t *testing.T) {
			resp, err := s.Client().Get(s.URL + path)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}

// TestOneBcryptPerNewKey: the first validation of a new key costs one bcrypt
// and no more, even when ten requests with it arrive at once; later
// requests cost none (counted with rgrid_bcrypt_verifications_total).
func TestOneBcryptPerNewKey(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	_, key := newAccountWithKey(t, s)
	const metric = "rgrid_bcrypt_verifications_total"
	before := harness.ScrapeMetric(t, s.Client(), s.URL, metric)

	var wg sync.WaitGroup
	statuses := make([]int, 10)
	start := make(chan struct{})
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i], _, _ = s.Validate(t, bearer(key.Key))
		}()
	}
	close(start)
	wg.Wait()
	for i, st := range statuses {
		assert.Equal(t, http.StatusOK, st, "request %d", i)
	}
	afterBurst := harness.ScrapeMetric(t, s.Client(), s.URL, metric)
	assert.Equal(t, 1.0, afterBurst-before, "ten concurrent first requests with one key cost one bcrypt")

	for i := 0; i < 5; i++ {
		st, _, _ := s.Validate(t, bearer(key.Key))
		require.Equal(t, http.StatusOK, st)
	}
	assert.Equal(t, afterBurst, harness.ScrapeMetric(t, s.Client(), s.URL, metric), "a verified key costs no bcrypt")
}

// TestRequestIDAndLogs: a valid X-Request-ID is echoed and is the
// correlation_id of the request's log line, which carries the account id; an
// invalid one is replaced; every log line is one JSON object with the
// fields of DESIGN.md section 4.
func TestRequestIDAndLogs(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	acct, key := newAccountWithKey(t, s)

	send := func(id string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL+common.PathAuthValidate, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", bearer(key.Key))
		req.Header.Set("X-Request-ID", id)
		resp, err := s.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return resp.Header.Get("X-Request-ID")
	}
	const mine = "e2e-trace.42:abc"
	assert.Equal(t, mine, send(mine), "a valid X-Request-ID is echoed")
	replaced := send("has spaces and ✓")
	assert.NotEqual(t, "has spaces and ✓", replaced)
	assert.Regexp(t, `^[A-Za-z0-9._:-]{1,128}$`, replaced, "an invalid X-Request-ID is replaced by a generated one")

	s.Stop(t)
	found := false
	for i, line := range strings.Split(strings.TrimSpace(s.Logs()), "\n") {
		var entry map[string]any
		if !assert.NoError(t, json.Unmarshal([]byte(line), &entry), "log line %d is not JSON: %q", i, line) {
			continue
		}
		for _, f := range []string{"timestamp", "level", "component", "message"} {
			assert.Contains(t, entry, f, "log line %d", i)
		}
		if entry["correlation_id"] == mine {
			found = true
			assert.Equal(t, acct.ID, entry["account_id"], "the request's log line names the account")
		}
	}
	assert.True(t, found, "no log line has correlation_id %q", mine)
}
