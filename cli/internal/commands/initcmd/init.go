// Package initcmd implements `rgrid init`: ask for an API key, check it
// with the API, and save it to the profile in the credentials file.
package initcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/client"
	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/credentials"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/cli/internal/prompt"
	"github.com/rgrid/rgrid/common"
)

// KeyPrompt is the question asked for the key.
const KeyPrompt = "Enter your API key (from app.rgrid.dev):"

// maxStdinKey bounds what --api-key-stdin reads.
const maxStdinKey = 4096

// Options are the inputs of one `rgrid init`.
type Options struct {
	IO       *iostreams.IOStreams
	Prompter prompt.Prompter // nil without a terminal
	Getenv   func(string) string
	Settings *cmdutil.Settings
	// Force replaces an existing key without asking.
	Force bool
	// KeyFromStdin reads the key from standard input instead of prompting.
	KeyFromStdin bool
	// NewClient builds the API client for a key.
	NewClient func(key string) (*client.Client, error)
}

// Result is what `rgrid init --json` prints.
type Result struct {
	AccountID            string `json:"account_id"`
	Email                string `json:"email"`
	CreditsBalanceMicros int64  `json:"credits_balance_micros"`
	Profile              string `json:"profile"`
	APIURL               string `json:"api_url"`
	KeyHint              string `json:"key_hint"`
	CredentialsFile      string `json:"credentials_file"`
}

// NewCmd returns the init command. runF replaces run in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cli.Command {
	flags := append(cmdutil.SharedFlags(),
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "replace an existing API key without asking"},
		&cli.BoolFlag{Name: "api-key-stdin", Usage: "read the API key from standard input (for scripts and CI)"},
	)
	return &cli.Command{
		Name:  "init",
		Usage: "Initialize RGrid authentication: save and check your API key",
		Description: "Asks for your API key (typing is hidden), checks it with the RGrid API and saves it\n" +
			"to the profile in ~/.rgrid/credentials (mode 600). --api-url is saved to ~/.rgrid/config.",
		Flags:     flags,
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cmdutil.UsageErrorf("rgrid init takes no arguments, got %q", c.Args().First())
			}
			s, err := f.Settings(c)
			if err != nil {
				return err
			}
			opts := &Options{
				IO:           f.IO,
				Prompter:     f.Prompter,
				Getenv:       f.Getenv,
				Settings:     s,
				Force:        c.Bool("force"),
				KeyFromStdin: c.Bool("api-key-stdin"),
				NewClient:    func(key string) (*client.Client, error) { return f.NewClient(s, key) },
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return run(c.Context, opts)
		},
	}
}

func run(ctx context.Context, opts *Options) error {
	s := opts.Settings
	store := s.Store
	credPath := s.CredentialsPath()

	// Everything that can fail without the key fails before the prompt.
	if _, err := opts.NewClient(common.APIKeyPrefix + strings.Repeat("0", common.APIKeyRandomLength)); err != nil {
		return err
	}
	files := []string{credentials.CredentialsFile}
	if s.APIURLFromFlag {
		files = append(files, credentials.ConfigFile)
	}
	if err := store.CheckWritable(files...); err != nil {
		return err
	}
	if !opts.KeyFromStdin && opts.Prompter == nil {
		return cmdutil.UsageErrorf("there is no terminal to type the API key on: pipe the key in with `rgrid init --api-key-stdin`")
	}
	if opts.Getenv(cmdutil.EnvAPIKey) != "" {
		_, _ = fmt.Fprintln(opts.IO.ErrOut, opts.IO.Warning(cmdutil.EnvAPIKey+
			" is set in your environment: while it is, rgrid uses it instead of the key saved here."))
	}

	existing, hasKey, err := store.Get(credentials.CredentialsFile, s.Profile, credentials.KeyAPIKey)
	if err != nil {
		return err
	}
	if hasKey && existing != "" && !opts.Force {
		if opts.KeyFromStdin || opts.Prompter == nil {
			return fmt.Errorf("profile %s already has an API key in %s: pass --force to replace it", s.Profile, s.Display(credPath))
		}
		ok, err := opts.Prompter.Confirm(ctx, fmt.Sprintf("Profile %s already has an API key (%s). Overwrite?", s.Profile, common.APIKeyHint(existing)))
		if err != nil {
			return err
		}
		if !ok {
			_, _ = fmt.Fprintf(opts.IO.ErrOut, "Kept the existing API key for profile %s; nothing was changed.\n", s.Profile)
			return nil
		}
	}

	key, err := readKey(ctx, opts)
	if err != nil {
		return err
	}
	// Surrounding spaces, line ends and control characters go: a Ctrl-D
	// that a terminal passed on as a character is no part of a key.
	key = strings.TrimFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if err := common.ValidateAPIKeyFormat(key); errors.Is(err, common.ErrAPIKeyEmpty) {
		return fmt.Errorf("%w (nothing was entered): copy your key from %s and paste it at the prompt", err, client.HelpURL)
	} else if err != nil {
		return fmt.Errorf("that is not an RGrid API key (%w): copy your key from %s", err, client.HelpURL)
	}

	c, err := opts.NewClient(key)
	if err != nil {
		return err
	}
	// The check can take up to the client's timeout against a slow server;
	// say what is happening (on stderr, so --json output stays clean).
	_, _ = fmt.Fprintf(opts.IO.ErrOut, "Checking the key with %s…\n", c.BaseURL())
	acct, err := c.ValidateKey(ctx)
	if err != nil {
		return err
	}

	// Settings first: if saving the key then fails, the only trace is an
	// api_url, which is harmless.
	if s.APIURLFromFlag {
		if err := store.Update(credentials.ConfigFile, func(f *credentials.File) error {
			return f.Set(s.Profile, credentials.KeyAPIURL, s.APIURL)
		}); err != nil {
			return fmt.Errorf("the key is valid, but saving the API URL failed: %w", err)
		}
	}
	if err := store.Update(credentials.CredentialsFile, func(f *credentials.File) error {
		return f.Set(s.Profile, credentials.KeyAPIKey, key)
	}); err != nil {
		return fmt.Errorf("the key is valid, but saving it failed: %w", err)
	}

	if s.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(Result{
			AccountID: acct.AccountID, Email: acct.Email, CreditsBalanceMicros: acct.CreditsBalanceMicros,
			Profile: s.Profile, APIURL: s.APIURL, KeyHint: common.APIKeyHint(key), CredentialsFile: credPath,
		})
	}
	_, _ = fmt.Fprintln(opts.IO.ErrOut, opts.IO.Success(fmt.Sprintf(
		"Authenticated as %s (profile %s). You're ready to run scripts.", acct.Email, s.Profile)))
	_, _ = fmt.Fprintf(opts.IO.ErrOut, "  Key %s saved to %s.\n", common.APIKeyHint(key), s.Display(credPath))
	if s.Profile != cmdutil.DefaultProfile {
		_, _ = fmt.Fprintf(opts.IO.ErrOut, "  Use this profile with --profile %s or %s=%s.\n", s.Profile, cmdutil.EnvProfile, s.Profile)
	}
	return nil
}

func readKey(ctx context.Context, opts *Options) (string, error) {
	if !opts.KeyFromStdin {
		return opts.Prompter.Secret(ctx, KeyPrompt)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(opts.IO.In, maxStdinKey+1))
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("read the API key from standard input: %w", r.err)
		}
		if len(r.b) > maxStdinKey {
			return "", errors.New("standard input holds far more than an API key: pipe in only the key")
		}
		return string(r.b), nil
	case <-ctx.Done():
		return "", cmdutil.ErrCancelled
	}
}
