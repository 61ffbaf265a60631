package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
)

const goodKey = "sk_live_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"

func TestBearerKey(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		key    string
		code   common.ErrorCode
	}{
		{"bearer", []string{"Bearer " + goodKey}, goodKey, ""},
		{"lowercase", []string{"bearer " + goodKey}, goodKey, ""},
		{"mixed case", []string{"bEaReR " + goodKey}, goodKey, ""},
		{"spaces and tabs", []string{"Bearer \t  " + goodKey}, goodKey, ""},
		{"surrounding whitespace", []string{"  Bearer " + goodKey + "\t"}, goodKey, ""},
		{"none", nil, "", common.CodeMissingAPIKey},
		{"empty", []string{""}, "", common.CodeMissingAPIKey},
		{"blank", []string{"   "}, "", common.CodeMissingAPIKey},
		{"scheme only", []string{"Bearer"}, "", common.CodeMissingAPIKey},
		{"scheme and space", []string{"Bearer   "}, "", common.CodeMissingAPIKey},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", common.CodeMissingAPIKey},
		{"no scheme", []string{goodKey}, "", common.CodeMissingAPIKey},
		{"Bearer glued", []string{"Bearer" + goodKey}, "", common.CodeMissingAPIKey},
		{"two headers", []string{"Bearer " + goodKey, "Bearer " + goodKey}, "", common.CodeInvalidRequest},
		{"short", []string{"Bearer " + goodKey[:39]}, "", common.CodeInvalidAPIKey},
		{"long", []string{"Bearer " + goodKey + "x"}, "", common.CodeInvalidAPIKey},
		{"bad char", []string{"Bearer " + goodKey[:39] + "-"}, "", common.CodeInvalidAPIKey},
		{"two tokens", []string{"Bearer " + goodKey + " x"}, "", common.CodeInvalidAPIKey},
		{"10 kB", []string{"Bearer " + strings.Repeat("a", 10<<10)}, "", common.CodeInvalidAPIKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Authorization", v)
			}
			key, err := BearerKey(h)
			if tc.code == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.key, key)
				return
			}
			var ce *common.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.code, ce.Code)
			assert.NotContains(t, ce.Message, goodKey)
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"key " + goodKey + " end":       "key sk_live_[REDACTED] end",
		"sk_live_":                      "sk_live_[REDACTED]",
		"Authorization: Bearer abc.def": "Authorization: Bearer [REDACTED]",
		"basic\tdXNlcjpwYXNz, more":     "basic\t[REDACTED], more",
		"nothing secret here":           "nothing secret here",
		`{"auth":"Token abc"}`:          `{"auth":"Token [REDACTED]"}`,
	} {
		assert.Equal(t, want, Redact(in), in)
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

func TestLoggerFormatAndRedaction(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(&buf, slog.LevelDebug, "api")
	ctx := withRequestInfo(context.Background(), &requestInfo{correlationID: "req_1"})
	setAccountID(ctx, "acct_1")
	l.InfoContext(ctx, "saw "+goodKey,
		"err", errors.New("bad "+goodKey),
		"str", stringer{"Bearer " + goodKey},
		"bytes", []byte(goodKey),
		"any", []string{goodKey},
		"n", 3,
		slog.Group("g", "inner", goodKey))
	l.WithGroup("grp").With("a", 1).Debug("plain")
	l.With("component", "migrate").Info("sub")
	l.Info("own", "component", "migrate", "n", 1) // as golang-migrate's adapter did
	l.With("component", "database").Info("own", "component", "migrate")
	out := buf.String()
	assert.NotContains(t, out, goodKey[8:])
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	for _, line := range lines[2:] {
		assert.Equal(t, 1, strings.Count(line, `"component"`), "one component per line: %s", line)
		assert.Contains(t, line, `"component":"migrate"`)
	}
	assert.Contains(t, lines[3], `"n":1`, "the other attributes stay")
	assert.Contains(t, lines[1], `"component":"api","grp":{"a":1}`)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	assert.Equal(t, "INFO", m["level"])
	assert.Equal(t, "api", m["component"])
	assert.Equal(t, "req_1", m["correlation_id"])
	assert.Equal(t, "acct_1", m["account_id"])
	assert.Equal(t, "saw sk_live_[REDACTED]", m["message"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, m["timestamp"])
	assert.EqualValues(t, 3, m["n"])
	assert.Equal(t, "", CorrelationID(context.Background()))
	assert.Equal(t, "req_1", CorrelationID(ctx))
	setAccountID(context.Background(), "ignored") // no request info: no-op
}

func TestRequestIDValidity(t *testing.T) {
	assert.True(t, ValidRequestID("a"))
	assert.True(t, ValidRequestID(NewRequestID()))
	assert.False(t, ValidRequestID(""))
	assert.False(t, ValidRequestID("a b"))
	assert.False(t, ValidRequestID(strings.Repeat("a", 129)))
	assert.NotEqual(t, NewRequestID(), NewRequestID())
}

// newTestEcho builds an Echo with the middleware chain and a few routes.
func newTestEcho(t *testing.T, logs *bytes.Buffer, a Authenticator) (*echo.Echo, *Metrics) {
	t.Helper()
	l := NewLogger(logs, slog.LevelDebug, "api")
	m := NewMetrics()
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(l)
	e.Use(Observe(l, m), Recover(l))
	e.GET("/panic", func(echo.Context) error { panic("boom " + goodKey) })
	e.GET("/abort", func(echo.Context) error { panic(http.ErrAbortHandler) })
	e.GET("/plain-error", func(echo.Context) error { return fmt.Errorf("db: %w", errors.New("secret internals")) })
	e.GET("/http-error/:code", func(c echo.Context) error {
		var code int
		_, _ = fmt.Sscan(c.Param("code"), &code)
		return echo.NewHTTPError(code, "internal detail")
	})
	e.GET("/committed", func(c echo.Context) error {
		_ = c.String(http.StatusOK, "ok")
		return errors.New("after commit")
	})
	e.POST("/private", func(c echo.Context) error {
		acct, ok := AccountFrom(c)
		require.True(t, ok)
		return c.String(http.StatusOK, acct.ID)
	}, Auth(a, m))
	return e, m
}

type fakeAuth struct{ err error }

func (f fakeAuth) Authenticate(_ context.Context, key string) (services.Principal, error) {
	if f.err != nil {
		return services.Principal{}, f.err
	}
	return services.Principal{Account: models.Account{ID: "acct_x"}, KeyID: 1}, nil
}

func serve(e *echo.Echo, method, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func decodeErr(t *testing.T, rec *httptest.ResponseRecorder) common.ErrorResponse {
	t.Helper()
	var r common.ErrorResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r
}

func TestErrorHandlerAndRecover(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newTestEcho(t, &logs, fakeAuth{})

	rec := serve(e, http.MethodGet, "/panic")
	assert.Equal(t, 500, rec.Code)
	assert.Equal(t, common.CodeInternal, decodeErr(t, rec).ErrorCode)
	assert.NotContains(t, rec.Body.String(), "boom")
	assert.Contains(t, logs.String(), "panic recovered")
	assert.NotContains(t, logs.String(), goodKey)

	assert.Panics(t, func() { serve(e, http.MethodGet, "/abort") }, "ErrAbortHandler is re-panicked for net/http")

	rec = serve(e, http.MethodGet, "/plain-error")
	assert.Equal(t, 500, rec.Code)
	assert.NotContains(t, rec.Body.String(), "secret internals")
	assert.Contains(t, logs.String(), "secret internals", "logged for the operator")

	for code, want := range map[int]common.ErrorCode{
		400: common.CodeInvalidRequest, 404: common.CodeNotFound, 405: common.CodeMethodNotAllowed,
		413: common.CodeInvalidRequest, 429: common.CodeRateLimited, 503: common.CodeServiceUnavailable,
		418: common.CodeInvalidRequest, 502: common.CodeInternal,
	} {
		rec := serve(e, http.MethodGet, fmt.Sprintf("/http-error/%d", code))
		got := decodeErr(t, rec)
		assert.Equal(t, want, got.ErrorCode, "echo %d", code)
		assert.Equal(t, want.HTTPStatus(), rec.Code)
		assert.NotContains(t, got.Message, "internal detail")
		if rec.Code == 503 {
			assert.Equal(t, RetryAfterSeconds, rec.Header().Get("Retry-After"))
		}
	}

	rec = serve(e, http.MethodGet, "/committed")
	assert.Equal(t, "ok", rec.Body.String())

	rec = serve(e, http.MethodHead, "/nope")
	assert.Equal(t, 404, rec.Code)
	assert.Empty(t, rec.Body.String(), "HEAD has no body")
}

func TestAuthMiddleware(t *testing.T) {
	var logs bytes.Buffer
	e, m := newTestEcho(t, &logs, fakeAuth{})
	rec := serve(e, http.MethodPost, "/private", "Authorization", "Bearer "+goodKey)
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "acct_x", rec.Body.String())
	assert.Contains(t, logs.String(), `"account_id":"acct_x"`)

	rec = serve(e, http.MethodPost, "/private")
	assert.Equal(t, 401, rec.Code)
	assert.Equal(t, WWWAuthenticate, rec.Header().Get("WWW-Authenticate"))

	e2, _ := newTestEcho(t, &logs, fakeAuth{err: common.Errorf(common.CodeServiceUnavailable, "down")})
	rec = serve(e2, http.MethodPost, "/private", "Authorization", "Bearer "+goodKey)
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, RetryAfterSeconds, rec.Header().Get("Retry-After"))
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))

	e3, _ := newTestEcho(t, &logs, fakeAuth{err: errors.New("weird")})
	rec = serve(e3, http.MethodPost, "/private", "Authorization", "Bearer "+goodKey)
	assert.Equal(t, 500, rec.Code)

	assert.Equal(t, "success", outcome(nil))
	assert.Equal(t, "internal_error", outcome(errors.New("x")))
	assert.Equal(t, 0.0, m.BcryptCount())
	m.ObserveBcrypt(true)
	m.ObserveBcrypt(false)
	assert.Equal(t, 2.0, m.BcryptCount())
	_, ok := PrincipalFrom(context.Background())
	assert.False(t, ok)
}

