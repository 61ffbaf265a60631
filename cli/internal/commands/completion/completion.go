// Package completion implements `rgrid completion bash|zsh`, which prints
// a shell script that completes rgrid's commands and flags by asking the
// binary itself (urfave/cli's --generate-bash-completion).
package completion

import (
	_ "embed"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
)

// Bash is the bash completion script. It needs only bash itself, not the
// bash-completion package.
//
//go:embed rgrid.bash
var Bash string

// Zsh is the zsh completion script; it works both sourced and as an
// autoloaded _rgrid file on $fpath.
//
//go:embed rgrid.zsh
var Zsh string

// NewCmd returns the completion command.
func NewCmd(f *cmdutil.Factory) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "Print a shell completion script (bash or zsh)",
		ArgsUsage: "bash|zsh",
		Description: "bash: add  source <(rgrid completion bash)  to ~/.bashrc\n" +
			"zsh:  add  source <(rgrid completion zsh)  to ~/.zshrc (after compinit),\n" +
			"      or save it as _rgrid in a folder on $fpath",
		BashComplete: func(c *cli.Context) {
			_, _ = fmt.Fprintln(c.App.Writer, "bash")
			_, _ = fmt.Fprintln(c.App.Writer, "zsh")
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cmdutil.UsageErrorf("rgrid completion needs the shell: rgrid completion bash|zsh")
			}
			return write(f.IO.Out, c.Args().First())
		},
	}
}

func write(w io.Writer, shell string) error {
	var script string
	switch shell {
	case "bash":
		script = Bash
	case "zsh":
		script = Zsh
	default:
		return cmdutil.UsageErrorf("no completion for shell %q: choose bash or zsh", shell)
	}
	_, err := io.WriteString(w, script)
	return err
}
