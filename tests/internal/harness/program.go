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

func (p *ProgramTB) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}
func (p *ProgramTB) Context() context.Context { return p.ctx }
func (p *ProgramTB) Helper()                  {}
func (p *ProgramTB) Name() string             { return p.name }
func (p *ProgramTB) Log(args ...any)          { fmt.Fprintln(os.Stderr, args...) }
func (p *ProgramTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
func (p *ProgramTB) Error(args ...any) { p.Log(args...); p.Fail() }
func (p *ProgramTB) Errorf(format string, args ...any) {
	p.Logf(format, args...)
	p.Fail()
}
func (p *ProgramTB) Fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
}
func (p *ProgramTB) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}
func (p *ProgramTB) FailNow() {
	p.Fail()
	p.Close()
	os.Exit(1)
}
func (p *ProgramTB) Fatal(args ...any) { p.Log(args...); p.FailNow() }
func (p *ProgramTB) Fatalf(format string, args ...any) {
	p.Logf(format, args...)
	p.FailNow()
}
func (p *ProgramTB) Skip(args ...any)                 { p.Fatal(args...) }
func (p *ProgramTB) Skipf(format string, args ...any) { p.Fatalf(format, args...) }
func (p *ProgramTB) SkipNow()                         { p.FailNow() }
func (p *ProgramTB) Skipped() bool                    { return false }

// TempDir returns a new folder removed at Close.
func (p *ProgramTB) TempDir() string {
	d, err := os.MkdirTemp("", "rgrid-bench-")
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	p.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
