package harness

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// pyReadINI prints section.key of an INI file as Python's configparser sees
// it, or exits 3 when the file does not parse or lacks the value.
const pyReadINI = `
import configparser, sys
c = configparser.ConfigParser()
try:
    with open(sys.argv[1], encoding="utf-8-sig") as f:
        c.read_file(f)
    print(c[sys.argv[2]][sys.argv[3]], end="")
except Exception as e:
    print(type(e).__name__, file=sys.stderr)
    sys.exit(3)
`

// PythonINIValue reads section.key from the INI file at path with Python's
// configparser. ok is false when the file does not parse or lacks the value.
func PythonINIValue(tb testing.TB, path, section, key string) (value string, ok bool) {
	tb.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		SkipOrFail(tb, "python3 is not installed: %v", err)
	}
	cmd := exec.CommandContext(context.Background(), py, "-c", pyReadINI, path, section, key) //nolint:gosec // fixed script
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Logf("configparser: %v %s", err, strings.TrimSpace(stderr.String()))
		return "", false
	}
	return stdout.String(), true
}
