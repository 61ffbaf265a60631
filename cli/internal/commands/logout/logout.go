// Package logout implements `rgrid logout`: remove the profile's API key
// from the credentials file, leaving everything else in it alone.
package logout

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/credentials"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
)

// Options are the inputs of one `rgrid logout`.
type Options struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	Settings *cmdutil.Settings
}

// Result is what `rgrid logout --json` prints.
type Result struct {
	Profile         string `json:"profile"`
	Removed         bool   `json:"removed"`
	CredentialsFile string `json:"credentials_file"`
}

// NewCmd returns the logout command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "Remove the profile's API key from this machine",
		Flags:     cmdutil.SharedFlags(),
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cmdutil.UsageErrorf("rgrid logout takes no arguments, got %q", c.Args().First())
			}
			s, err := f.Settings(c)
			if err != nil {
				return err
			}
			opts := &Options{IO: f.IO, Getenv: f.Getenv, Settings: s}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return run(c.Context, opts)
		},
	}
}

func run(_ context.Context, opts *Options) error {
	s := opts.Settings
	path := s.CredentialsPath()
	f, err := s.Store.Load(credentials.CredentialsFile)
	if err != nil {
		return err
	}
	removed := f.Delete(s.Profile, credentials.KeyAPIKey)
	if removed {
		if err := s.Store.Save(credentials.CredentialsFile, f); err != nil {
			return fmt.Errorf("remove the API key of profile %s: %w", s.Profile, err)
		}
	}
	if opts.Getenv(cmdutil.EnvAPIKey) != "" {
		defer func() {
			_, _ = fmt.Fprintln(opts.IO.ErrOut, opts.IO.Warning(cmdutil.EnvAPIKey+" is still set in your environment, so rgrid will keep using that key: unset it too."))
		}()
	}
	if s.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(Result{Profile: s.Profile, Removed: removed, CredentialsFile: path})
	}
	if removed {
		_, _ = fmt.Fprintln(opts.IO.ErrOut, opts.IO.Success(fmt.Sprintf("Removed the API key of profile %s from %s.", s.Profile, s.Display(path))))
	} else {
		_, _ = fmt.Fprintf(opts.IO.ErrOut, "No API key is saved for profile %s in %s; nothing to remove.\n", s.Profile, s.Display(path))
	}
	return nil
}
