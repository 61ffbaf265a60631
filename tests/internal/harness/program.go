package harness

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
)

// ProgramTB lets a program that is not a test (the benchmark) use the
// harness and testenv, which take a testing.TB. Fatal prints the message,
// runs the cleanups and exits 1. It embeds a nil testing.TB only to satisfy
// the interface's private method; every method the harness and testenv call
// is implemented here.
type ProgramTB struct {
	testing.TB
	name     string
	mu       sync.Mutex
	cleanups []func()
	failed   bool
	ctx      context.Context
	cancel   context.CancelFunc
}

// NewProgramTB returns a ProgramTB; call Close when done.
func NewProgramTB(name string) *ProgramTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &ProgramTB{name: name, ctx: ctx, cancel: cancel}
}

// Close runs the cleanups, newest first.
func (p *ProgramTB) Close() {
	p.cancel()
	p.mu.Lock()
	cs := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	Cleanup()
}

// Cleanup registers f to run at Close.
func (p *ProgramTB) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// Context is canceled at Close.
func (p *ProgramTB) Context() context.Context { return p.ctx }

// Helper does nothing.
func (p *ProgramTB) Helper() {}

// Name returns the program's name.
func (p *ProgramTB) Name() string { return p.name }

// Log prints to stderr.
func (p *ProgramTB) Log(args ...any) { fmt.Fprintln(os.Stderr, args...) }

// Logf prints to stderr.
func (p *ProgramTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// Error logs and marks the run failed.
func (p *ProgramTB) Error(args ...any) { p.Log(args...); p.Fail() }

// Errorf logs and marks the run failed.
func (p *ProgramTB) Errorf(format string, args ...any) {
	p.Logf(format, args...)
	p.Fail()
}

// Fail marks the run failed.
func (p *ProgramTB) Fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
}

// Failed reports whether the run failed.
func (p *ProgramTB) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// FailNow runs the cleanups and exits 1.
func (p *ProgramTB) FailNow() {
	p.Fail()
	p.Close()
	os.Exit(1)
}

// Fatal logs, runs the cleanups and exits 1.
func (p *ProgramTB) Fatal(args ...any) { p.Log(args...); p.FailNow() }

// Fatalf logs, runs the cleanups and exits 1.
func (p *ProgramTB) Fatalf(format string, args ...any) {
	p.Logf(format, args...)
	p.FailNow()
}

// Skip is Fatal: a benchmark never skips.
func (p *ProgramTB) Skip(args ...any) { p.Fatal(args...) }

// Skipf is Fatalf: a benchmark never skips.
func (p *ProgramTB) Skipf(format string, args ...any) { p.Fatalf(format, args...) }

// SkipNow is FailNow: a benchmark never skips.
func (p *ProgramTB) SkipNow() { p.FailNow() }

// Skipped is always false.
func (p *ProgramTB) Skipped() bool { return false }

// TempDir returns a new folder removed at Close.
func (p *ProgramTB) TempDir() string {
	d, err := os.MkdirTemp("", "rgrid-bench-")
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	p.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
