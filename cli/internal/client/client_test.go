package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rgrid/rgrid/common"
)

const testKey = "sk_live_abcdefghijklmnopqrstuvwxyz012345"

func newClient(t *testing.T, url string, opts ...func(*Options)) *Client {
	t.Helper()
	o := Options{BaseURL: url, APIKey: testKey, Timeout: 2 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateKeySendsHeadersAndDecodes(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"account_id":"acct_1","email":"dev@localhost","credits_balance_micros":12345000,"future":"ignored"}`))
	}))
	defer srv.Close()
	acct, err := newClient(t, srv.URL+"/").ValidateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if *acct != (common.AuthValidateResponse{AccountID: "acct_1", Email: "dev@localhost", CreditsBalanceMicros: 12345000}) {
		t.Fatalf("account %+v", acct)
	}
	checks := map[string]string{
		"method":        got.Method,
		"path":          got.URL.Path,
		"Authorization": got.Header.Get("Authorization"),
		"User-Agent":    got.Header.Get("User-Agent"),
		"Accept":        got.Header.Get("Accept"),
	}
	want := map[string]string{
		"method":        "POST",
		"path":          "/api/v1/auth/validate",
		"Authorization": "Bearer " + testKey,
		"User-Agent":    "rgrid-cli/0.1.0",
		"Accept":        "application/json",
	}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %q, want %q", k, checks[k], v)
		}
	}
}

func TestBasePathPrefix(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		_, _ = w.Write([]byte(`{"account_id":"a","email":"e"}`))
	}))
	defer srv.Close()
	if _, err := newClient(t, srv.URL+"/rgrid/").ValidateKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if path != "/rgrid/api/v1/auth/validate" {
		t.Fatalf("path %q", path)
	}
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		kind    Kind
		code    common.ErrorCode
		message []string
	}{
		{"invalid key", 401, nil, `{"error_code":"invalid_api_key","message":"Invalid API key","details":null}`,
			KindAPI, common.CodeInvalidAPIKey, []string{"not accepted", HelpURL}},
		{"revoked key", 401, nil, `{"error_code":"revoked_api_key","message":"revoked"}`,
			KindAPI, common.CodeRevokedAPIKey, []string{"revoked", HelpURL}},
		{"missing key", 401, nil, `{"error_code":"missing_api_key","message":"Missing API key"}`,
			KindAPI, common.CodeMissingAPIKey, []string{"did not receive an API key", "Missing API key"}},
		{"suspended", 403, nil, `{"error_code":"account_suspended","message":"Account suspended"}`,
			KindAPI, common.CodeAccountSuspended, []string{"suspended"}},
		{"rate limited", 429, map[string]string{"Retry-After": "7"}, `{"error_code":"rate_limited","message":"slow down"}`,
			KindAPI, common.CodeRateLimited, []string{"try again in 7s"}},
		{"rate limited without retry-after", 429, nil, `{"error_code":"rate_limited","message":"slow down"}`,
			KindAPI, common.CodeRateLimited, []string{"try again shortly"}},
		{"unavailable", 503, map[string]string{"Retry-After": "3"}, `{"error_code":"service_unavailable","message":"database unavailable"}`,
			KindAPI, common.CodeServiceUnavailable, []string{"temporarily unavailable", "database unavailable", "try again in 3s"}},
		{"internal", 500, nil, `{"error_code":"internal_error","message":"oops"}`,
			KindAPI, common.CodeInternal, []string{"internal error", "oops"}},
		{"unknown code", 418, nil, `{"error_code":"teapot","message":""}`,
			KindAPI, "teapot", []string{"answered 418 teapot"}},
		{"502 HTML", 502, map[string]string{"Content-Type": "text/html"}, `<html><body><h1>502 Bad Gateway</h1></body></html>`,
			KindBadResponse, "", []string{"answered 502 Bad Gateway (not an RGrid API?)"}},
		{"404 from something else", 404, nil, `404 page not found`,
			KindBadResponse, "", []string{"answered 404 Not Found (not an RGrid API?)"}},
		{"200 malformed JSON", 200, nil, `{"account_id": "acct_1", "email":`,
			KindBadResponse, "", []string{"200 OK", "not with JSON"}},
		{"200 HTML", 200, nil, `<html>hi</html>`,
			KindBadResponse, "", []string{"not with JSON"}},
		{"200 JSON without account", 200, nil, `{"status":"healthy"}`,
			KindBadResponse, "", []string{"without an account id"}},
		{"200 too large", 200, nil, `{"account_id":"` + strings.Repeat("a", maxBody) + `"}`,
			KindBadResponse, "", []string{"unexpectedly large"}},
		{"redirect", 301, map[string]string{"Location": "https://api.rgrid.dev/api/v1/auth/validate"}, ``,
			KindBadResponse, "", []string{"301 Moved Permanently", "redirecting to https://api.rgrid.dev", "--api-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := newClient(t, srv.URL).ValidateKey(context.Background())
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if ce.Kind != tt.kind || ce.Code() != tt.code {
				t.Fatalf("kind %v code %q, want %v %q (%v)", ce.Kind, ce.Code(), tt.kind, tt.code, err)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
			if strings.Contains(err.Error(), testKey) || strings.ContainsAny(err.Error(), "\n") {
				t.Fatalf("message leaks the key or spans lines: %q", err)
			}
			if tt.kind == KindAPI {
				var apiErr *common.Error
				if !errors.As(err, &apiErr) || apiErr.Code != tt.code {
					t.Fatalf("no *common.Error in the chain: %v", err)
				}
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	_, err := newClient(t, srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond }).ValidateKey(context.Background())
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindTimeout || !strings.Contains(err.Error(), "did not answer in time (100ms)") {
		t.Fatalf("err = %v", err)
	}
}

// timeoutErr is a net.Error that timed out, with the given text.
type timeoutErr string

func (e timeoutErr) Error() string { return string(e) }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// TestTimeoutMessagesNameTheLimitThatRanOut: the sentence names the limit
// that actually applies, and the default transport has no phase limit on
// waiting for the answer that is shorter than the one the message names.
func TestTimeoutMessagesNameTheLimitThatRanOut(t *testing.T) {
	c, err := New(Options{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout() != DefaultTimeout {
		t.Fatalf("Timeout() = %s, want %s", c.Timeout(), DefaultTimeout)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T", c.hc.Transport)
	}
	if tr.ResponseHeaderTimeout != 0 && tr.ResponseHeaderTimeout < c.Timeout() {
		t.Fatalf("the client gives up on the answer after %s but would say %s", tr.ResponseHeaderTimeout, c.Timeout())
	}
	if tr.TLSHandshakeTimeout != DefaultTLSTimeout {
		t.Fatalf("TLS handshake timeout %s", tr.TLSHandshakeTimeout)
	}

	tests := []struct {
		name    string
		timeout time.Duration
		err     error
		kind    Kind
		want    string
	}{
		{"answer, default limit", 0, timeoutErr("context deadline exceeded (Client.Timeout exceeded while awaiting headers)"),
			KindTimeout, "did not answer in time (" + DefaultTimeout.String() + ")"},
		{"answer, configured limit", 7 * time.Second, timeoutErr("Client.Timeout exceeded"), KindTimeout, "did not answer in time (7s)"},
		{"connect", 0, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr("i/o timeout")},
			KindUnreachable, "is it running? (no connection within " + DefaultConnectTimeout.String() + ")"},
		{"connect, shorter overall limit", 2 * time.Second, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr("i/o timeout")},
			KindUnreachable, "(no connection within 2s)"},
		{"tls", 0, timeoutErr("net/http: TLS handshake timeout"),
			KindUnreachable, "the TLS handshake took longer than " + DefaultTLSTimeout.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(t, "http://127.0.0.1:1", func(o *Options) {
				o.Timeout = tt.timeout
				o.Transport = failingTransport{tt.err}
			}).ValidateKey(context.Background())
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want kind %d with %q", err, tt.kind, tt.want)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, err = newClient(t, "http://"+addr).ValidateKey(context.Background())
	var ce *Error
	if !errors.As(err, &ce) || ce.Kind != KindUnreachable {
		t.Fatalf("err = %v", err)
	}
	want := "could not reach the RGrid API at http://" + addr + ": is it running? (connection refused)"
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestServerHangsUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).ValidateKey(context.Background())
	if err == nil || !strings.Contains(err.Error(), "could not reach") {
		t.Fatalf("err = %v", err)
	}
}

func TestTLSFailure(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).ValidateKey(context.Background()) // self-signed: not trusted
	if err == nil || !strings.Contains(err.Error(), "could not connect securely") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelled(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := newClient(t, srv.URL).ValidateKey(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestInsecureHTTP(t *testing.T) {
	tests := []struct {
		url     string
		allow   bool
		key     string
		refused bool
	}{
		{"http://api.example.com", false, testKey, true},
		{"http://10.0.0.5:8000", false, testKey, true},
		{"http://localhost.example.com", false, testKey, true},
		{"http://api.example.com", true, testKey, false},
		{"http://api.example.com", false, "", false},
		{"https://api.example.com", false, testKey, false},
		{"http://localhost:8000", false, testKey, false},
		{"http://LOCALHOST", false, testKey, false},
		{"http://127.0.0.1:8000", false, testKey, false},
		{"http://127.45.6.7", false, testKey, false},
		{"http://[::1]:8000", false, testKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := New(Options{BaseURL: tt.url, APIKey: tt.key, AllowInsecureHTTP: tt.allow})
			var ce *Error
			refused := errors.As(err, &ce) && ce.Kind == KindInsecure
			if refused != tt.refused || (!tt.refused && err != nil) {
				t.Fatalf("err = %v, want refused=%v", err, tt.refused)
			}
			if refused && (!strings.Contains(err.Error(), "--allow-insecure-http") || strings.Contains(err.Error(), testKey)) {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestParseBaseURL(t *testing.T) {
	good := map[string]string{
		"http://localhost:8000":  "http://localhost:8000",
		"https://api.rgrid.dev/": "https://api.rgrid.dev",
		" https://h/prefix/ ":    "https://h/prefix",
		"http://[::1]:8000":      "http://[::1]:8000",
	}
	for in, want := range good {
		u, err := ParseBaseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseBaseURL(%q) = %v, %v; want %q", in, u, err, want)
		}
	}
	for _, in := range []string{"", "localhost:8000", "ftp://h", "http://", "http://user:pw@h", "http://h/?x=1", "http://h/#f", "http://h?", "http://%zz", "https://:443"} {
		_, err := ParseBaseURL(in)
		var ce *Error
		if !errors.As(err, &ce) || ce.Kind != KindBadURL || !strings.Contains(err.Error(), "is not usable") {
			t.Errorf("ParseBaseURL(%q) err = %v", in, err)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "localhost.": true, "127.0.0.1": true, "127.255.255.254": true,
		"::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"128.0.0.1": false, "0.0.0.0": false, "10.0.0.1": false, "example.com": false, "localhost.evil.com": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		" 12 ":                          12 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 00:00:30 GMT": 30 * time.Second,
		"Tue, 31 Dec 2024 00:00:30 GMT": 0,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDoWithoutOutAndKey(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { auth = r.Header.Get("Authorization") }))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), http.MethodGet, common.PathHealth, nil); err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		t.Fatalf("sent Authorization %q without a key", auth)
	}
	if c.BaseURL() != srv.URL {
		t.Fatalf("BaseURL %q", c.BaseURL())
	}
	if err := c.Do(context.Background(), "BAD METHOD", "/", nil); err == nil {
		t.Fatal("want an error for an invalid method")
	}
}

func TestErrorUnwrapAndCode(t *testing.T) {
	cause := errors.New("x")
	e := &Error{Kind: KindUnreachable, Err: cause}
	if !errors.Is(e, cause) || e.Code() != "" {
		t.Fatal("Unwrap/Code wrong for transport errors")
	}
}

type answerTransport struct {
	status int
	body   string
}

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

// TestDevKeyHint: a rejected key on a server on this machine (rgrid-api
// dev) also says how to get a dev key; elsewhere only the help URL is given.
func TestDevKeyHint(t *testing.T) {
	for _, code := range []string{"invalid_api_key", "revoked_api_key"} {
		for url, loopback := range map[string]bool{
			"http://127.0.0.1:8000": true, "http://localhost:8001": true, "http://[::1]:8000": true,
			"https://api.rgrid.dev": false, "https://10.0.0.5": false,
		} {
			t.Run(code+" "+url, func(t *testing.T) {
				_, err := newClient(t, url, func(o *Options) {
					o.Transport = answerTransport{401, `{"error_code":"` + code + `","message":"no"}`}
				}).ValidateKey(context.Background())
				if err == nil || !strings.Contains(err.Error(), HelpURL) {
					t.Fatalf("err = %v", err)
				}
				hinted := strings.Contains(err.Error(), "rgrid-api dev --new-key") &&
					strings.Contains(err.Error(), "rgrid-api keys create --account")
				if hinted != loopback {
					t.Fatalf("dev hint shown = %v, want %v: %v", hinted, loopback, err)
				}
			})
		}
	}
}
