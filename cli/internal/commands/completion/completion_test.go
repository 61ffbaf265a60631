package completion_test

import (
	"strings"
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

func TestScripts(t *testing.T) {
	e := clitest.New(t, nil)
	r := e.Run("completion", "bash")
	if r.Code != 0 || !strings.Contains(r.Stdout, "complete -o bashdefault -o default -F _rgrid_complete rgrid") {
		t.Fatalf("bash: %d %q", r.Code, r.Stdout)
	}
	r = e.Run("completion", "zsh")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "#compdef rgrid\n") || !strings.Contains(r.Stdout, "compdef _rgrid rgrid") {
		t.Fatalf("zsh: %d %q", r.Code, r.Stdout)
	}
	for _, args := range [][]string{{"completion"}, {"completion", "fish"}, {"completion", "bash", "zsh"}} {
		if r := e.Run(args...); r.Code != 2 {
			t.Fatalf("%v: exit %d", args, r.Code)
		}
	}
}
