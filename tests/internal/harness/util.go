package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the suite runs in CI (CI=true), where a missing
// service or binary is a failure and never a skip.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// SkipOrFail skips the test outside CI and fails it in CI.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true: "+format, args...)
	}
	tb.Skipf(format, args...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := freePort()
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	return p
}

func freePort() (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen on a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("close probe listener: %w", err)
	}
	return port, nil
}

// SafeBuffer is a bytes.Buffer that may be written by a child process's
// output copier while the test reads it.
type SafeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SafeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SafeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ErrGiveUp stops Eventually at once when a condition's error wraps it:
// polling longer cannot help: waiting longer cannot help (the process exited).
var ErrGiveUp = errors.New("giving up")

// Eventually polls cond every interval until it returns nil, returns an
// error wrapping ErrGiveUp, or timeout passes; it returns cond's last error.
func Eventually(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrGiveUp) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// baseEnv is the environment handed to child processes: the parent's minus
// anything RGrid reads, so a developer's own settings never leak into a test.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "RGRID_"), strings.HasPrefix(name, "MINIO_"),
			name == "DATABASE_URL", name == "HTTP_PROXY", name == "HTTPS_PROXY",
			name == "http_proxy", name == "https_proxy", name == "ALL_PROXY", name == "all_proxy":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// get sends a GET with a 5-second deadline.
func get(c *http.Client, url string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("new request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		return nil, err //nolint:wrapcheck // callers add the context
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	defer c.cancel()
	return c.ReadCloser.Close()
}
