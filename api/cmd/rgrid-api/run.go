package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/common"
)

// Exit codes of rgrid-api.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is what the commands read from the outside world.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// stdin is where confirmations are read, and interactive says whether
	// it is a terminal a person can answer on.
	stdin       io.Reader
	interactive bool
}

// terminalInput returns the input confirmations are read from and whether
// it is a terminal; tests replace it.
var terminalInput = func() (io.Reader, bool) {
	fd := os.Stdin.Fd()
	return os.Stdin, isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// run executes rgrid-api with args (args[0] is the program name) and returns
// the exit code. Errors are printed to stderr as one human sentence, never a
// stack trace.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	e.stdin, e.interactive = terminalInput()
	app := newApp(e)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintf(stderr, "rgrid-api: %s\nRun 'rgrid-api --help' for usage.\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "rgrid-api: %s\n", err)
	return exitFailure
}

func newApp(e *env) *cli.App {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "%s, version %s\n", c.App.Name, c.App.Version)
	}
	return &cli.App{
		Name:                 "rgrid-api",
		Usage:                "the RGrid API server and its admin commands",
		Version:              common.Version,
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		ExitErrHandler:       func(*cli.Context, error) {}, // run decides the exit code
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err.Error()}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "rgrid-api: %q is not a command. Run 'rgrid-api --help'.\n", name)
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("%q is not a command", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			serveCommand(e),
			devCommand(e),
			migrateCommand(e),
			accountsCommand(e),
			keysCommand(e),
		},
	}
}

// withUsage makes a command's flag errors usage errors.
func withUsage(cmd *cli.Command) *cli.Command {
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{err.Error()} }
	for _, sub := range cmd.Subcommands {
		withUsage(sub)
	}
	return cmd
}

// noArgs refuses positional arguments a command does not take.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("%s takes no arguments (got %q)", c.Command.FullName(), strings.Join(c.Args().Slice(), " "))
	}
	return nil
}

// isFlagError recognizes urfave/cli's missing-required-flag error, which
// does not pass through OnUsageError.
func isFlagError(err error) bool {
	return strings.HasPrefix(err.Error(), "Required flag") || strings.HasPrefix(err.Error(), "Required flags")
}
