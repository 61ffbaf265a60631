package harness

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Terminal runs a command on a real pseudo-terminal, as a user at a shell
// would. The test keeps the terminal's tty side open, so it can read the
// terminal modes (echo on or off) at any time, including after the command
// has exited.
type Terminal struct {
	// EchoAtStart is whether the terminal echoed before the command started.
	EchoAtStart bool

	master, tty *os.File
	cmd         *exec.Cmd
	out         SafeBuffer
	done        chan struct{}
	exit        error
	copied      chan struct{}
}

// StartInTerminal starts cmd with a new pseudo-terminal as its controlling
// terminal and standard input, output and error.
func StartInTerminal(tb testing.TB, cmd *exec.Cmd) *Terminal {
	tb.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		tb.Fatalf("open pty: %v", err)
	}
	if err := pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 120}); err != nil {
		tb.Fatalf("set pty size: %v", err)
	}
	t := &Terminal{master: master, tty: tty, cmd: cmd, done: make(chan struct{}), copied: make(chan struct{})}
	t.EchoAtStart = t.EchoOn(tb)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		_ = master.Close()
		_ = tty.Close()
		tb.Fatalf("start %s on a pty: %v", cmd.Path, err)
	}
	go func() {
		_, _ = io.Copy(&t.out, master)
		close(t.copied)
	}()
	go func() { t.exit = cmd.Wait(); close(t.done) }()
	tb.Cleanup(func() {
		select {
		case <-t.done:
		default:
			_ = cmd.Process.Kill()
			<-t.done
		}
		_ = tty.Close()
		_ = master.Close()
		<-t.copied
	})
	return t
}

// Output returns everything the command wrote to the terminal so far.
func (t *Terminal) Output() string { return t.out.String() }

// WaitFor waits until the terminal output contains s.
func (t *Terminal) WaitFor(tb testing.TB, s string, timeout time.Duration) {
	tb.Helper()
	err := Eventually(timeout, 10*time.Millisecond, func() error {
		if strings.Contains(t.out.String(), s) {
			return nil
		}
		select {
		case <-t.done:
			return errors.New("the command exited")
		default:
			return errors.New("not yet")
		}
	})
	if err != nil && !strings.Contains(t.out.String(), s) {
		tb.Fatalf("terminal never showed %q (%v); output so far:\n%q", s, err, t.out.String())
	}
}

// EchoOn reports whether the terminal echoes typed characters.
func (t *Terminal) EchoOn(tb testing.TB) bool {
	tb.Helper()
	st, err := unix.IoctlGetTermios(int(t.tty.Fd()), unix.TCGETS) //nolint:gosec // fd fits in int
	if err != nil {
		tb.Fatalf("read terminal modes: %v", err)
	}
	return st.Lflag&unix.ECHO != 0
}

// WaitEchoOff waits until the program has turned echo off (it is about to
// read a secret), so nothing typed next can be echoed by the terminal.
func (t *Terminal) WaitEchoOff(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	err := Eventually(timeout, 5*time.Millisecond, func() error {
		if t.EchoOn(tb) {
			return errors.New("echo is still on")
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("the program never turned terminal echo off before reading the key: %v\noutput:\n%q", err, t.out.String())
	}
}

// Type writes s to the terminal as if typed.
func (t *Terminal) Type(tb testing.TB, s string) {
	tb.Helper()
	if _, err := t.master.WriteString(s); err != nil {
		tb.Fatalf("type into the terminal: %v", err)
	}
}

// Wait waits for the command to exit and returns its exit code; a death by
// signal fails the test (a CLI must exit with a code, 130 for Ctrl-C).
func (t *Terminal) Wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case <-t.done:
	case <-time.After(timeout):
		_ = t.cmd.Process.Kill()
		<-t.done
		tb.Fatalf("the command did not exit within %s; output:\n%q", timeout, t.out.String())
	}
	// Let the output copier catch up with what the command wrote last.
	time.Sleep(50 * time.Millisecond)
	var ee *exec.ExitError
	switch {
	case t.exit == nil:
		return 0
	case errors.As(t.exit, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			tb.Fatalf("the command was killed by signal %v instead of exiting; output:\n%q", ws.Signal(), t.out.String())
		}
		return ee.ExitCode()
	default:
		tb.Fatalf("wait: %v", t.exit)
		return -1
	}
}

// Exited reports whether the command has exited.
func (t *Terminal) Exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}
