package cmdutil

import (
	"unicode"

	"github.com/urfave/cli/v2"
)

// ExecutionIDArg returns the single EXECUTION_ID argument of c, or a usage
// error naming the command.
func ExecutionIDArg(c *cli.Context, command string) (string, error) {
	if c.NArg() != 1 {
		return "", UsageErrorf("rgrid %s needs exactly one execution id: rgrid %s EXECUTION_ID", command, command)
	}
	id := c.Args().First()
	if id == "" || len(id) > 128 {
		return "", UsageErrorf("%q is not an execution id", id)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", UsageErrorf("%q is not an execution id: it contains spaces or control characters", id)
		}
	}
	return id, nil
}
