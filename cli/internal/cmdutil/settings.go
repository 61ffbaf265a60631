package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/client"
	"github.com/rgrid/rgrid/cli/internal/credentials"
	"github.com/rgrid/rgrid/common"
)

// Defaults and environment variables.
const (
	DefaultProfile = "default"
	DefaultAPIURL  = "http://localhost:8000"

	EnvProfile       = "RGRID_PROFILE"
	EnvAPIURL        = "RGRID_API_URL"
	EnvAPIKey        = "RGRID_API_KEY" //nolint:gosec // the name of a variable, not a credential
	EnvConfigDir     = "RGRID_CONFIG_DIR"
	EnvAllowInsecure = "RGRID_ALLOW_INSECURE_HTTP"
)

// Names of the shared flags.
const (
	FlagProfile       = "profile"
	FlagAPIURL        = "api-url"
	FlagJSON          = "json"
	FlagAllowInsecure = "allow-insecure-http"
)

// SharedFlags returns new instances of the flags every command accepts.
// They are declared on the app (before the command name) and again on each
// command (after it); fresh instances each time, because urfave/cli keeps
// per-flag state.
func SharedFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: FlagProfile, Usage: "profile `NAME` in the credentials file (env " + EnvProfile + ", default \"default\")"},
		&cli.StringFlag{Name: FlagAPIURL, Usage: "RGrid API `URL` (env " + EnvAPIURL + ", default " + DefaultAPIURL + ")"},
		&cli.BoolFlag{Name: FlagJSON, Usage: "print machine-readable JSON on standard output"},
		&cli.BoolFlag{Name: FlagAllowInsecure, Usage: "allow sending the API key over plain http:// to another machine (env " + EnvAllowInsecure + "=1)"},
	}
}

// Settings are the resolved settings of one run, each with where it came
// from. Precedence: flag > environment > profile file > default.
type Settings struct {
	Profile       string
	ProfileSource string
	APIURL        string
	APIURLSource  string
	// APIURLFromFlag reports whether --api-url was given.
	APIURLFromFlag    bool
	AllowInsecureHTTP bool
	JSON              bool
	Store             *credentials.Store
	// Home is the home folder, used to shorten paths in messages.
	Home string
}

// Lookup returns the value of a string flag from the innermost context
// (command, then app) where it was set.
func Lookup(c *cli.Context, name string) (string, bool) {
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.IsSet(name) {
			return cc.String(name), true
		}
	}
	return "", false
}

// LookupBool reports whether a bool flag was set to true in any context.
func LookupBool(c *cli.Context, name string) bool {
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.IsSet(name) && cc.Bool(name) {
			return true
		}
	}
	return false
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Settings resolves the settings for the command running in c.
func (f *Factory) Settings(c *cli.Context) (*Settings, error) {
	s := &Settings{Home: f.Getenv("HOME")}
	s.JSON = LookupBool(c, FlagJSON)
	s.AllowInsecureHTTP = LookupBool(c, FlagAllowInsecure) || truthy(f.Getenv(EnvAllowInsecure))

	if v, ok := Lookup(c, FlagProfile); ok {
		s.Profile, s.ProfileSource = v, "flag --profile"
	} else if v := f.Getenv(EnvProfile); v != "" {
		s.Profile, s.ProfileSource = v, "env "+EnvProfile
	} else {
		s.Profile, s.ProfileSource = DefaultProfile, "default"
	}
	if err := credentials.ValidateProfileName(s.Profile); err != nil {
		return nil, UsageErrorf("%v (from %s)", err, s.ProfileSource)
	}

	dir, err := credentials.DefaultDir(f.Getenv)
	if err != nil {
		return nil, err
	}
	s.Store = &credentials.Store{Dir: dir}

	if v, ok := Lookup(c, FlagAPIURL); ok {
		s.APIURL, s.APIURLSource, s.APIURLFromFlag = v, "flag --api-url", true
	} else if v := f.Getenv(EnvAPIURL); v != "" {
		s.APIURL, s.APIURLSource = v, "env "+EnvAPIURL
	} else {
		v, ok, err := s.Store.Get(credentials.ConfigFile, s.Profile, credentials.KeyAPIURL)
		if err != nil {
			return nil, err
		}
		if ok && v != "" {
			s.APIURL, s.APIURLSource = v, fmt.Sprintf("file %s [%s]", s.Display(s.Store.Path(credentials.ConfigFile)), s.Profile)
		} else {
			s.APIURL, s.APIURLSource = DefaultAPIURL, "default"
		}
	}
	u, err := client.ParseBaseURL(s.APIURL)
	if err != nil {
		if s.APIURLSource == "default" || strings.HasPrefix(s.APIURLSource, "file") {
			return nil, fmt.Errorf("%w (from %s)", err, s.APIURLSource)
		}
		return nil, UsageErrorf("%v (from %s)", err, s.APIURLSource)
	}
	s.APIURL = u.String()
	return s, nil
}

// Display shortens path for messages ("~/.rgrid/credentials").
func (s *Settings) Display(path string) string { return credentials.DisplayPath(path, s.Home) }

// CredentialsPath is the credentials file.
func (s *Settings) CredentialsPath() string { return s.Store.Path(credentials.CredentialsFile) }

// Key is an API key and where it was found.
type Key struct {
	Value string
	// Source is "env" or "file".
	Source string
	// Where says it for people: "env RGRID_API_KEY" or
	// "file ~/.rgrid/credentials [default]".
	Where string
	// File is the credentials file, for Source "file".
	File string
}

// ErrNotLoggedIn is wrapped by APIKey's error when there is no key at all.
var ErrNotLoggedIn = errors.New("not logged in")

// APIKey finds the key to use: RGRID_API_KEY, else the profile's api_key in
// the credentials file. A key that is missing or malformed is an error that
// says what to do.
func (f *Factory) APIKey(s *Settings) (*Key, error) {
	if v := strings.TrimSpace(f.Getenv(EnvAPIKey)); v != "" {
		if err := common.ValidateAPIKeyFormat(v); err != nil {
			return nil, fmt.Errorf("%s is set but is not an RGrid API key: %w; fix or unset it", EnvAPIKey, err)
		}
		return &Key{Value: v, Source: "env", Where: "env " + EnvAPIKey}, nil
	}
	path := s.CredentialsPath()
	v, ok, err := s.Store.Get(credentials.CredentialsFile, s.Profile, credentials.KeyAPIKey)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("file %s [%s]", s.Display(path), s.Profile)
	if !ok || v == "" {
		hint := "rgrid init"
		if s.Profile != DefaultProfile {
			hint += " --profile " + s.Profile
		}
		return nil, fmt.Errorf("%w: there is no API key for profile %s in %s: run `%s` first (or set %s)",
			ErrNotLoggedIn, s.Profile, s.Display(path), hint, EnvAPIKey)
	}
	if err := common.ValidateAPIKeyFormat(v); err != nil {
		return nil, fmt.Errorf("the API key for profile %s in %s is damaged (%w): run `rgrid init --force --profile %s` to replace it",
			s.Profile, s.Display(path), err, s.Profile)
	}
	if mode, loose := s.Store.LoosePermissions(credentials.CredentialsFile); loose && f.IO != nil {
		_, _ = fmt.Fprintln(f.IO.ErrOut, f.IO.Warning(fmt.Sprintf(
			"%s is accessible to other users (mode %04o): run `chmod 600 %s` so that only you can read your API keys",
			s.Display(path), uint32(mode), s.Display(path))))
	}
	return &Key{Value: v, Source: "file", Where: where, File: path}, nil
}
