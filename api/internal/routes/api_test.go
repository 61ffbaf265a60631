package routes

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
)

func bearer(k string) string { return "Bearer " + k }

// TestBadInputs sends every bad input of issue 3 to the real server on
// PostgreSQL + MinIO and checks status, error code and headers.
func TestBadInputs(t *testing.T) {
	a := newAPIEnv(t)
	acct, k := a.newKey(t)
	suspended, sk := a.newKey(t)
	require.NoError(t, a.DB.Gorm().Exec("UPDATE accounts SET status = 'suspended' WHERE id = ?", suspended.ID).Error)
	revokedAcct, rk := a.newKey(t)
	_ = revokedAcct
	_, err := a.Admin.RevokeKey(context.Background(), rk.Key.ID)
	require.NoError(t, err)
	key := k.Plaintext
	unknown := common.APIKeyPrefix + strings.Repeat("A", common.APIKeyRandomLength)

	cases := []struct {
		name   string
		method string
		path   string
		auth   []string
		status int
		code   common.ErrorCode
	}{
		{"valid key", "POST", common.PathAuthValidate, []string{bearer(key)}, 200, ""},
		{"lowercase bearer", "POST", common.PathAuthValidate, []string{"bearer " + key}, 200, ""},
		{"uppercase BEARER", "POST", common.PathAuthValidate, []string{"BEARER " + key}, 200, ""},
		{"several spaces", "POST", common.PathAuthValidate, []string{"Bearer     " + key}, 200, ""},
		{"tab after scheme", "POST", common.PathAuthValidate, []string{"Bearer\t" + key}, 200, ""},
		{"trailing space", "POST", common.PathAuthValidate, []string{"Bearer " + key + " "}, 200, ""},
		{"missing header", "POST", common.PathAuthValidate, nil, 401, common.CodeMissingAPIKey},
		{"empty header", "POST", common.PathAuthValidate, []string{""}, 401, common.CodeMissingAPIKey},
		{"empty key", "POST", common.PathAuthValidate, []string{"Bearer "}, 401, common.CodeMissingAPIKey},
		{"scheme only", "POST", common.PathAuthValidate, []string{"Bearer"}, 401, common.CodeMissingAPIKey},
		{"basic scheme", "POST", common.PathAuthValidate, []string{"Basic dXNlcjpwYXNz"}, 401, common.CodeMissingAPIKey},
		{"key without scheme", "POST", common.PathAuthValidate, []string{key}, 401, common.CodeMissingAPIKey},
		{"two headers", "POST", common.PathAuthValidate, []string{bearer(key), bearer(key)}, 400, common.CodeInvalidRequest},
		{"right prefix, short", "POST", common.PathAuthValidate, []string{bearer(key[:len(key)-1])}, 401, common.CodeInvalidAPIKey},
		{"right prefix, bad characters", "POST", common.PathAuthValidate, []string{bearer(key[:len(key)-1] + "!")}, 401, common.CodeInvalidAPIKey},
		{"wrong prefix", "POST", common.PathAuthValidate, []string{bearer("sk_test_" + key[8:])}, 401, common.CodeInvalidAPIKey},
		{"valid key plus extra characters", "POST", common.PathAuthValidate, []string{bearer(key + "x")}, 401, common.CodeInvalidAPIKey},
		{"valid key plus a second token", "POST", common.PathAuthValidate, []string{bearer(key + " extra")}, 401, common.CodeInvalidAPIKey},
		{"10 kB header", "POST", common.PathAuthValidate, []string{bearer(key + strings.Repeat("a", 10<<10))}, 401, common.CodeInvalidAPIKey},
		{"well-formed unknown key", "POST", common.PathAuthValidate, []string{bearer(unknown)}, 401, common.CodeInvalidAPIKey},
		{"revoked key", "POST", common.PathAuthValidate, []string{bearer(rk.Plaintext)}, 401, common.CodeRevokedAPIKey},
		{"suspended account", "POST", common.PathAuthValidate, []string{bearer(sk.Plaintext)}, 403, common.CodeAccountSuspended},
		{"unknown route", "GET", "/api/v1/nope", nil, 404, common.CodeNotFound},
		{"unknown route with a key in the path", "GET", "/" + key, nil, 404, common.CodeNotFound},
		{"wrong method on validate", "GET", common.PathAuthValidate, []string{bearer(key)}, 405, common.CodeMethodNotAllowed},
		{"wrong method on health", "DELETE", common.PathHealth, nil, 405, common.CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(t, tc.method, tc.path, tc.auth...)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			assert.True(t, middleware.ValidRequestID(r.Header.Get("X-Request-ID")))
			assert.Equal(t, "application/json", strings.Split(r.Header.Get("Content-Type"), ";")[0])
			assert.NotContains(t, string(r.Body), key, "a response never echoes the key")
			if tc.code == "" {
				var got common.AuthValidateResponse
				require.NoError(t, json.Unmarshal(r.Body, &got))
				assert.Equal(t, common.AuthValidateResponse{AccountID: acct.ID, Email: acct.Email}, got)
				return
			}
			assert.Equal(t, tc.code, r.errorCode(t))
			body := r.json(t)
			assert.Contains(t, body, "details")
			assert.NotEmpty(t, body["message"])
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="rgrid"`, r.Header.Get("WWW-Authenticate"))
			} else {
				assert.Empty(t, r.Header.Get("WWW-Authenticate"))
			}
			if tc.status == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, r.Header.Get("Allow"))
			}
		})
	}

	t.Run("HEAD on health answers like GET, without a body", func(t *testing.T) {
		r := a.do(t, http.MethodHead, common.PathHealth)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Empty(t, r.Body)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		assert.True(t, middleware.ValidRequestID(r.Header.Get("X-Request-ID")))
		allow := a.do(t, http.MethodDelete, common.PathHealth).Header.Get("Allow")
		assert.Contains(t, allow, http.MethodHead)
		assert.Contains(t, allow, http.MethodGet)
	})

	t.Run("a 10 kB header of another name is harmless", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, a.URL+common.PathHealth, nil)
		req.Header.Set("X-Padding", strings.Repeat("p", 10<<10))
		resp, err := a.client.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
}

// TestRevokedOnVeryNextRequest: a key verified (and memoised) a moment ago
// fails with revoked_api_key on the first request after the revocation.
func TestRevokedOnVeryNextRequest(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	require.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status)
	require.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status)
	_, err := a.Admin.RevokeKey(context.Background(), k.Key.ID)
	require.NoError(t, err)
	r := a.validate(t, bearer(k.Plaintext))
	assert.Equal(t, 401, r.Status)
	assert.Equal(t, common.CodeRevokedAPIKey, r.errorCode(t))
}

// TestSuspendedAfterVerification: status is read on every request too.
func TestSuspendedAfterVerification(t *testing.T) {
	a := newAPIEnv(t)
	acct, k := a.newKey(t)
	require.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status)
	require.NoError(t, a.DB.Gorm().Exec("UPDATE accounts SET status = ? WHERE id = ?", models.AccountSuspended, acct.ID).Error)
	r := a.validate(t, bearer(k.Plaintext))
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, common.CodeAccountSuspended, r.errorCode(t))
}

// TestConcurrentFirstUseOneBcrypt: 10 concurrent requests with the same
// never-verified key cost exactly one bcrypt (read from /metrics).
func TestConcurrentFirstUseOneBcrypt(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	before := a.Metrics.BcryptCount()
	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	start := make(chan struct{})
	for range 10 {
		wg.Go(func() {
			<-start
			statuses <- a.validate(t, bearer(k.Plaintext)).Status
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Equal(t, 200, s)
	}
	assert.Equal(t, 1.0, a.Metrics.BcryptCount()-before)
	assert.Equal(t, 1.0, scrape(t, a, "rgrid_bcrypt_verifications_total"))
	assert.GreaterOrEqual(t, scrape(t, a, `rgrid_auth_outcomes_total{outcome="success"}`), 10.0)
}

// TestDatabaseDown: with the database unreachable, auth answers 503 with
// Retry-After (never 401) and health 503 unhealthy; once it is back both
// recover without a restart.
func TestDatabaseDown(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	require.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status)

	a.DBProxy.Stop()
	r := a.validate(t, bearer(k.Plaintext))
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "body: %s", r.Body)
	assert.Equal(t, common.CodeServiceUnavailable, r.errorCode(t))
	assert.Equal(t, middleware.RetryAfterSeconds, r.Header.Get("Retry-After"))
	assert.NotContains(t, string(r.Body), "refused", "no internals in the body")

	h := a.do(t, http.MethodGet, common.PathHealth)
	require.Equal(t, http.StatusServiceUnavailable, h.Status)
	assert.Equal(t, middleware.RetryAfterSeconds, h.Header.Get("Retry-After"))
	head := a.do(t, http.MethodHead, common.PathHealth)
	assert.Equal(t, http.StatusServiceUnavailable, head.Status, "HEAD answers what GET does")
	assert.Equal(t, middleware.RetryAfterSeconds, head.Header.Get("Retry-After"))
	var hr common.HealthResponse
	require.NoError(t, json.Unmarshal(h.Body, &hr))
	assert.Equal(t, common.HealthResponse{Status: "unhealthy", Database: "disconnected", Storage: "connected", Version: common.Version}, hr)

	// An unknown key is 503 as well while the database is down: we cannot tell.
	r = a.validate(t, bearer(common.APIKeyPrefix+strings.Repeat("B", 32)))
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)

	a.DBProxy.Start(t)
	require.Eventually(t, func() bool {
		return a.validate(t, bearer(k.Plaintext)).Status == 200
	}, 10*time.Second, 50*time.Millisecond, "auth recovers without a restart")
	assert.Equal(t, 200, a.do(t, http.MethodGet, common.PathHealth).Status)
}

// TestStorageDown: MinIO unreachable makes health degraded (still 200) and
// leaves auth alone; it recovers when MinIO is back.
func TestStorageDown(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	h := a.do(t, http.MethodGet, common.PathHealth)
	require.Equal(t, 200, h.Status)
	assert.Equal(t, "healthy", h.json(t)["status"])

	a.S3Proxy.Stop()
	// The storage result is reused for up to services.DefaultStorageStatusTTL.
	require.Eventually(t, func() bool {
		h = a.do(t, http.MethodGet, common.PathHealth)
		return h.json(t)["status"] == "degraded"
	}, 3*services.DefaultStorageStatusTTL, 50*time.Millisecond)
	require.Equal(t, 200, h.Status)
	assert.Equal(t, map[string]any{"status": "degraded", "database": "connected", "storage": "disconnected", "version": common.Version}, h.json(t))
	assert.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status, "auth is unaffected")

	a.S3Proxy.Start(t)
	require.Eventually(t, func() bool {
		return a.do(t, http.MethodGet, common.PathHealth).json(t)["status"] == "healthy"
	}, 10*time.Second, 100*time.Millisecond)
}

// TestLastUsedAt: written behind the request within about a second, and
// flushed by Close.
func TestLastUsedAt(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	before := time.Now().Add(-time.Second)
	require.Equal(t, 200, a.validate(t, bearer(k.Plaintext)).Status)
	require.Eventually(t, func() bool {
		keys, err := a.Store.ListAPIKeys(context.Background(), k.Key.AccountID)
		return err == nil && keys[0].LastUsedAt != nil && keys[0].LastUsedAt.After(before)
	}, 1500*time.Millisecond, 20*time.Millisecond, "last_used_at within about a second")

	// Close flushes what is pending even before the next tick.
	_, k2 := a.newKey(t)
	require.Equal(t, 200, a.validate(t, bearer(k2.Plaintext)).Status)
	require.NoError(t, a.Usage.Close(context.Background()))
	keys, err := a.Store.ListAPIKeys(context.Background(), k2.Key.AccountID)
	require.NoError(t, err)
	require.NotNil(t, keys[0].LastUsedAt)
}

// TestNoKeyInLogs runs real keys through every path and checks that no key
// and no Authorization value appears anywhere in the captured logs.
func TestNoKeyInLogs(t *testing.T) {
	a := newAPIEnv(t)
	_, k := a.newKey(t)
	_, rk := a.newKey(t)
	_, err := a.Admin.RevokeKey(context.Background(), rk.Key.ID)
	require.NoError(t, err)
	key := k.Plaintext
	a.validate(t, bearer(key))
	a.validate(t, bearer(rk.Plaintext))
	a.validate(t, "Basic "+key)
	a.validate(t, bearer(key+"x"))
	a.validate(t, bearer(key), bearer(key))
	a.do(t, http.MethodGet, "/"+key)
	a.do(t, http.MethodGet, "/docs?key="+key)
	a.DBProxy.Stop()
	a.validate(t, bearer(key))
	a.DBProxy.Start(t)
	// Connections the outage broke fail once each (they were idle for less
	// than pgx's 1 s ping threshold); wait for recovery as a client would.
	require.Eventually(t, func() bool { return a.validate(t, bearer(key)).Status == 200 },
		10*time.Second, 50*time.Millisecond, "auth recovers without a restart")
	require.NoError(t, a.Usage.Close(context.Background()))

	logs := a.Logs.String()
	require.NotEmpty(t, logs)
	for _, secret := range append(a.keys, key[len(common.APIKeyPrefix):], "dXNlcjpwYXNz") {
		assert.NotContains(t, logs, secret)
	}
	// Nor the keys' lookup hashes (what the database is queried with, also
	// while it is down and queries fail), in any case.
	for _, k := range append(a.keys, key+"x") {
		h := services.LookupHash(k)
		assert.NotContains(t, strings.ToLower(logs), h, "lookup hash of %s...", k[:12])
	}
	// Every line is one JSON object with the agreed fields.
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		for _, f := range []string{"timestamp", "level", "component", "message"} {
			assert.Contains(t, m, f, line)
		}
		if m["message"] == "request" {
			assert.Contains(t, m, "correlation_id")
		}
	}
	assert.Contains(t, logs, `"account_id":"`+k.Key.AccountID+`"`, "successful requests log the account")
}

// TestRequestID: a valid incoming X-Request-ID is echoed back and logged; an
// invalid one is replaced.
func TestRequestID(t *testing.T) {
	a := newAPIEnv(t)
	for _, tc := range []struct {
		in   string
		keep bool
	}{{"abc-123_X.y:z", true}, {strings.Repeat("a", 128), true}, {strings.Repeat("a", 129), false}, {"has space", false}, {"<script>", false}} {
		req, _ := http.NewRequest(http.MethodGet, a.URL+common.PathHealth, nil)
		req.Header.Set("X-Request-ID", tc.in)
		resp, err := a.client.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		got := resp.Header.Get("X-Request-ID")
		assert.True(t, middleware.ValidRequestID(got))
		assert.Equal(t, tc.keep, got == tc.in, "in %q out %q", tc.in, got)
	}
	assert.Contains(t, a.Logs.String(), `"correlation_id":"abc-123_X.y:z"`)
}

// TestDocumentsAndMetrics: the documentation endpoints and /metrics answer
// from the binary, and /openapi.json is api/openapi.yaml.
func TestDocumentsAndMetrics(t *testing.T) {
	a := newAPIEnv(t)
	for path, ctype := range map[string]string{
		"/openapi.json":              "application/json",
		"/docs":                      "text/html",
		"/docs/swagger-ui-bundle.js": "text/javascript",
		"/docs/swagger-ui.css":       "text/css",
		"/docs/rgrid-init.js":        "text/javascript",
		"/redoc":                     "text/html",
		"/redoc/redoc.standalone.js": "text/javascript",
		"/metrics":                   "text/plain",
	} {
		r := a.do(t, http.MethodGet, path)
		require.Equal(t, 200, r.Status, path)
		assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), ctype), "%s: %s", path, r.Header.Get("Content-Type"))
		assert.NotContains(t, string(r.Body), "petstore", path)
	}
	assert.Equal(t, 404, a.do(t, http.MethodGet, "/docs/nope.js").Status)
	// The spellings people type lead to the pages, not to a 404.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, page := range map[string]string{"/docs/": "/docs", "/docs/index.html": "/docs", "/redoc/": "/redoc"} {
		resp, err := noFollow.Get(a.URL + path)
		require.NoError(t, err, path)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, path)
		assert.Equal(t, page, resp.Header.Get("Location"), path)
	}

	// The pages we write name no other host, and Swagger UI is told not to
	// send the document to validator.swagger.io (its default): the docs
	// work offline and contact nobody.
	for _, path := range []string{"/docs", "/docs/rgrid-init.js", "/redoc"} {
		body := string(a.do(t, http.MethodGet, path).Body)
		assert.NotRegexp(t, `(?i)https?:|//[a-z0-9.-]+\.[a-z]{2,}`, body, "%s names another host", path)
	}
	assert.Regexp(t, `(?m)^\s*validatorUrl:\s*null,?$`, string(a.do(t, http.MethodGet, "/docs/rgrid-init.js").Body))

	var doc map[string]any
	require.NoError(t, json.Unmarshal(a.do(t, http.MethodGet, "/openapi.json").Body, &doc))
	assert.Equal(t, "3.0.3", doc["openapi"])
	// Relative: Swagger UI's "Try it out" calls the server that served the
	// page, wherever it runs, never a fixed localhost:8000.
	servers, _ := doc["servers"].([]any)
	require.Len(t, servers, 1)
	assert.Equal(t, "/", servers[0].(map[string]any)["url"])
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/health", "/api/v1/auth/validate", "/openapi.json", "/docs", "/redoc", "/metrics"} {
		assert.Contains(t, paths, p)
	}

	// Before any authentication the counters are already there, at 0.
	first := string(a.do(t, http.MethodGet, "/metrics").Body)
	for _, want := range []string{
		`rgrid_bcrypt_verifications_total{result="match"} 0`,
		`rgrid_bcrypt_verifications_total{result="mismatch"} 0`,
		`rgrid_auth_outcomes_total{outcome="success"} 0`,
		`rgrid_auth_outcomes_total{outcome="invalid_api_key"} 0`,
		`rgrid_auth_outcomes_total{outcome="service_unavailable"} 0`,
	} {
		assert.Contains(t, first, want+"\n")
	}

	a.do(t, http.MethodGet, common.PathHealth)
	a.do(t, http.MethodGet, "/nope")
	m := string(a.do(t, http.MethodGet, "/metrics").Body)
	for _, want := range []string{
		`rgrid_http_requests_total{method="GET",route="/health",status="200"}`,
		`rgrid_http_requests_total{method="GET",route="unmatched",status="404"}`,
		`rgrid_http_request_duration_seconds_bucket{method="GET",route="/health",status="200"`,
		`go_sql_open_connections{db_name="rgrid"}`,
		`rgrid_bcrypt_verifications_total`,
	} {
		assert.True(t, strings.Contains(m, want), "/metrics lacks %s", want)
	}
}

// scrape sums every sample of the metric (name or name{labels}) at /metrics.
func scrape(t *testing.T, a *apiEnv, metric string) float64 {
	t.Helper()
	body := string(a.do(t, http.MethodGet, "/metrics").Body)
	var sum float64
	found := false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, metric) {
			continue
		}
		rest := line[len(metric):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		var v float64
		fields := strings.Fields(line)
		_, err := fmt.Sscan(fields[len(fields)-1], &v)
		require.NoError(t, err, line)
		sum += v
		found = true
	}
	require.True(t, found, "metric %s not exposed", metric)
	return sum
}
