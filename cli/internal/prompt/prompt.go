// Package prompt asks the user questions on the terminal: a hidden answer
// for secrets and a yes/no confirmation. Every question gives up when its
// context is cancelled (Ctrl-C), and the terminal is always put back the way
// it was, echo included.
package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// ErrCancelled is returned when the user cancels a question (Ctrl-C).
var ErrCancelled = errors.New("cancelled")

// Prompter asks questions. Both methods return ErrCancelled when the user
// cancels.
type Prompter interface {
	// Secret asks question and reads an answer without echoing it. End of
	// input (Ctrl-D) on an empty answer is an empty answer.
	Secret(ctx context.Context, question string) (string, error)
	// Confirm asks a yes/no question whose default is no.
	Confirm(ctx context.Context, question string) (bool, error)
}

// Terminal is the part of golang.org/x/term the prompter uses; tests
// replace it with a fake.
type Terminal interface {
	GetState(fd int) (*term.State, error)
	Restore(fd int, state *term.State) error
	ReadPassword(fd int) ([]byte, error)
}

type xterm struct{}

func (xterm) GetState(fd int) (*term.State, error) { return term.GetState(fd) }
func (xterm) Restore(fd int, s *term.State) error  { return term.Restore(fd, s) }
func (xterm) ReadPassword(fd int) ([]byte, error)  { return readPassword(fd) }

// TermPrompter asks questions on a real terminal: the question goes to Out,
// answers are read from In (file descriptor Fd).
type TermPrompter struct {
	In   io.Reader
	Fd   int
	Out  io.Writer
	Term Terminal
}

var _ Prompter = (*TermPrompter)(nil)

// New returns a TermPrompter for the terminal on file descriptor fd, read
// through in, with questions written to out.
func New(in io.Reader, fd int, out io.Writer) *TermPrompter {
	return &TermPrompter{In: in, Fd: fd, Out: out, Term: xterm{}}
}

// Secret asks question and reads a line with echo turned off. x/term does
// not restore the terminal when the process is interrupted, so the state is
// saved first and put back here when ctx is cancelled (the CLI cancels its
// context on SIGINT); the blocked read is abandoned, and the process exits
// soon after.
func (p *TermPrompter) Secret(ctx context.Context, question string) (string, error) {
	state, err := p.Term.GetState(p.Fd)
	if err != nil {
		return "", fmt.Errorf("read the terminal settings: %w", err)
	}
	_, _ = fmt.Fprint(p.Out, question+" ")
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := p.Term.ReadPassword(p.Fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		_, _ = fmt.Fprintln(p.Out) // the Enter key was not echoed either
		switch {
		case errors.Is(r.err, io.EOF) && len(r.b) == 0:
			return "", nil // Ctrl-D: an empty answer, which the caller reports as such
		case r.err != nil:
			return "", fmt.Errorf("read the answer from the terminal: %w", r.err)
		}
		return string(r.b), nil
	case <-ctx.Done():
		restoreErr := p.Term.Restore(p.Fd, state)
		_, _ = fmt.Fprintln(p.Out)
		if restoreErr != nil {
			return "", fmt.Errorf("%w (and the terminal settings could not be restored: %w; run `stty sane`)", ErrCancelled, restoreErr)
		}
		return "", ErrCancelled
	}
}

// Confirm asks question followed by " [y/N] " and returns true only for
// "y" or "yes" (any case). An empty answer or end of input means no.
func (p *TermPrompter) Confirm(ctx context.Context, question string) (bool, error) {
	_, _ = fmt.Fprint(p.Out, question+" [y/N] ")
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := readLine(p.In)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return false, fmt.Errorf("read the answer from the terminal: %w", r.err)
		}
		if errors.Is(r.err, io.EOF) {
			_, _ = fmt.Fprintln(p.Out)
		}
		answer := strings.ToLower(strings.TrimSpace(r.line))
		return answer == "y" || answer == "yes", nil
	case <-ctx.Done():
		_, _ = fmt.Fprintln(p.Out)
		return false, ErrCancelled
	}
}

// readSecretLine reads a line typed with echo off: up to a newline, without
// it. End of input after some characters ends the line (Ctrl-D twice after
// typing, as in a shell); end of input with nothing typed is io.EOF.
func readSecretLine(r io.Reader) ([]byte, error) {
	var line []byte
	buf := make([]byte, 1)
	for len(line) < 4096 {
		n, err := r.Read(buf)
		if n > 0 {
			switch buf[0] {
			case '\n':
				return line, nil
			case '\r':
			case 0x04: // Ctrl-D passed on as a character (no line discipline): end of input
				if len(line) == 0 {
					return nil, io.EOF
				}
				return line, nil
			default:
				line = append(line, buf[0])
			}
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return line, nil
		}
		if err != nil {
			return line, err
		}
	}
	return line, nil
}

// readLine reads one byte at a time up to a newline so that nothing after
// the line is consumed from r (a later prompt reads the same terminal).
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 1)
	for sb.Len() < 4096 {
		n, err := r.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				return sb.String(), nil
			}
			sb.WriteByte(buf[0])
		}
		if err != nil {
			return sb.String(), err
		}
	}
	return sb.String(), nil
}
