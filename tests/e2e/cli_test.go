package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/tests/internal/harness"
)

const (
	keyPrompt       = "Enter your API key (from app.rgrid.dev):"
	overwritePrompt = "Overwrite? [y/N]"
	termTimeout     = 20 * time.Second
)

// initInTerminal runs `rgrid init args...` on a pseudo-terminal, types key
// at the hidden prompt and answers the overwrite question (whenever it comes)
// with answer. It returns the terminal after the command exited and the exit
// code.
func initInTerminal(t *testing.T, cli *harness.CLI, key, answer string, args ...string) (*harness.Terminal, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	term := harness.StartInTerminal(t, cli.Command(ctx, append([]string{"init"}, args...)...))
	answered, typed := false, false
	deadline := time.Now().Add(termTimeout)
	for !term.Exited() && time.Now().Before(deadline) {
		out := term.Output()
		switch {
		case !answered && strings.Contains(out, overwritePrompt):
			term.Type(t, answer+"\r")
			answered = true
		case !typed && strings.Contains(out, keyPrompt):
			term.WaitEchoOff(t, 5*time.Second)
			term.Type(t, key+"\r")
			typed = true
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
	return term, term.Wait(t, termTimeout)
}

// TestInitInTerminal walks the path of a real user: rgrid init in a terminal,
// the key typed without echo, the confirmation, a credentials file only its
// owner can read, that Python's configparser reads, then whoami; a second
// init with the default answer keeps the old key.
func TestInitInTerminal(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	acct, key := newAccountWithKey(t, s)
	proxy := harness.ValidatingProxy(t, s.URL)
	cli := harness.NewCLI(t, "") // the URL comes from --api-url and is saved

	term, code := initInTerminal(t, cli, key.Key, "", "--api-url", proxy)
	out := term.Output()
	require.Equal(t, 0, code, "rgrid init output:\n%s", out)
	assert.NotContains(t, out, key.Key, "the typed key must never appear on the terminal")
	assert.NotContains(t, out, key.Key[len(key.Key)-12:], "no part of the typed key may appear on the terminal")
	assert.Contains(t, out, acct.Email, "the confirmation names the account")
	assert.True(t, term.EchoOn(t), "echo is back on after init")

	// File 600 in a folder 700.
	dirInfo, err := os.Stat(cli.ConfigDir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm(), "config folder mode")
	fileInfo, err := os.Stat(cli.CredentialsPath())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fileInfo.Mode().Perm(), "credentials file mode")

	got, ok := harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok, "configparser must read the credentials file")
	assert.Equal(t, key.Key, got)

	// whoami with the saved key and the saved URL (no RGRID_API_URL set).
	res := cli.Run(t, "", "whoami")
	require.Equal(t, 0, res.Code, "whoami: %s", res.Stderr)
	assert.Contains(t, res.Stdout, acct.Email)
	assert.Contains(t, res.Stdout, acct.ID)
	assert.NotContains(t, res.Stdout+res.Stderr, key.Key, "whoami never prints the key")

	res = cli.Run(t, "", "whoami", "--json")
	require.Equal(t, 0, res.Code, "whoami --json: %s", res.Stderr)
	var who map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Stdout), &who), "whoami --json prints one JSON object")
	assert.Equal(t, acct.ID, who["account_id"])
	assert.Equal(t, acct.Email, who["email"])

	// A second init with another valid key: pressing Enter at the overwrite
	// question keeps the first key.
	other := s.Admin().CreateKey(t, acct.ID, "second")
	term, code = initInTerminal(t, cli, other.Key, "", "--api-url", proxy)
	out = term.Output()
	assert.Contains(t, out, overwritePrompt, "an existing key triggers the overwrite question")
	assert.NotContains(t, out, other.Key)
	assert.NotEqual(t, 130, code, "declining is not a cancellation")
	got, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok)
	assert.Equal(t, key.Key, got, "the default answer is no: the old key stays")
	t.Logf("declining the overwrite exits %d", code)

	// Answering y replaces it.
	_, code = initInTerminal(t, cli, other.Key, "y", "--api-url", proxy)
	require.Equal(t, 0, code)
	got, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok)
	assert.Equal(t, other.Key, got, "answering y replaces the key")
}

