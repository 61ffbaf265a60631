package run_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

func TestRun(t *testing.T) {
	script := filepath.Join(t.TempDir(), "job.py")
	if err := os.WriteFile(script, []byte("print(1)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	api := clitest.NewAPI(t)
	tests := []struct {
		name   string
		login  bool
		args   []string
		code   int
		stderr string
	}{
		{"no script", true, []string{"run"}, 2, "needs the script"},
		{"missing script", true, []string{"run", "/nope/job.py"}, 1, "cannot read the script /nope/job.py: no such file"},
		{"script is a folder", true, []string{"run", filepath.Dir(script)}, 1, "not a regular file"},
		{"not logged in", false, []string{"run", script}, 1, "run `rgrid init` first"},
		{"not available yet", true, []string{"run", script, "--in", "x"}, 1, "`rgrid run` is not available yet in this version of rgrid (0.1.0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := clitest.New(t, api)
			if tt.login {
				e.WriteCredentials("[default]\napi_key = " + clitest.GoodKey + "\n")
			}
			r := e.Run(tt.args...)
			if r.Code != tt.code || !r.ErrHas(tt.stderr) {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			if r.Stdout != "" {
				t.Fatalf("stdout %q", r.Stdout)
			}
		})
	}
	if api.Count() != 0 {
		t.Fatal("run must not call the API yet")
	}
}
