// Package iostreams holds the standard streams a command reads and writes,
// whether each is a terminal, and the colours allowed on them, so commands
// can be run against buffers in tests.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the streams of one CLI invocation. Data goes to Out and
// messages (progress, warnings, errors, prompts) go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InFd is the file descriptor behind In, or -1 when In is not a file.
	InFd int

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	noColor   bool
}

// System returns the process's real streams. getenv is used for NO_COLOR
// and TERM (see ColorEnabled).
func System(getenv func(string) string) *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		InFd:      int(os.Stdin.Fd()), //nolint:gosec // file descriptors fit in an int
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		noColor:   colorDisabled(getenv),
	}
}

// Test returns streams backed by buffers: in is what the command will read,
// out and errOut capture what it writes. No stream is a terminal.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, InFd: -1, noColor: true}, in, out, errOut
}

// SetTTY marks the three streams as terminals or not (for tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetColor forces colour on or off (for tests).
func (s *IOStreams) SetColor(on bool) { s.noColor = !on }

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether the user can be asked questions: standard input
// must be a terminal to type on, and standard error one to show the question.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// ColorEnabled reports whether messages on ErrOut may carry ANSI colour:
// only on a terminal, and never when NO_COLOR is set or TERM is "dumb".
func (s *IOStreams) ColorEnabled() bool { return s.stderrTTY && !s.noColor }

// Success decorates a success message: a green check mark with colour,
// a plain one without.
func (s *IOStreams) Success(msg string) string { return s.paint("32", "✓") + " " + msg }

// Warning decorates a warning message.
func (s *IOStreams) Warning(msg string) string { return s.paint("33", "!") + " " + msg }

// Failure decorates an error message.
func (s *IOStreams) Failure(msg string) string { return s.paint("31", "Error:") + " " + msg }

func (s *IOStreams) paint(code, text string) string {
	if !s.ColorEnabled() {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd())) //nolint:gosec // file descriptors fit in an int
}

// colorDisabled follows https://no-color.org: any non-empty NO_COLOR turns
// colour off; so does a dumb terminal.
func colorDisabled(getenv func(string) string) bool {
	return getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
}
