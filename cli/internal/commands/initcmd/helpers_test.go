package initcmd_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rgrid/rgrid/cli/internal/clitest"
	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/cli/internal/root"
)

func contextCancelledSoon() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	return ctx, cancel
}

// runWithStdin runs rgrid with a real file as standard input.
func runWithStdin(e *clitest.Env, stdin *os.File, args ...string) clitest.Result {
	ios, _, out, errOut := iostreams.Test()
	ios.In = stdin
	f := &cmdutil.Factory{IO: ios, Getenv: func(k string) string { return e.Vars[k] }}
	code := root.Run(e.Ctx, append([]string{"rgrid"}, args...), f)
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

// unwritableDir returns a folder that cannot be written to, even as root:
// root ignores permission bits, so /sys (sysfs refuses new entries) stands
// in; otherwise a folder with mode 0500.
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := syscall.Access("/sys", 0); err != nil {
			t.Skip("/sys not available")
		}
		return "/sys"
	}
	d := t.TempDir()
	if err := os.Chmod(d, 0o500); err != nil { //nolint:gosec // test
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(d, 0o700) }) //nolint:gosec // test cleanup
	return d
}
