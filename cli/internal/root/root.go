// Package root assembles the rgrid command: global flags, the commands,
// and the one place where errors become messages and exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/commands/completion"
	"github.com/rgrid/rgrid/cli/internal/commands/initcmd"
	"github.com/rgrid/rgrid/cli/internal/commands/logout"
	"github.com/rgrid/rgrid/cli/internal/commands/logs"
	"github.com/rgrid/rgrid/cli/internal/commands/run"
	"github.com/rgrid/rgrid/cli/internal/commands/status"
	"github.com/rgrid/rgrid/cli/internal/commands/whoami"
	"github.com/rgrid/rgrid/common"
)

func init() {
	// The spec's version line is "rgrid, version 0.1.0" (Click's format).
	cli.VersionPrinter = func(c *cli.Context) {
		_, _ = fmt.Fprintf(c.App.Writer, "%s, version %s\n", c.App.Name, c.App.Version)
	}
}

// NewApp returns the rgrid application wired to f; args are the arguments
// it will run with (shell completion looks at them).
func NewApp(f *cmdutil.Factory, args []string) *cli.App {
	usageError := func(_ *cli.Context, err error, _ bool) error {
		return cmdutil.UsageErrorf("%v", err)
	}
	commands := []*cli.Command{
		initcmd.NewCmd(f, nil),
		whoami.NewCmd(f, nil),
		logout.NewCmd(f, nil),
		run.NewCmd(f, nil),
		status.NewCmd(f, nil),
		logs.NewCmd(f, nil),
		completion.NewCmd(f),
	}
	for _, c := range commands {
		c.OnUsageError = usageError
		if c.BashComplete == nil {
			c.BashComplete = completer(args, c.Flags, nil)
		}
	}
	return &cli.App{
		BashComplete:         completer(args, cmdutil.SharedFlags(), commands),
		Name:                 "rgrid",
		Usage:                "Run Python scripts remotely with zero infrastructure",
		Version:              common.Version,
		Flags:                cmdutil.SharedFlags(),
		Commands:             commands,
		EnableBashCompletion: true,
		Suggest:              true,
		Reader:               f.IO.In,
		Writer:               f.IO.Out,
		ErrWriter:            f.IO.ErrOut,
		// Errors are reported by Run, never by os.Exit deep inside urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cmdutil.UsageErrorf("unknown command %q", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		CustomAppHelpTemplate: helpTemplate,
	}
}

// Run runs rgrid with args (args[0] is the program name) and returns the
// exit code. Errors are printed as one sentence on standard error; a panic
// is reported the same way, never as a stack trace.
func Run(ctx context.Context, args []string, f *cmdutil.Factory) (code int) {
	defer func() {
		if r := recover(); r != nil {
			_, _ = fmt.Fprintln(f.IO.ErrOut, f.IO.Failure(fmt.Sprintf(
				"rgrid hit an internal error (%v); this is a bug, please report it.", r)))
			code = cmdutil.ExitFailure
		}
	}()
	err := NewApp(f, args).RunContext(ctx, args)
	code = cmdutil.ExitCode(err)
	switch code {
	case cmdutil.ExitOK:
	case cmdutil.ExitCancelled:
		_, _ = fmt.Fprintln(f.IO.ErrOut, "Cancelled; nothing was changed.")
	case cmdutil.ExitUsage:
		_, _ = fmt.Fprintln(f.IO.ErrOut, f.IO.Failure(sentence(err)+" See `"+helpFor(args)+"`."))
	default:
		_, _ = fmt.Fprintln(f.IO.ErrOut, f.IO.Failure(sentence(err)))
	}
	return code
}

// sentence turns an error message into one sentence: capitalised, ending
// with a period, on one line.
func sentence(err error) string {
	var ec cli.ExitCoder
	msg := err.Error()
	if errors.As(err, &ec) && msg == "" {
		msg = "invalid usage"
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return "Something went wrong."
	}
	if !strings.HasPrefix(msg, "rgrid ") {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// helpFor names the help command for the subcommand in args, if any.
func helpFor(args []string) string {
	names := map[string]bool{"init": true, "whoami": true, "logout": true, "run": true, "status": true, "logs": true, "completion": true}
	for _, a := range args[1:] {
		if names[a] {
			return "rgrid " + a + " --help"
		}
	}
	return "rgrid --help"
}

const helpTemplate = `{{.Name}} - {{.Usage}}

Usage:
  {{.Name}} [global options] COMMAND [options] [arguments...]

Commands:
{{- range .VisibleCommands}}
  {{printf "%-12s" .Name}}{{.Usage}}
{{- end}}

Global options (also accepted after the command name):
{{- range .VisibleFlags}}
  {{.}}
{{- end}}

Environment:
  RGRID_PROFILE, RGRID_API_URL, RGRID_API_KEY (overrides the saved key),
  RGRID_CONFIG_DIR (default ~/.rgrid), RGRID_ALLOW_INSECURE_HTTP, NO_COLOR
  Precedence: flag > environment > ~/.rgrid/config > default.

Exit codes: 0 ok, 1 failure, 2 usage error, 130 cancelled.
`

// completer answers urfave/cli's --generate-bash-completion: the flags
// matching a word that starts with "-", else the command names. Unlike
// urfave/cli's default it reads the arguments it was given, not os.Args.
func completer(args []string, flags []cli.Flag, commands []*cli.Command) cli.BashCompleteFunc {
	return func(c *cli.Context) {
		last := ""
		if n := len(args); n > 2 && args[n-1] == "--generate-bash-completion" {
			last = args[n-2]
		}
		if strings.HasPrefix(last, "-") {
			for _, fl := range flags {
				for _, name := range fl.Names() {
					dashed := "--" + name
					if len(name) == 1 {
						dashed = "-" + name
					}
					if strings.HasPrefix(dashed, last) {
						_, _ = fmt.Fprintln(c.App.Writer, dashed)
					}
				}
			}
			return
		}
		for _, cmd := range commands {
			if !cmd.Hidden {
				_, _ = fmt.Fprintln(c.App.Writer, cmd.Name)
			}
		}
	}
}
