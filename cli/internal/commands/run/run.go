// Package run implements `rgrid run SCRIPT [ARGS...]`. Remote execution
// arrives in Epic 2; for now the command checks its arguments and the
// credentials, then says plainly that it cannot run anything yet.
package run

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
)

// Options are the inputs of one `rgrid run`.
type Options struct {
	Script string
	Args   []string
	Key    *cmdutil.Key
}

// NewCmd returns the run command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Execute a script remotely (not available yet)",
		ArgsUsage: "SCRIPT [ARGS...]",
		Flags:     cmdutil.SharedFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return cmdutil.UsageErrorf("rgrid run needs the script to run: rgrid run SCRIPT [ARGS...]")
			}
			opts := &Options{Script: c.Args().First(), Args: c.Args().Tail()}
			fi, err := os.Stat(opts.Script)
			switch {
			case err != nil:
				return fmt.Errorf("cannot read the script %s: %w", opts.Script, unwrapPath(err))
			case !fi.Mode().IsRegular():
				return fmt.Errorf("the script %s is not a regular file", opts.Script)
			}
			s, err := f.Settings(c)
			if err != nil {
				return err
			}
			if opts.Key, err = f.APIKey(s); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return run(c.Context, opts)
		},
	}
}

func run(context.Context, *Options) error {
	return cmdutil.NotAvailable("run")
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok { //nolint:errorlint // os.Stat returns *PathError directly
		return pe.Err
	}
	return err
}
