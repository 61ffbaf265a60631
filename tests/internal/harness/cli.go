package harness

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CLI runs the rgrid binary with its own config folder and home.
type CLI struct {
	Bin       string
	ConfigDir string // RGRID_CONFIG_DIR; not created, so the CLI must make it
	Home      string
	APIURL    string // passed as RGRID_API_URL when not empty
	Env       []string
}

// Result is the outcome of one CLI run.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// NewCLI returns a CLI runner with a fresh, not yet existing config folder.
func NewCLI(tb testing.TB, apiURL string) *CLI {
	tb.Helper()
	home := tb.TempDir()
	return &CLI{
		Bin:       CLIBinary(tb),
		ConfigDir: filepath.Join(home, "rgrid-config"),
		Home:      home,
		APIURL:    apiURL,
	}
}

// CredentialsPath is where the CLI keeps keys.
func (c *CLI) CredentialsPath() string { return filepath.Join(c.ConfigDir, "credentials") }

// ConfigPath is where the CLI keeps non-secret settings.
func (c *CLI) ConfigPath() string { return filepath.Join(c.ConfigDir, "config") }

// Environ is the environment the CLI runs with.
func (c *CLI) Environ() []string {
	env := append(baseEnv(), "HOME="+c.Home, "RGRID_CONFIG_DIR="+c.ConfigDir, "NO_COLOR=1")
	if c.APIURL != "" {
		env = append(env, "RGRID_API_URL="+c.APIURL)
	}
	return append(env, c.Env...)
}

// Command returns an unstarted rgrid command.
func (c *CLI) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Bin, args...) //nolint:gosec // binary built by the harness
	cmd.Env = c.Environ()
	cmd.Dir = c.Home
	return cmd
}

// Run runs rgrid with stdin and returns its output and exit code. It never
// fails on a non-zero exit: tests assert the code.
func (c *CLI) Run(tb testing.TB, stdin string, args ...string) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := c.Command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		res.Code = ee.ExitCode()
	default:
		tb.Fatalf("run rgrid %v: %v\nstderr: %s", args, err, stderr.String())
	}
	return res
}

// ReadCredentials returns the credentials file's content ("" if missing).
func (c *CLI) ReadCredentials(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(c.CredentialsPath())
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		tb.Fatalf("read credentials: %v", err)
	}
	return string(b)
}
