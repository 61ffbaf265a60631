// Package clitest runs the rgrid command in-process for tests: buffers for
// the streams, a private environment and config folder, a fake prompter and
// a fake RGrid API.
package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/cli/internal/prompt"
	"github.com/rgrid/rgrid/cli/internal/root"
	"github.com/rgrid/rgrid/common"
)

// Keys known to the fake API. They are built from the prefix so that no
// literal live-looking key sits in non-test code (the pre-stop check and
// secret scanners look for exactly that).
const (
	GoodKey    = common.APIKeyPrefix + "GoodGoodGoodGoodGoodGoodGoodAbCd" //nolint:gosec // fake key known only to the fake API
	OtherKey   = common.APIKeyPrefix + "OtherOtherOtherOtherOtherOthWxYz" //nolint:gosec // fake key known only to the fake API
	RevokedKey = common.APIKeyPrefix + "RevokedRevokedRevokedRevoked0000" //nolint:gosec // fake key known only to the fake API
)

// Env is one isolated environment to run rgrid in.
type Env struct {
	T        testing.TB
	Vars     map[string]string
	Stdin    string
	TTY      bool // stdin/stdout/stderr are terminals: a prompter is used
	Prompter *FakePrompter
	Timeout  time.Duration
	Ctx      context.Context
	// Transport, when set, carries the CLI's HTTP requests instead of
	// GuardTransport.
	Transport http.RoundTripper
}

// Result is the outcome of one run.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// New returns an Env whose HOME is a fresh temporary folder and whose API
// URL points at api (when not nil).
func New(t testing.TB, api *API) *Env {
	t.Helper()
	home := t.TempDir()
	e := &Env{T: t, Vars: map[string]string{"HOME": home}, Prompter: &FakePrompter{}}
	if api != nil {
		e.Vars["RGRID_API_URL"] = api.URL
	}
	return e
}

// Home returns the HOME of the environment.
func (e *Env) Home() string { return e.Vars["HOME"] }

// ConfigDir is where rgrid keeps its files in this environment.
func (e *Env) ConfigDir() string {
	if d := e.Vars["RGRID_CONFIG_DIR"]; d != "" {
		return d
	}
	return filepath.Join(e.Home(), ".rgrid")
}

// CredentialsPath is the credentials file in this environment.
func (e *Env) CredentialsPath() string { return filepath.Join(e.ConfigDir(), "credentials") }

