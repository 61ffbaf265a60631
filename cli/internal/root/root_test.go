package root_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/cli/internal/root"
)

func TestVersion(t *testing.T) {
	e := clitest.New(t, nil)
	for _, flag := range []string{"--version", "-v"} {
		r := e.Run(flag)
		if r.Code != 0 || r.Stdout != "rgrid, version 0.1.0\n" || r.Stderr != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", flag, r.Code, r.Stdout, r.Stderr)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	e := clitest.New(t, nil)
	for _, args := range [][]string{{"--help"}, {}, {"help"}} {
		r := e.Run(args...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d", args, r.Code)
		}
		for _, line := range []string{
			"init        Initialize RGrid authentication",
			"whoami      Show the account",
			"logout      Remove the profile's API key",
			"run         Execute a script remotely",
			"status      Check execution status",
			"logs        View execution logs",
			"completion  Print a shell completion script",
		} {
			if !strings.Contains(r.Stdout, line) {
				t.Errorf("%v: help lacks %q:\n%s", args, line, r.Stdout)
			}
		}
	}
	r := e.Run("init", "--help")
	if r.Code != 0 || !strings.Contains(r.Stdout, "--api-key-stdin") || !strings.Contains(r.Stdout, "--force") {
		t.Fatalf("init --help: %d %s", r.Code, r.Stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	e := clitest.New(t, nil)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "Unknown command \"frobnicate\". See `rgrid --help`."},
		{[]string{"--frob"}, "flag provided but not defined: -frob. See `rgrid --help`."},
		{[]string{"init", "--frob"}, "See `rgrid init --help`."},
		{[]string{"help", "nope"}, "No help topic for 'nope'"},
		{[]string{"whoami", "--profile"}, "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := e.Run(tt.args...)
			if r.Code != 2 || !r.ErrHas(tt.want) {
				t.Fatalf("exit %d: %q", r.Code, r.Stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n != 0 {
				t.Fatalf("usage error spans %d lines: %q", n+1, r.Stderr)
			}
		})
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

func TestPanicBecomesOneSentence(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	ios.Out = panicWriter{}
	f := &cmdutil.Factory{IO: ios, Getenv: func(string) string { return "" }}
	code := root.Run(context.Background(), []string{"rgrid", "--version"}, f)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if got := errOut.String(); got != "Error: rgrid hit an internal error (boom); this is a bug, please report it.\n" {
		t.Fatalf("stderr %q", got)
	}
}

func TestShellCompletionProtocol(t *testing.T) {
	e := clitest.New(t, nil)
	r := e.Run("--generate-bash-completion")
	for _, c := range []string{"init", "whoami", "logout", "run", "status", "logs", "completion"} {
		if !strings.Contains(r.Stdout, c+"\n") {
			t.Errorf("completion lacks %q: %q", c, r.Stdout)
		}
	}
	r = e.Run("init", "--", "--generate-bash-completion")
	_ = r // "--" disables completion; must not prompt or crash
	r = e.Run("init", "--f", "--generate-bash-completion")
	if !strings.Contains(r.Stdout, "--force") {
		t.Fatalf("flag completion %q", r.Stdout)
	}
	r = e.Run("completion", "--generate-bash-completion")
	if r.Stdout != "bash\nzsh\n" {
		t.Fatalf("completion args %q", r.Stdout)
	}
}

func TestCancelledContext(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	e.WriteCredentials("[default]\napi_key = " + clitest.GoodKey + "\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.Ctx = ctx
	r := e.Run("whoami")
	if r.Code != 130 || !r.ErrHas("cancelled") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}
