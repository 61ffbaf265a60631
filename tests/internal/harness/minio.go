package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// FindMinIO locates a MinIO server binary: $RGRID_MINIO_BIN, then
// ~/.cache/rgrid/**/minio, then /work/cache-minio/bin/minio, then PATH.
func FindMinIO() (string, error) {
	if p := os.Getenv("RGRID_MINIO_BIN"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("RGRID_MINIO_BIN=%s is not an executable file", p)
	}
	if home, err := os.UserHomeDir(); err == nil {
		var found string
		_ = filepath.WalkDir(filepath.Join(home, ".cache", "rgrid"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || found != "" {
				return nil //nolint:nilerr // a missing or unreadable cache is not an error here
			}
			if !d.IsDir() && d.Name() == "minio" && isExecutable(p) {
				found = p
				return filepath.SkipAll
			}
			return nil
		})
		if found != "" {
			return found, nil
		}
	}
	if p := "/work/cache-minio/bin/minio"; isExecutable(p) {
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return "", errors.New("no MinIO binary: set RGRID_MINIO_BIN or run scripts/services.sh")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p) //nolint:gosec // G703: the test chooses where to look for its own MinIO
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// MinIO is a MinIO server owned by one test, on its own port and folder.
type MinIO struct {
	Endpoint string // 127.0.0.1:port
	bin      string
	dir      string
	console  int
	cmd      *exec.Cmd
	done     chan struct{}
	logs     SafeBuffer
}

// StartMinIO starts a private MinIO server and stops it at cleanup. Outside
// CI a missing binary skips the test; with CI=true it fails it.
func StartMinIO(tb testing.TB) *MinIO {
	tb.Helper()
	bin, err := FindMinIO()
	if err != nil {
		SkipOrFail(tb, "own MinIO: %v", err)
	}
	m := &MinIO{
		Endpoint: fmt.Sprintf("127.0.0.1:%d", FreePort(tb)),
		bin:      bin,
		dir:      tb.TempDir(),
		console:  FreePort(tb),
	}
	tb.Cleanup(func() {
		m.kill()
		if tb.Failed() {
			tb.Logf("minio logs:\n%s", tail(m.logs.String(), 3000))
		}
	})
	m.Start(tb)
	return m
}

// Storage returns the settings a server needs to use this MinIO.
func (m *MinIO) Storage(bucket string) Storage {
	return Storage{Endpoint: m.Endpoint, AccessKey: "minioadmin", SecretKey: "minioadmin", Bucket: bucket}
}

// Start starts the server (again) on the same port and data, and waits until
// it is ready.
func (m *MinIO) Start(tb testing.TB) {
	tb.Helper()
	cmd := exec.CommandContext(context.Background(), m.bin, "server", m.dir, "--address", m.Endpoint, //nolint:gosec // located MinIO binary
		"--console-address", fmt.Sprintf("127.0.0.1:%d", m.console), "--quiet")
	cmd.Env = append(baseEnv(), "MINIO_ROOT_USER=minioadmin", "MINIO_ROOT_PASSWORD=minioadmin",
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	cmd.Stdout, cmd.Stderr = &m.logs, &m.logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start minio: %v", err)
	}
	m.cmd, m.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(m.done) }()
	client := &http.Client{Timeout: 2 * time.Second}
	err := Eventually(60*time.Second, 100*time.Millisecond, func() error {
		select {
		case <-m.done:
			return fmt.Errorf("%w: minio exited", ErrGiveUp)
		default:
		}
		resp, err := get(client, "http://"+m.Endpoint+"/minio/health/ready")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ready answered %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("minio did not become ready: %v\n%s", err, tail(m.logs.String(), 3000))
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s).
func (m *MinIO) Stop(tb testing.TB) {
	tb.Helper()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		m.kill()
	}
	m.cmd = nil
}

func (m *MinIO) kill() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
}
