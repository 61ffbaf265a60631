package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

// TestPTYCtrlDAtKeyPrompt presses Ctrl-D (end of input) at the hidden prompt
// on a real terminal: rgrid says the key is empty and exits 1, instead of
// waiting on (x/term ignores the terminal's end of input) or complaining
// about the key's prefix.
func TestPTYCtrlDAtKeyPrompt(t *testing.T) {
	api := clitest.NewAPI(t)
	p := startPTY(t, []string{"HOME=" + t.TempDir(), "RGRID_API_URL=" + api.URL, "TERM=xterm", "NO_COLOR=1"}, "init")
	p.waitFor("Enter your API key (from app.rgrid.dev): ")
	time.Sleep(100 * time.Millisecond) // let the prompt turn echo off
	p.write("\x04")
	if code := p.exitCode(); code != 1 {
		t.Fatalf("exit %d; screen:\n%s", code, p.output())
	}
	<-p.done
	screen := p.output()
	if !strings.Contains(screen, "The API key is empty") || strings.Contains(screen, "starts with") {
		t.Fatalf("screen:\n%s", screen)
	}
	if !p.echoOn() {
		t.Fatal("echo left off")
	}
	if api.Count() != 0 {
		t.Fatal("a request was sent")
	}
}