// TestInitCtrlC: Ctrl-C at the hidden prompt leaves echo on, exits 130 and
// writes nothing.
func TestInitCtrlC(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	cli := harness.NewCLI(t, harness.ValidatingProxy(t, s.URL))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := harness.StartInTerminal(t, cli.Command(ctx, "init"))
	require.True(t, term.EchoAtStart, "a fresh terminal echoes")
	term.WaitFor(t, keyPrompt, termTimeout)
	term.WaitEchoOff(t, 5*time.Second)
	term.Type(t, "sk_live_half") // a half-typed key, then Ctrl-C
	term.Type(t, "\x03")
	code := term.Wait(t, termTimeout)

	assert.Equal(t, 130, code, "Ctrl-C exits 130; output:\n%q", term.Output())
	assert.True(t, term.EchoOn(t), "echo must be back on after Ctrl-C")
	assert.NotContains(t, term.Output(), "sk_live_half")
	assert.NoFileExists(t, cli.CredentialsPath(), "Ctrl-C writes nothing")
	assert.NoFileExists(t, cli.ConfigPath(), "Ctrl-C writes nothing")
}

// TestInitAPIKeyStdin: the non-interactive path for scripts and CI.
func TestInitAPIKeyStdin(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	acct, key := newAccountWithKey(t, s)
	cli := harness.NewCLI(t, harness.ValidatingProxy(t, s.URL))

	start := time.Now()
	res := cli.Run(t, key.Key+"\n", "init", "--api-key-stdin")
	elapsed := time.Since(start)
	require.Equal(t, 0, res.Code, "stderr: %s", res.Stderr)
	assert.NotContains(t, res.Stdout+res.Stderr, key.Key)
	t.Logf("rgrid init --api-key-stdin took %s (one server-side bcrypt included)", elapsed.Round(time.Millisecond))

	got, ok := harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok)
	assert.Equal(t, key.Key, got)

	res = cli.Run(t, "", "whoami", "--json")
	require.Equal(t, 0, res.Code, "stderr: %s", res.Stderr)
	var who map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Stdout), &who))
	assert.Equal(t, acct.ID, who["account_id"])

	// A named profile next to the default one; both survive.
	second := s.Admin().CreateKey(t, acct.ID, "ci")
	res = cli.Run(t, second.Key+"\n", "init", "--api-key-stdin", "--profile", "ci")
	require.Equal(t, 0, res.Code, "stderr: %s", res.Stderr)
	got, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "ci", "api_key")
	require.True(t, ok)
	assert.Equal(t, second.Key, got)
	got, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok)
	assert.Equal(t, key.Key, got, "adding a profile keeps the others")

	// An invalid key writes nothing new and exits 1.
	bad := "sk_live_" + strings.Repeat("Z", 32)
	res = cli.Run(t, bad+"\n", "init", "--api-key-stdin", "--profile", "bad")
	assert.Equal(t, 1, res.Code)
	_, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "bad", "api_key")
	assert.False(t, ok, "an invalid key is never saved")

	// logout removes one profile only.
	res = cli.Run(t, "", "logout", "--profile", "ci")
	require.Equal(t, 0, res.Code, "stderr: %s", res.Stderr)
	_, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "ci", "api_key")
	assert.False(t, ok, "logout removes the profile's key")
	got, ok = harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
	require.True(t, ok)
	assert.Equal(t, key.Key, got, "logout leaves other profiles")

	// The folder was created 700 by the CLI.
	info, err := os.Stat(filepath.Dir(cli.CredentialsPath()))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}
