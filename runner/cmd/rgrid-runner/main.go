// Command rgrid-runner prints its version and otherwise says plainly that the
// runner is not implemented yet.
package main

import (
	"fmt"
	"io"
	"os"

	runner "github.com/rgrid/rgrid/runner"
)

const version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 for --version, 1 for anything else.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "version") {
		_, _ = fmt.Fprintf(stdout, "rgrid-runner, version %s\n", version)
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "rgrid-runner: %s\n", runner.NotImplemented)
	return 1
}
