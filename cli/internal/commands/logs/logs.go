// Package logs implements `rgrid logs EXECUTION_ID`, which shows a remote execution's output. It arrives in Epic 8;
// for now the command checks its argument and the credentials, then says
// plainly that it is not available yet.
package logs

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
)

// Options are the inputs of one `rgrid logs`.
type Options struct {
	ExecutionID string
	Key         *cmdutil.Key
}

// NewCmd returns the logs command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "View execution logs (not available yet)",
		ArgsUsage: "EXECUTION_ID",
		Flags:     cmdutil.SharedFlags(),
		Action: func(c *cli.Context) error {
			id, err := cmdutil.ExecutionIDArg(c, "logs")
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
	return cmdutil.NotAvailable("logs")
}
