package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/testenv"
)

// Storage is where a server keeps objects: an S3 endpoint and bucket.
type Storage struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Bucket    string
	UseSSL    bool
}

// StorageFrom converts a testenv bucket.
func StorageFrom(m testenv.MinIO) Storage {
	return Storage{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket, UseSSL: m.UseSSL}
}

// ServerOptions choose what a server runs against. Zero values mean a fresh
// database and bucket from testenv.
type ServerOptions struct {
	DatabaseURL string
	Storage     *Storage
	Env         []string // extra KEY=VALUE settings
}

// Server is a running `rgrid-api serve --migrate`.
type Server struct {
	URL         string // http://127.0.0.1:port
	Addr        string
	DatabaseURL string
	Bins        Binaries

	env    []string
	cmd    *exec.Cmd
	logs   SafeBuffer
	done   chan struct{}
	exit   error
	mu     sync.Mutex
	keys   []string // every key minted through this server, for the log check
	tb     testing.TB
	client *http.Client
}

// StartServer starts rgrid-api serve --migrate on a free port and waits until
// /health answers 200. At cleanup it stops the server with SIGTERM and fails
// the test if any minted API key appears in the server's logs.
func StartServer(tb testing.TB, opts ServerOptions) *Server {
	tb.Helper()
	apiBin := APIBinary(tb)
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = testenv.NewDatabase(tb)
	}
	if opts.Storage == nil {
		st := StorageFrom(testenv.NewBucket(tb))
		opts.Storage = &st
	}
	port := FreePort(tb)
	s := &Server{
		URL:         fmt.Sprintf("http://127.0.0.1:%d", port),
		Addr:        fmt.Sprintf("127.0.0.1:%d", port),
		DatabaseURL: opts.DatabaseURL,
		Bins:        Binaries{API: apiBin},
		tb:          tb,
		done:        make(chan struct{}),
	}
	s.env = append(baseEnv(),
		"DATABASE_URL="+opts.DatabaseURL,
		"MINIO_ENDPOINT="+opts.Storage.Endpoint,
		"MINIO_ACCESS_KEY="+opts.Storage.AccessKey,
		"MINIO_SECRET_KEY="+opts.Storage.SecretKey,
		"MINIO_BUCKET="+opts.Storage.Bucket,
		"MINIO_USE_SSL="+strconv.FormatBool(opts.Storage.UseSSL),
		"RGRID_HTTP_ADDR="+s.Addr,
		"RGRID_LOG_LEVEL=debug", // the most verbose level: the no-key-in-logs check sees everything
	)
	s.env = append(s.env, opts.Env...)
	s.client = NewClient(tb)

	s.cmd = exec.CommandContext(context.Background(), apiBin, "serve", "--migrate") //nolint:gosec // binary built by the harness
	s.cmd.Env = s.env
	s.cmd.Stdout = &s.logs
	s.cmd.Stderr = &s.logs
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start rgrid-api serve: %v", err)
	}
	go func() {
		s.exit = s.cmd.Wait()
		close(s.done)
	}()
	tb.Cleanup(func() {
		if s.Running() {
			s.Stop(tb)
		}
		s.CheckNoKeysInLogs(tb)
		if tb.Failed() {
			tb.Logf("rgrid-api logs:\n%s", tail(s.logs.String(), 8000))
		}
	})

	if err := s.waitHealthy(30 * time.Second); err != nil {
		tb.Fatalf("rgrid-api did not become healthy: %v\nlogs:\n%s", err, tail(s.logs.String(), 8000))
	}
	return s
}

func (s *Server) waitHealthy(timeout time.Duration) error {
	return Eventually(timeout, 50*time.Millisecond, func() error {
		select {
		case <-s.done:
			return fmt.Errorf("%w: server exited: %w", ErrGiveUp, s.exit)
		default:
		}
		resp, err := get(s.client, s.URL+common.PathHealth)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health answered %d", resp.StatusCode)
		}
		return nil
	})
}

// Client returns an HTTP client whose every response is checked against
// api/openapi.yaml.
func (s *Server) Client() *http.Client { return s.client }

// PID returns the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Logs returns everything the server wrote to stdout and stderr.
func (s *Server) Logs() string { return s.logs.String() }

// Running reports whether the server process is still alive.
func (s *Server) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Signal sends sig to the server.
func (s *Server) Signal(tb testing.TB, sig os.Signal) {
	tb.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		tb.Fatalf("signal rgrid-api: %v", err)
	}
}

// Wait waits for the server to exit and returns its exit code.
func (s *Server) Wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		tb.Fatalf("rgrid-api did not exit within %s; killed", timeout)
	}
	var ee *exec.ExitError
	switch {
	case s.exit == nil:
		return 0
	case errors.As(s.exit, &ee):
		return ee.ExitCode()
	default:
		tb.Fatalf("wait for rgrid-api: %v", s.exit)
		return -1
	}
}

// Stop sends SIGTERM, waits for the server to exit and fails the test
// unless it exits 0.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if !s.Running() {
		return
	}
	s.Signal(tb, syscall.SIGTERM)
	if code := s.Wait(tb, 20*time.Second); code != 0 {
		tb.Errorf("rgrid-api exited %d after SIGTERM, want 0", code)
	}
}

// CheckNoKeysInLogs fails the test if any key minted through this server
// appears in its logs.
func (s *Server) CheckNoKeysInLogs(tb testing.TB) {
	tb.Helper()
	logs := s.logs.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if strings.Contains(logs, k) || strings.Contains(logs, k[len(common.APIKeyPrefix):]) {
			tb.Errorf("an API key (%s) appears in the server logs", common.APIKeyHint(k))
		}
	}
}

// RememberKey adds a key to those that must never appear in the logs.
func (s *Server) RememberKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
}

// Env returns the environment the server runs with (for admin commands).
func (s *Server) Env() []string { return append([]string(nil), s.env...) }

// Admin returns an admin-command runner against this server's database.
func (s *Server) Admin() *Admin {
	return &Admin{Bin: s.Bins.API, Env: s.Env(), remember: s.RememberKey}
}

// Validate sends POST /api/v1/auth/validate with the given Authorization
// header values (none when empty) and returns the status, the decoded body
// and the response headers. Every response is contract-checked.
func (s *Server) Validate(tb testing.TB, authorization ...string) (int, map[string]any, http.Header) {
	tb.Helper()
	return Do(tb, s.client, http.MethodPost, s.URL+common.PathAuthValidate, authorization...)
}

// Do sends one request with the given Authorization header values and
// decodes a JSON object body.
func Do(tb testing.TB, c *http.Client, method, url string, authorization ...string) (int, map[string]any, http.Header) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Errorf("%s %s: status %d, body is not a JSON object: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, body, resp.Header
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
