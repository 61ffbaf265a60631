package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/rgrid/rgrid/common"
)

// Admin runs the admin commands of rgrid-api (accounts, keys) with --json.
type Admin struct {
	Bin      string
	Env      []string
	Extra    []string // appended to every command, e.g. --data-dir D
	remember func(key string)
}

// Account is what `accounts create --json` reports.
type Account struct {
	ID    string
	Email string
	Raw   map[string]any
}

// Key is what `keys create --json` reports.
type Key struct {
	ID  string // the key's id, as `keys revoke ID` takes it
	Key string // the plaintext key, shown once
	Raw map[string]any
}

// Run runs rgrid-api with args (+ Extra) and returns stdout; a non-zero exit
// fails the test.
func (a *Admin) Run(tb testing.TB, args ...string) []byte {
	tb.Helper()
	out, errOut, err := a.run(args...)
	if err != nil {
		tb.Fatalf("rgrid-api %v: %v\nstdout: %s\nstderr: %s", args, err, out, errOut)
	}
	return out
}

func (a *Admin) run(args ...string) ([]byte, []byte, error) {
	args = append(append([]string(nil), args...), a.Extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.Bin, args...) //nolint:gosec // binary built by the harness
	cmd.Env = a.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// CreateAccount runs `accounts create --email E --json`.
func (a *Admin) CreateAccount(tb testing.TB, email string) Account {
	tb.Helper()
	m := decodeObject(tb, a.Run(tb, "accounts", "create", "--email", email, "--json"))
	acct := Account{ID: str(m, "id", "account_id"), Email: str(m, "email"), Raw: m}
	if acct.ID == "" {
		tb.Fatalf("accounts create --json: no id in %v", m)
	}
	return acct
}

// CreateKey runs `keys create --account A --name N --json`.
func (a *Admin) CreateKey(tb testing.TB, accountID, name string) Key {
	tb.Helper()
	m := decodeObject(tb, a.Run(tb, "keys", "create", "--account", accountID, "--name", name, "--json"))
	k := Key{ID: str(m, "id", "key_id"), Key: str(m, "key", "api_key"), Raw: m}
	if k.ID == "" || k.Key == "" {
		tb.Fatalf("keys create --json: no id or key in the output (fields: %v)", keysOf(m))
	}
	if err := common.ValidateAPIKeyFormat(k.Key); err != nil {
		tb.Fatalf("keys create minted a malformed key: %v", err)
	}
	if a.remember != nil {
		a.remember(k.Key)
	}
	return k
}

// RevokeKey runs `keys revoke ID --json`.
func (a *Admin) RevokeKey(tb testing.TB, id string) map[string]any {
	tb.Helper()
	return decodeObject(tb, a.Run(tb, "keys", "revoke", id, "--json"))
}

// ListKeys runs `keys list --account A --json` and returns its entries.
func (a *Admin) ListKeys(tb testing.TB, accountID string) []map[string]any {
	tb.Helper()
	out := a.Run(tb, "keys", "list", "--account", accountID, "--json")
	var list []map[string]any
	if err := json.Unmarshal(out, &list); err == nil {
		return list
	}
	// Also accept {"keys": [...]}.
	var wrapped struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(out, &wrapped); err != nil {
		tb.Fatalf("keys list --json: not a JSON list: %v\n%s", err, out)
	}
	return wrapped.Keys
}

func decodeObject(tb testing.TB, out []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(out), &m); err != nil {
		tb.Fatalf("admin --json output is not one JSON object: %v", err)
	}
	return m
}

// str returns the first of names present in m as a string (numbers too).
func str(m map[string]any, names ...string) string {
	for _, n := range names {
		switch v := m[n].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatInt(int64(v), 10)
		case nil:
		default:
			return fmt.Sprint(v)
		}
	}
	return ""
}

// Str is str for tests that read fields of decoded bodies.
func Str(m map[string]any, names ...string) string { return str(m, names...) }

func keysOf(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