func TestMethodLabel(t *testing.T) {
	assert.Equal(t, "GET", methodLabel("GET"))
	assert.Equal(t, "OTHER", methodLabel("BREW"))
}

// TestMetricsStartAtZero: a scrape before any request already shows every
// label value of the bcrypt and auth outcome counters, at 0.
func TestMetricsStartAtZero(t *testing.T) {
	m := NewMetrics()
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	body := scrape()
	for _, r := range []string{"match", "mismatch"} {
		assert.Contains(t, body, `rgrid_bcrypt_verifications_total{result="`+r+`"} 0`+"\n")
	}
	for _, o := range []common.ErrorCode{"success", common.CodeMissingAPIKey, common.CodeInvalidAPIKey,
		common.CodeRevokedAPIKey, common.CodeAccountSuspended, common.CodeInvalidRequest,
		common.CodeServiceUnavailable, common.CodeInternal} {
		assert.Contains(t, body, `rgrid_auth_outcomes_total{outcome="`+string(o)+`"} 0`+"\n")
	}

	// Every outcome the Auth middleware produces is one of them, so no
	// series appears later that a scrape before could not see.
	var logs bytes.Buffer
	var e *echo.Echo
	e, m = newTestEcho(t, &logs, fakeAuth{})
	before := strings.Count(scrape(), "rgrid_auth_outcomes_total{")
	for _, hdr := range [][]string{
		{"Authorization", "Bearer " + goodKey},
		{},
		{"Authorization", "Basic x"},
		{"Authorization", "Bearer sk_live_short"},
		{"Authorization", "Bearer " + goodKey, "Authorization", "Bearer " + goodKey},
	} {
		serve(e, http.MethodPost, "/private", hdr...)
	}
	// The errors services.Authenticator returns map to known outcomes too.
	for _, err := range []error{
		common.Errorf(common.CodeRevokedAPIKey, "x"), common.Errorf(common.CodeAccountSuspended, "x"),
		common.Errorf(common.CodeServiceUnavailable, "x"), errors.New("bug"),
	} {
		assert.Contains(t, AuthOutcomes, outcome(err))
	}
	body = scrape()
	assert.Equal(t, before, strings.Count(body, "rgrid_auth_outcomes_total{"), "no new outcome series")
	assert.Contains(t, body, `rgrid_auth_outcomes_total{outcome="success"} 1`+"\n")
	assert.Contains(t, body, `rgrid_auth_outcomes_total{outcome="missing_api_key"} 2`+"\n")
	assert.Contains(t, body, `rgrid_auth_outcomes_total{outcome="invalid_api_key"} 1`+"\n")
	assert.Contains(t, body, `rgrid_auth_outcomes_total{outcome="invalid_request"} 1`+"\n")
}
