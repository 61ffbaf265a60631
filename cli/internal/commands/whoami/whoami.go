// Package whoami implements `rgrid whoami`: show the account behind the
// API key in use, and where that key and the API URL came from.
package whoami

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/client"
	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/common"
)

// Options are the inputs of one `rgrid whoami`.
type Options struct {
	IO        *iostreams.IOStreams
	Settings  *cmdutil.Settings
	Key       *cmdutil.Key
	NewClient func(key string) (*client.Client, error)
}

// Result is what `rgrid whoami --json` prints. The field names are stable.
type Result struct {
	AccountID            string `json:"account_id"`
	Email                string `json:"email"`
	CreditsBalanceMicros int64  `json:"credits_balance_micros"`
	Credits              string `json:"credits"`
	Profile              string `json:"profile"`
	APIURL               string `json:"api_url"`
	KeyHint              string `json:"key_hint"`
	// KeySource is "env" (RGRID_API_KEY) or "file".
	KeySource string `json:"key_source"`
	// KeyFile is the credentials file when KeySource is "file".
	KeyFile string `json:"key_file,omitempty"`
}

// NewCmd returns the whoami command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	return &cli.Command{
		Name:      "whoami",
		Usage:     "Show the account, credits and API key in use",
		Flags:     cmdutil.SharedFlags(),
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cmdutil.UsageErrorf("rgrid whoami takes no arguments, got %q", c.Args().First())
			}
			s, err := f.Settings(c)
			if err != nil {
				return err
			}
			key, err := f.APIKey(s)
			if err != nil {
				return err
			}
			opts := &Options{IO: f.IO, Settings: s, Key: key,
				NewClient: func(k string) (*client.Client, error) { return f.NewClient(s, k) }}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return run(c.Context, opts)
		},
	}
}

func run(ctx context.Context, opts *Options) error {
	c, err := opts.NewClient(opts.Key.Value)
	if err != nil {
		return err
	}
	acct, err := c.ValidateKey(ctx)
	if err != nil {
		return err
	}
	s := opts.Settings
	r := Result{
		AccountID: acct.AccountID, Email: acct.Email,
		CreditsBalanceMicros: acct.CreditsBalanceMicros, Credits: common.FormatEuros(acct.CreditsBalanceMicros),
		Profile: s.Profile, APIURL: s.APIURL, KeyHint: common.APIKeyHint(opts.Key.Value),
		KeySource: opts.Key.Source, KeyFile: opts.Key.File,
	}
	if s.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"Account", r.AccountID},
		{"E-mail", r.Email},
		{"Credits", r.Credits},
		{"Profile", r.Profile},
		{"API URL", r.APIURL},
		{"API key", r.KeyHint + " (" + opts.Key.Where + ")"},
	}
	for _, row := range rows {
		_, _ = fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}
