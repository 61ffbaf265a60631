package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
)

var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print the result as JSON"}

// accountJSON is the --json form of an account.
type accountJSON struct {
	ID                   string    `json:"id"`
	Email                string    `json:"email"`
	Status               string    `json:"status"`
	CreditsBalanceMicros int64     `json:"credits_balance_micros"`
	CreatedAt            time.Time `json:"created_at"`
}

// keyJSON is the --json form of an API key; Key is set only on creation.
type keyJSON struct {
	ID         int64      `json:"id"`
	AccountID  string     `json:"account_id"`
	Name       string     `json:"name"`
	KeyHint    string     `json:"key_hint"`
	Key        string     `json:"key,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func toAccountJSON(a models.Account) accountJSON {
	return accountJSON{ID: a.ID, Email: a.Email, Status: a.Status, CreditsBalanceMicros: a.CreditsBalanceMicros, CreatedAt: a.CreatedAt.UTC()}
}

func toKeyJSON(k models.APIKey) keyJSON {
	return keyJSON{ID: k.ID, AccountID: k.AccountID, Name: k.Name, KeyHint: k.KeyHint,
		CreatedAt: k.CreatedAt.UTC(), LastUsedAt: utcPtr(k.LastUsedAt), RevokedAt: utcPtr(k.RevokedAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// adminError turns a service error into the sentence the operator sees.
func adminError(err error, what string) error {
	switch {
	case services.IsNotFound(err):
		return fmt.Errorf("%s does not exist", what)
	case services.IsConflict(err):
		return fmt.Errorf("%s already exists", what)
	}
	if ce, ok := err.(*common.Error); ok { //nolint:errorlint // services return *common.Error unwrapped
		if ce.Code == common.CodeInvalidRequest {
			return usageError{ce.Message}
		}
	}
	return err
}

func accountsCommand(e *env) *cli.Command {
	return withUsage(&cli.Command{
		Name:   "accounts",
		Usage:  "manage accounts",
		Action: groupAction,
		Subcommands: []*cli.Command{{
			Name:  "create",
			Usage: "create an account",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "email", Usage: "the account's e-mail `ADDRESS`", Required: true},
				jsonFlag, dataDirFlag,
			},
			Action: func(c *cli.Context) error {
				if err := noArgs(c); err != nil {
					return err
				}
				admin, closeDB, err := openAdmin(c, e)
				if err != nil {
					return err
				}
				defer closeDB()
				email := c.String("email")
				acct, err := admin.CreateAccount(c.Context, email)
				if err != nil {
					return adminError(err, fmt.Sprintf("an account with e-mail %s", services.NormalizeEmail(email)))
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, toAccountJSON(acct))
				}
				fmt.Fprintf(e.stdout, "Created account %s (%s).\nNext: rgrid-api keys create --account %s\n", acct.ID, acct.Email, acct.ID)
				return nil
			},
		}},
	})
}

func keysCommand(e *env) *cli.Command {
	return withUsage(&cli.Command{
		Name:   "keys",
		Usage:  "manage API keys",
		Action: groupAction,
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create an API key (printed once)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "account", Usage: "the account `ID` (acct_...)", Required: true},
					&cli.StringFlag{Name: "name", Usage: "a friendly `NAME` for the key"},
					jsonFlag, dataDirFlag,
				},
				Action: func(c *cli.Context) error { return keysCreate(c, e) },
			},
			{
				Name:  "list",
				Usage: "list the API keys of an account (never the keys themselves)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "account", Usage: "the account `ID` (acct_...)", Required: true},
					jsonFlag, dataDirFlag,
				},
				Action: func(c *cli.Context) error { return keysList(c, e) },
			},
			{
				Name:      "revoke",
				Usage:     "revoke an API key; it fails from the next request on",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{jsonFlag, dataDirFlag},
				Action:    func(c *cli.Context) error { return keysRevoke(c, e) },
			},
		},
	})
}

func groupAction(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("%q is not a subcommand of %s", c.Args().First(), c.Command.Name)
	}
	return cli.ShowSubcommandHelp(c)
}

func keysCreate(c *cli.Context, e *env) error {
	if err := noArgs(c); err != nil {
		return err
	}
	admin, closeDB, err := openAdmin(c, e)
	if err != nil {
		return err
	}
	defer closeDB()
	account := c.String("account")
	created, err := admin.CreateKey(c.Context, account, c.String("name"))
	if err != nil {
		return adminError(err, "account "+account)
	}
	if c.Bool("json") {
		out := toKeyJSON(created.Key)
		out.Key = created.Plaintext
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "Created API key %d for %s:\n\n    %s\n\n", created.Key.ID, account, created.Plaintext)
	fmt.Fprintln(e.stderr, "Store this key now: it is shown only once and cannot be recovered.")
	return nil
}

func keysList(c *cli.Context, e *env) error {
	if err := noArgs(c); err != nil {
		return err
	}
	admin, closeDB, err := openAdmin(c, e)
	if err != nil {
		return err
	}
	defer closeDB()
	account := c.String("account")
	keys, err := admin.ListKeys(c.Context, account)
	if err != nil {
		return adminError(err, "account "+account)
	}
	out := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, toKeyJSON(k))
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stdout, "%s has no API keys. Create one: rgrid-api keys create --account %s\n", account, account)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tCREATED\tLAST USED\tSTATUS")
	for _, k := range out {
		status := "active"
		if k.RevokedAt != nil {
			status = "revoked " + k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, dash(k.Name), k.KeyHint,
			k.CreatedAt.Format(time.RFC3339), timeOrNever(k.LastUsedAt), status)
	}
	return tw.Flush()
}

func keysRevoke(c *cli.Context, e *env) error {
	// urfave/cli stops at the first argument, so flags after ID
	// ("keys revoke 7 --json") are parsed here.
	args := c.Args().Slice()
	if len(args) == 0 {
		return usagef("keys revoke needs the key ID (see rgrid-api keys list --account ACCOUNT)")
	}
	fs := flag.NewFlagSet("keys revoke", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", c.Bool("json"), "")
	dataDir := fs.String("data-dir", c.String("data-dir"), "")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("keys revoke: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("keys revoke takes one key ID (got %q)", strings.Join(args, " "))
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("%q is not a key ID; IDs are numbers (see rgrid-api keys list --account ACCOUNT)", args[0])
	}
	if *dataDir != "" {
		if err := c.Set("data-dir", *dataDir); err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
	}
	admin, closeDB, err := openAdmin(c, e)
	if err != nil {
		return err
	}
	defer closeDB()
	k, err := admin.RevokeKey(c.Context, id)
	if err != nil {
		return adminError(err, fmt.Sprintf("API key %d", id))
	}
	if *asJSON {
		return writeJSON(e.stdout, toKeyJSON(k))
	}
	fmt.Fprintf(e.stdout, "Revoked API key %d (%s) of %s at %s.\n", k.ID, k.KeyHint, k.AccountID, k.RevokedAt.UTC().Format(time.RFC3339))
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format(time.RFC3339)
}