// WriteCredentials writes the credentials file verbatim.
func (e *Env) WriteCredentials(data string) {
	e.T.Helper()
	if err := os.MkdirAll(e.ConfigDir(), 0o700); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(e.CredentialsPath(), []byte(data), 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// ReadFile returns the named file in the config folder, or "" if missing.
func (e *Env) ReadFile(name string) string {
	b, err := os.ReadFile(filepath.Join(e.ConfigDir(), name)) //nolint:gosec // test
	if err != nil {
		return ""
	}
	return string(b)
}

// Run runs `rgrid args...`.
func (e *Env) Run(args ...string) Result {
	e.T.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(e.Stdin)
	ios.SetTTY(e.TTY, e.TTY, e.TTY)
	tr := e.Transport
	if tr == nil {
		tr = GuardTransport()
	}
	f := &cmdutil.Factory{
		IO:          ios,
		Getenv:      func(k string) string { return e.Vars[k] },
		HTTPTimeout: e.Timeout,
		Transport:   tr,
	}
	if e.TTY {
		f.Prompter = e.Prompter
	}
	ctx := e.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	code := root.Run(ctx, append([]string{"rgrid"}, args...), f)
	r := Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
	for _, s := range []string{r.Stdout, r.Stderr} {
		for _, k := range []string{GoodKey, OtherKey, RevokedKey} {
			if strings.Contains(s, k) {
				e.T.Errorf("output shows an API key:\n%s", s)
			}
		}
		if strings.Contains(s, "goroutine ") || strings.Contains(s, "panic:") {
			e.T.Errorf("output shows a stack trace:\n%s", s)
		}
	}
	return r
}

// DefaultAPIPort is the port of the CLI's default API URL, where a
// developer's own `make dev` server (or anybody else's) may be listening.
const DefaultAPIPort = "8000"

// GuardTransport is the HTTP transport of every in-process run unless the
// test sets Env.Transport: a plain transport without proxies (HTTP_PROXY in
// the developer's environment must not change results) that refuses to
// connect to port 8000, so a test never talks to a real RGrid server that
// happens to run on this machine. Tests that need the default URL inject a
// recording transport instead.
func GuardTransport() http.RoundTripper {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if _, port, err := net.SplitHostPort(addr); err == nil && port == DefaultAPIPort {
				return nil, fmt.Errorf("clitest: refusing to connect to %s: a test must not reach a real server on the default API port", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns:        4,
		IdleConnTimeout:     time.Second,
	}
}

// Recorder is a transport that records each request's URL and answers
// with Err (a connection failure) without any network traffic.
type Recorder struct {
	mu   sync.Mutex
	URLs []string
	Err  error
}

// RoundTrip records r and fails with the recorder's error.
func (rec *Recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.URLs = append(rec.URLs, r.URL.String())
	return nil, rec.Err
}

// Requested returns the URLs requested so far.
func (rec *Recorder) Requested() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.URLs...)
}

// FakePrompter answers questions from queues and records them.
type FakePrompter struct {
	mu       sync.Mutex
	Secrets  []string
	Confirms []bool
	Asked    []string
	// CancelAt cancels (like Ctrl-C) at the question with this number,
	// counting from 1; 0 never cancels.
	CancelAt int
}

var _ prompt.Prompter = (*FakePrompter)(nil)

func (p *FakePrompter) ask(q string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Asked = append(p.Asked, q)
	return p.CancelAt == len(p.Asked)
}

// Secret returns the next queued secret.
func (p *FakePrompter) Secret(_ context.Context, q string) (string, error) {
	if p.ask(q) {
		return "", prompt.ErrCancelled
	}
	if len(p.Secrets) == 0 {
		return "", prompt.ErrCancelled
	}
	s := p.Secrets[0]
	p.Secrets = p.Secrets[1:]
	return s, nil
}

// Confirm returns the next queued answer.
func (p *FakePrompter) Confirm(_ context.Context, q string) (bool, error) {
	if p.ask(q) {
		return false, prompt.ErrCancelled
	}
	if len(p.Confirms) == 0 {
		return false, nil
	}
	a := p.Confirms[0]
	p.Confirms = p.Confirms[1:]
	return a, nil
}

// API is a fake RGrid API serving POST /api/v1/auth/validate.
type API struct {
	*httptest.Server
	mu       sync.Mutex
	Requests int
	// Handler, when set, answers instead of the fake.
	Handler http.HandlerFunc
}

// NewAPI starts a fake API that knows GoodKey and OtherKey, and answers
// revoked_api_key for RevokedKey.
func NewAPI(t testing.TB) *API {
	t.Helper()
	a := &API{}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Count returns the number of requests served.
func (a *API) Count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Requests
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.Requests++
	h := a.Handler
	a.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != common.PathAuthValidate {
		writeErr(w, common.Errorf(common.CodeNotFound, "no route"))
		return
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + GoodKey:
		_ = json.NewEncoder(w).Encode(common.AuthValidateResponse{AccountID: "acct_good", Email: "dev@localhost", CreditsBalanceMicros: 12_345_000})
	case "Bearer " + OtherKey:
		_ = json.NewEncoder(w).Encode(common.AuthValidateResponse{AccountID: "acct_other", Email: "other@localhost", CreditsBalanceMicros: 0})
	case "Bearer " + RevokedKey:
		writeErr(w, common.Errorf(common.CodeRevokedAPIKey, "API key revoked"))
	case "":
		writeErr(w, common.Errorf(common.CodeMissingAPIKey, "Missing API key"))
	default:
		writeErr(w, common.Errorf(common.CodeInvalidAPIKey, "Invalid API key"))
	}
}

func writeErr(w http.ResponseWriter, e *common.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.HTTPStatus())
	_ = json.NewEncoder(w).Encode(e.Response())
}

// ErrHas reports whether stderr contains s, ignoring case (messages are
// capitalised as sentences when printed).
func (r Result) ErrHas(s string) bool {
	return strings.Contains(strings.ToLower(r.Stderr), strings.ToLower(s))
}
