package harness

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/rgrid/rgrid/common"
)

var keyPattern = regexp.MustCompile(`sk_live_[A-Za-z0-9]{32}`)

// DevServer is a running `rgrid-api dev`.
type DevServer struct {
	URL     string
	DataDir string
	Bins    Binaries
	cmd     *exec.Cmd
	done    chan struct{}
	exit    error
	out     SafeBuffer
}

// StartDev starts `rgrid-api dev --data-dir dataDir --addr 127.0.0.1:<free>`
// (plus extra args) and waits until /health answers 200.
func StartDev(tb testing.TB, dataDir string, extra ...string) *DevServer {
	tb.Helper()
	bins := Binaries{API: APIBinary(tb)}
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(tb))
	d := &DevServer{URL: "http://" + addr, DataDir: dataDir, Bins: bins, done: make(chan struct{})}
	args := append([]string{"dev", "--data-dir", dataDir, "--addr", addr}, extra...)
	d.cmd = exec.CommandContext(context.Background(), bins.API, args...) //nolint:gosec // binary built by the harness
	d.cmd.Env = append(baseEnv(), "RGRID_HTTP_ADDR="+addr)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		tb.Fatalf("start rgrid-api dev: %v", err)
	}
	go func() { d.exit = d.cmd.Wait(); close(d.done) }()
	tb.Cleanup(func() {
		d.Stop(tb)
		if tb.Failed() {
			tb.Logf("rgrid-api dev output:\n%s", tail(d.out.String(), 6000))
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	err := Eventually(60*time.Second, 100*time.Millisecond, func() error {
		select {
		case <-d.done:
			return fmt.Errorf("%w: rgrid-api dev exited: %w", ErrGiveUp, d.exit)
		default:
		}
		resp, err := get(client, d.URL+common.PathHealth)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health answered %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("rgrid-api dev did not become healthy: %v\n%s", err, tail(d.out.String(), 6000))
	}
	return d
}

// Output returns what the dev server printed so far.
func (d *DevServer) Output() string { return d.out.String() }

// PrintedKey returns the API key the dev server printed, or "" if none.
func (d *DevServer) PrintedKey() string {
	// The banner may come a moment after /health is up.
	var key string
	_ = Eventually(5*time.Second, 50*time.Millisecond, func() error {
		key = keyPattern.FindString(d.out.String())
		if key == "" {
			return fmt.Errorf("no key yet")
		}
		return nil
	})
	return key
}

// Stop sends SIGTERM and waits (killing after 20 s).
func (d *DevServer) Stop(tb testing.TB) {
	tb.Helper()
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
		tb.Errorf("rgrid-api dev did not exit within 20 s of SIGTERM; killed")
	}
}

// Admin returns an admin runner acting on the dev data folder.
func (d *DevServer) Admin() *Admin {
	return &Admin{Bin: d.Bins.API, Env: baseEnv(), Extra: []string{"--data-dir", d.DataDir}}
}
