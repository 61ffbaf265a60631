package status_test

import (
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

func TestStatus(t *testing.T) {
	api := clitest.NewAPI(t)
	tests := []struct {
		name   string
		login  bool
		args   []string
		code   int
		stderr string
	}{
		{"no id", true, []string{"status"}, 2, "needs exactly one execution id"},
		{"two ids", true, []string{"status", "a", "b"}, 2, "needs exactly one execution id"},
		{"blank id", true, []string{"status", ""}, 2, "is not an execution id"},
		{"id with space", true, []string{"status", "exec 1"}, 2, "spaces or control characters"},
		{"not logged in", false, []string{"status", "exec_1"}, 1, "run `rgrid init` first"},
		{"not available yet", true, []string{"status", "exec_1"}, 1, "`rgrid status` is not available yet in this version of rgrid (0.1.0)"},
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
		t.Fatal("status must not call the API yet")
	}
}
