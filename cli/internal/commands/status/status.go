// Package status implements `rgrid status EXECUTION_ID`, which shows where a remote execution stands. It arrives in Epic 2;
// for now the command checks its argument and the credentials, then says
// plainly that it is not available yet.
package status

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
)

// Options are the inputs of one `rgrid status`.
type Options struct {
	ExecutionID string
	Key         *cmdutil.Key
}

// NewCmd returns the status command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "Check execution status (not available yet)",
		ArgsUsage: "EXECUTION_ID",
		Flags:     cmdutil.SharedFlags(),
		Action: func(c *cli.Context) error {
			id, err := cmdutil.ExecutionIDArg(c, "status")
			if err != nil {
				return err
			}
			s, err := f.Settings(c)
			if err != nil {
				return err
			}
			opts := &Options{ExecutionID: id}
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
	return cmdutil.NotAvailable("status")
}
