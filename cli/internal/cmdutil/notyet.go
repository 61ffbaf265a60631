package cmdutil

import (
	"errors"
	"fmt"
)

// ErrNotAvailable is wrapped by NotAvailable's error.
var ErrNotAvailable = errors.New("not available yet")

// NotAvailable is the error of a command that exists so its interface is
// settled but whose feature is not built yet: it says so plainly.
func NotAvailable(command, epic string) error {
	return fmt.Errorf("`rgrid %s` is %w: it arrives with %s; nothing was sent to the API", command, ErrNotAvailable, epic)
}
