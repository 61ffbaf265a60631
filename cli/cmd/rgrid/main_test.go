package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

// binary is the rgrid built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rgrid-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rgrid")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput() //nolint:gosec // test build
	if err != nil {
		fmt.Fprintf(os.Stderr, "build rgrid: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func TestVersionBinary(t *testing.T) {
	out, err := exec.Command(binary, "--version").Output() //nolint:gosec // test
	if err != nil || string(out) != "rgrid, version 0.1.0\n" {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestNoTerminalDoesNotHang(t *testing.T) {
	cmd := exec.Command(binary, "init") //nolint:gosec // test
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	go func() { done <- cmd.Run() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "--api-key-stdin") {
			t.Fatalf("err %v, stderr %q", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("rgrid init hung without a terminal")
	}
}

// TestBashCompletion loads the script into a real bash and asks it to
// complete, the way bash does on TAB.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	tests := []struct {
		words string
		want  string
	}{
		{"rgrid i", "init"},
		{"rgrid l", "logout logs"},
		{"rgrid init --fo", "--force"},
		{"rgrid whoami --j", "--json"},
		{"rgrid completion ", "bash zsh"},
	}
	for _, tt := range tests {
		t.Run(tt.words, func(t *testing.T) {
			script := fmt.Sprintf(`source <(rgrid completion bash)
COMP_WORDS=(%s); [[ "%s" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]}-1))
_rgrid_complete
echo "${COMPREPLY[*]}"`, tt.words, tt.words)
			cmd := exec.Command(bash, "--norc", "-c", script) //nolint:gosec // test
			cmd.Env = []string{"PATH=" + filepath.Dir(binary) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Fatalf("got %q (%v), want %q", out, err, tt.want)
			}
		})
	}
}

// ptyRun starts rgrid on a new pseudo-terminal and collects what it shows.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	seen bytes.Buffer
	done chan struct{}
}

func startPTY(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	cmd := exec.Command(binary, args...) //nolint:gosec // test
	cmd.Env = env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	p := &ptyRun{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := tty.Read(buf)
			p.mu.Lock()
			p.seen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				close(p.done)
				return
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = tty.Close() })
	return p
}

func (p *ptyRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen.String()
}

func (p *ptyRun) waitFor(s string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("never saw %q; screen:\n%s", s, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyRun) echoOn() bool {
	p.t.Helper()
	tios, err := unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS) //nolint:gosec // fd fits
	if err != nil {
		p.t.Fatalf("read terminal settings: %v", err)
	}
	return tios.Lflag&unix.ECHO != 0
}

func (p *ptyRun) exitCode() int {
	p.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- p.cmd.Wait() }()
	select {
	case err := <-errc:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		p.t.Fatalf("rgrid did not exit; screen:\n%s", p.output())
		return -1
	}
}

func (p *ptyRun) write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.tty, s); err != nil {
		p.t.Fatal(err)
	}
}

// TestPTYCtrlCAtKeyPrompt presses Ctrl-C at the hidden prompt on a real
// terminal: echo must be back on afterwards, nothing written, exit 130.
func TestPTYCtrlCAtKeyPrompt(t *testing.T) {
	api := clitest.NewAPI(t)
	home := t.TempDir()
	p := startPTY(t, []string{"HOME=" + home, "RGRID_API_URL=" + api.URL, "TERM=xterm"}, "init")
	p.waitFor("Enter your API key (from app.rgrid.dev): ")
	time.Sleep(100 * time.Millisecond) // let ReadPassword turn echo off
	if p.echoOn() {
		t.Fatal("echo is on while the key is typed")
	}
	p.write("sk_live_Secret")
	time.Sleep(50 * time.Millisecond)
	p.write("\x03") // Ctrl-C: the terminal sends SIGINT
	if code := p.exitCode(); code != 130 {
		t.Fatalf("exit %d; screen:\n%s", code, p.output())
	}
	if !p.echoOn() {
		t.Fatal("echo is still off after Ctrl-C")
	}
	<-p.done
	if strings.Contains(p.output(), "sk_live_Secret") {
		t.Fatalf("the typed key appeared on screen:\n%s", p.output())
	}
	if !strings.Contains(p.output(), "Cancelled") {
		t.Fatalf("screen:\n%s", p.output())
	}
	if _, err := os.Stat(filepath.Join(home, ".rgrid")); !os.IsNotExist(err) {
		t.Fatal("something was written")
	}
	if api.Count() != 0 {
		t.Fatal("a request was sent")
	}
}

// TestPTYInitWhoami is the user's path in a real terminal: type the key
// (not shown), see the confirmation, then whoami shows the account.
func TestPTYInitWhoami(t *testing.T) {
	api := clitest.NewAPI(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "RGRID_API_URL=" + api.URL, "TERM=xterm", "NO_COLOR=1"}
	p := startPTY(t, env, "init")
	p.waitFor("Enter your API key (from app.rgrid.dev): ")
	time.Sleep(100 * time.Millisecond)
	p.write(clitest.GoodKey + "\r")
	if code := p.exitCode(); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, p.output())
	}
	<-p.done
	screen := p.output()
	if strings.Contains(screen, clitest.GoodKey) {
		t.Fatalf("the key appeared on screen:\n%s", screen)
	}
	if !strings.Contains(screen, "✓ Authenticated as dev@localhost (profile default). You're ready to run scripts.") {
		t.Fatalf("screen:\n%s", screen)
	}
	if !p.echoOn() {
		t.Fatal("echo left off")
	}

	// Existing key: the overwrite question, answered with Enter (no).
	p = startPTY(t, env, "init")
	p.waitFor("Overwrite? [y/N] ")
	p.write("\r")
	if code := p.exitCode(); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, p.output())
	}

	p = startPTY(t, env, "whoami")
	if code := p.exitCode(); code != 0 {
		t.Fatalf("whoami exit %d; screen:\n%s", code, p.output())
	}
	<-p.done
	if !strings.Contains(p.output(), "dev@localhost") || !strings.Contains(p.output(), "€12.35") {
		t.Fatalf("whoami screen:\n%s", p.output())
	}
}

// BenchmarkVersion measures `rgrid --version` end to end: process start,
// flag parsing, output and exit.
func BenchmarkVersion(b *testing.B) {
	for b.Loop() {
		if err := exec.Command(binary, "--version").Run(); err != nil { //nolint:gosec // test
			b.Fatal(err)
		}
	}
}

// BenchmarkInitAPIKeyStdin measures `rgrid init --api-key-stdin` against a
// local fake API (no bcrypt: the real server's cost is measured by api/).
func BenchmarkInitAPIKeyStdin(b *testing.B) {
	api := clitest.NewAPI(b)
	for b.Loop() {
		cmd := exec.Command(binary, "init", "--api-key-stdin", "--force") //nolint:gosec // test
		cmd.Env = []string{"HOME=" + b.TempDir(), "RGRID_API_URL=" + api.URL}
		cmd.Stdin = strings.NewReader(clitest.GoodKey + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}
