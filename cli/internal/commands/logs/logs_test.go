package logs_test

import (
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

func TestLogs(t *testing.T) {
	api := clitest.NewAPI(t)
	tests := []struct {
		name   string
		login  bool
		args   []string
		code   int
		stderr string
	}{
		{"no id", true, []string{"logs"}, 2, "needs exactly one execution id"},
		{"two ids", true, []string{"logs", "a", "b"}, 2, "needs exactly one execution id"},
		{"blank id", true, []string{"logs", ""}, 2, "is not an execution id"},
		{"id with space", true, []string{"logs", "exec 1"}, 2, "spaces or control characters"},
		{"not logged in", false, []string{"logs", "exec_1"}, 1, "run `rgrid init` first"},
		{"not available yet", true, []string{"logs", "exec_1"}, 1, "`rgrid logs` is not available yet in this version of rgrid (0.1.0)"},
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
		})
	}
	if api.Count() != 0 {
		t.Fatal("logs must not call the API yet")
	}
}
