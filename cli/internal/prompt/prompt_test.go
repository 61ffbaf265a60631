package prompt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/term"
)

// fakeTerm records what the prompter does to the terminal. ReadPassword
// blocks until release is closed, like a user who has not pressed Enter.
type fakeTerm struct {
	mu       sync.Mutex
	saved    *term.State
	restored []*term.State
	answer   []byte
	err      error
	getErr   error
	release  chan struct{}
	reading  chan struct{}
}

func newFakeTerm() *fakeTerm {
	return &fakeTerm{saved: &term.State{}, release: make(chan struct{}), reading: make(chan struct{})}
}

func (f *fakeTerm) GetState(int) (*term.State, error) { return f.saved, f.getErr }
func (f *fakeTerm) Restore(_ int, s *term.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restored = append(f.restored, s)
	return nil
}
func (f *fakeTerm) ReadPassword(int) ([]byte, error) {
	close(f.reading)
	<-f.release
	return f.answer, f.err
}

func TestSecretReturnsAnswerAndEchoesNothing(t *testing.T) {
	ft := newFakeTerm()
	ft.answer = []byte("  sk_live_x \n")
	close(ft.release)
	var out bytes.Buffer
	p := &TermPrompter{Fd: 3, Out: &out, Term: ft}
	got, err := p.Secret(context.Background(), "Enter your API key (from app.rgrid.dev):")
	if err != nil {
		t.Fatal(err)
	}
	if got != "  sk_live_x \n" {
		t.Fatalf("got %q: the prompter must not alter the answer; trimming is the caller's job", got)
	}
	if out.String() != "Enter your API key (from app.rgrid.dev): \n" {
		t.Fatalf("output %q", out.String())
	}
}

func TestSecretCtrlCRestoresTerminal(t *testing.T) {
	ft := newFakeTerm()
	defer close(ft.release)
	var out bytes.Buffer
	p := &TermPrompter{Fd: 3, Out: &out, Term: ft}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-ft.reading // the user is at the prompt
		cancel()     // ... and presses Ctrl-C (SIGINT cancels the CLI's context)
	}()
	_, err := p.Secret(ctx, "Q:")
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v, want ErrCancelled", err)
	}
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.restored) != 1 || ft.restored[0] != ft.saved {
		t.Fatalf("terminal restored %d times with %v, want once with the saved state", len(ft.restored), ft.restored)
	}
}

func TestSecretErrors(t *testing.T) {
	t.Run("ctrl-d is an empty answer", func(t *testing.T) {
		ft := newFakeTerm()
		ft.err = io.EOF
		close(ft.release)
		got, err := (&TermPrompter{Out: io.Discard, Term: ft}).Secret(context.Background(), "Q:")
		if err != nil || got != "" {
			t.Fatalf("got %q, %v; want an empty answer", got, err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		ft := newFakeTerm()
		ft.err = errors.New("input/output error")
		close(ft.release)
		_, err := (&TermPrompter{Out: io.Discard, Term: ft}).Secret(context.Background(), "Q:")
		if err == nil || errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "input/output error") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not a terminal", func(t *testing.T) {
		ft := newFakeTerm()
		ft.getErr = errors.New("inappropriate ioctl for device")
		_, err := (&TermPrompter{Out: io.Discard, Term: ft}).Secret(context.Background(), "Q:")
		if err == nil || !strings.Contains(err.Error(), "terminal settings") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestConfirm(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"y\n", true}, {"Y\n", true}, {"yes\n", true}, {" YES \r\n", true},
		{"\n", false}, {"n\n", false}, {"no\n", false}, {"yep\n", false}, {"", false}, {"y", true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.in), func(t *testing.T) {
			var out bytes.Buffer
			input := tt.in
			if strings.HasSuffix(input, "\n") {
				input += "rest"
			}
			in := strings.NewReader(input)
			p := &TermPrompter{In: in, Out: &out, Term: newFakeTerm()}
			got, err := p.Confirm(context.Background(), "Overwrite?")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Confirm(%q) = %v", tt.in, got)
			}
			if !strings.HasPrefix(out.String(), "Overwrite? [y/N] ") {
				t.Fatalf("question %q", out.String())
			}
			if strings.HasSuffix(tt.in, "\n") {
				rest, _ := io.ReadAll(in)
				if string(rest) != "rest" {
					t.Fatalf("Confirm consumed past the line: left %q", rest)
				}
			}
		})
	}
}

type blockingReader struct{ release chan struct{} }

func (b blockingReader) Read([]byte) (int, error) { <-b.release; return 0, io.EOF }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestConfirmCancelAndError(t *testing.T) {
	br := blockingReader{make(chan struct{})}
	defer close(br.release)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := (&TermPrompter{In: br, Out: io.Discard}).Confirm(ctx, "Overwrite?")
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v", err)
	}
	_, err = (&TermPrompter{In: errReader{}, Out: io.Discard}).Confirm(context.Background(), "Overwrite?")
	if err == nil || errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v", err)
	}
}

func TestNew(t *testing.T) {
	p := New(strings.NewReader(""), 7, io.Discard)
	if p.Fd != 7 || p.Term == nil {
		t.Fatalf("New = %+v", p)
	}
	// The real terminal on a non-terminal descriptor fails cleanly.
	if _, err := p.Secret(context.Background(), "Q:"); err == nil {
		t.Fatal("want an error for a descriptor that is not a terminal")
	}
}

// chunkReader returns its chunks one Read at a time, then err.
type chunkReader struct {
	chunks []string
	err    error
}

func (c *chunkReader) Read(b []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, c.err
	}
	n := copy(b, c.chunks[0])
	if c.chunks[0] = c.chunks[0][n:]; c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func TestReadSecretLine(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		err    error
		want   string
		wantEr error
	}{
		{"line", []string{"sk_live_abc\n", "rest"}, nil, "sk_live_abc", nil},
		{"carriage return dropped", []string{"abc\r\n"}, nil, "abc", nil},
		{"ctrl-d on empty line", nil, io.EOF, "", io.EOF},
		{"ctrl-d after typing", []string{"abc"}, io.EOF, "abc", nil},
		{"ctrl-d as a character", []string{"\x04rest"}, nil, "", io.EOF},
		{"ctrl-d as a character after typing", []string{"ab\x04rest"}, nil, "ab", nil},
		{"read error", []string{"ab"}, errors.New("input/output error"), "ab", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSecretLine(&chunkReader{chunks: tt.chunks, err: tt.err})
			if string(got) != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			switch {
			case tt.name == "read error":
				if err == nil || !strings.Contains(err.Error(), "input/output") {
					t.Fatalf("err = %v", err)
				}
			case !errors.Is(err, tt.wantEr):
				t.Fatalf("err = %v, want %v", err, tt.wantEr)
			}
		})
	}
	long, _ := readSecretLine(&chunkReader{chunks: []string{strings.Repeat("a", 5000)}, err: io.EOF})
	if len(long) != 4096 {
		t.Fatalf("read %d bytes, want the 4096 limit", len(long))
	}
}
