package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/prompt"
)

// Exit codes of the rgrid command.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitUsage     = 2
	ExitCancelled = 130
)

// UsageError is a mistake in how the command was called: exit code 2.
type UsageError struct{ msg string }

// UsageErrorf returns a *UsageError with a formatted message.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

// Error returns the message.
func (e *UsageError) Error() string { return e.msg }

// ErrCancelled means the user cancelled (Ctrl-C): exit code 130.
var ErrCancelled = prompt.ErrCancelled

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var ue *UsageError
	var ec cli.ExitCoder
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, prompt.ErrCancelled), errors.Is(err, context.Canceled):
		return ExitCancelled
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ec):
		// urfave/cli's own errors, such as "No help topic for 'x'".
		if ec.ExitCode() == 0 {
			return ExitOK
		}
		return ExitUsage
	}
	return ExitFailure
}
