// Command rgrid is the RGrid command-line interface.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rgrid/rgrid/cli/internal/cmdutil"
	"github.com/rgrid/rgrid/cli/internal/root"
)

func main() {
	// Ctrl-C cancels ctx: prompts restore the terminal, requests stop, and
	// rgrid exits 130. A second Ctrl-C kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	code := root.Run(ctx, os.Args, cmdutil.NewSystem())
	stop()
	os.Exit(code)
}
