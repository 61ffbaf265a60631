// Package cmdutil holds what every rgrid command shares: the Factory of
// injected dependencies, the resolution of settings (profile, API URL, API
// key) from flags, environment and files, the common flags, and the error
// types that decide exit codes.
package cmdutil

import (
	"net/http"
	"os"
	"time"

	"github.com/rgrid/rgrid/cli/internal/client"
	"github.com/rgrid/rgrid/cli/internal/iostreams"
	"github.com/rgrid/rgrid/cli/internal/prompt"
)

// Factory carries the dependencies of a command run; tests build one with
// buffers, a fake environment and a fake prompter.
type Factory struct {
	IO *iostreams.IOStreams
	// Getenv looks up an environment variable; "" means unset.
	Getenv func(string) string
	// Prompter asks questions on the terminal; nil when there is none.
	Prompter prompt.Prompter
	// HTTPTimeout overrides the client's overall timeout when non-zero.
	HTTPTimeout time.Duration
	// Transport overrides the client's HTTP transport when non-nil.
	Transport http.RoundTripper
}

// NewSystem returns the Factory for a real run: the process's streams and
// environment, and a terminal prompter when standard input and standard
// error are terminals.
func NewSystem() *Factory {
	ios := iostreams.System(os.Getenv)
	f := &Factory{IO: ios, Getenv: os.Getenv}
	if ios.CanPrompt() {
		f.Prompter = prompt.New(os.Stdin, ios.InFd, os.Stderr)
	}
	return f
}

// NewClient returns an API client for settings s that sends key.
func (f *Factory) NewClient(s *Settings, key string) (*client.Client, error) {
	return client.New(client.Options{
		BaseURL:           s.APIURL,
		APIKey:            key,
		AllowInsecureHTTP: s.AllowInsecureHTTP,
		Timeout:           f.HTTPTimeout,
		Transport:         f.Transport,
	})
}
