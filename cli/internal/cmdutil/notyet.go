package cmdutil

import (
	"errors"
	"fmt"

	"github.com/rgrid/rgrid/common"
)

// ErrNotAvailable is wrapped by NotAvailable's error.
var ErrNotAvailable = errors.New("not available yet")

// NotAvailable is the error of a command that exists so its interface is
// settled but whose feature is not built yet: it says so plainly, in terms
// of the version the user has (never the project's internal plan).
func NotAvailable(command string) error {
	return fmt.Errorf("`rgrid %s` is %w in this version of rgrid (%s); nothing was sent to the API", command, ErrNotAvailable, common.Version)
}
