package whoami_test

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
	"github.com/rgrid/rgrid/common"
)

func loggedIn(t *testing.T) (*clitest.API, *clitest.Env) {
	t.Helper()
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	e.WriteCredentials("[default]\napi_key = " + clitest.GoodKey + "\n\n[other]\napi_key = " + clitest.OtherKey + "\n")
	return api, e
}

func TestText(t *testing.T) {
	api, e := loggedIn(t)
	r := e.Run("whoami")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{
		"Account:  acct_good", "E-mail:   dev@localhost", "Credits:  €12.35", "Profile:  default",
		"API URL:  " + api.URL, "API key:  sk_live_…AbCd (file ~/.rgrid/credentials [default])",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
}

func TestJSONFieldsAreStable(t *testing.T) {
	api, e := loggedIn(t)
	for _, args := range [][]string{{"whoami", "--json"}, {"--json", "whoami"}} {
		r := e.Run(args...)
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
			t.Fatalf("%q: %v", r.Stdout, err)
		}
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		const want = "account_id,api_url,credits,credits_balance_micros,email,key_file,key_hint,key_source,profile"
		if strings.Join(keys, ",") != want {
			t.Fatalf("fields %v, want %s", keys, want)
		}
		if got["credits"] != "€12.35" || got["credits_balance_micros"] != 12345000.0 || got["key_source"] != "file" ||
			got["api_url"] != api.URL || got["key_file"] != e.CredentialsPath() {
			t.Fatalf("JSON %s", r.Stdout)
		}
	}
}

func TestKeySourceAndPrecedence(t *testing.T) {
	api, e := loggedIn(t)

	t.Run("RGRID_API_KEY wins over the file", func(t *testing.T) {
		e.Vars["RGRID_API_KEY"] = " " + clitest.OtherKey + "\n"
		defer delete(e.Vars, "RGRID_API_KEY")
		r := e.Run("whoami")
		if r.Code != 0 || !strings.Contains(r.Stdout, "other@localhost") || !strings.Contains(r.Stdout, "(env RGRID_API_KEY)") {
			t.Fatalf("exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("malformed RGRID_API_KEY", func(t *testing.T) {
		e.Vars["RGRID_API_KEY"] = "nope"
		defer delete(e.Vars, "RGRID_API_KEY")
		before := api.Count()
		r := e.Run("whoami")
		if r.Code != 1 || !r.ErrHas("RGRID_API_KEY is set but is not an RGrid API key") || api.Count() != before {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})
	t.Run("--profile beats RGRID_PROFILE", func(t *testing.T) {
		e.Vars["RGRID_PROFILE"] = "nobody"
		defer delete(e.Vars, "RGRID_PROFILE")
		r := e.Run("whoami", "--profile", "other")
		if r.Code != 0 || !strings.Contains(r.Stdout, "other@localhost") {
			t.Fatalf("exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
		}
		r = e.Run("--profile", "other", "whoami")
		if r.Code != 0 || !strings.Contains(r.Stdout, "Profile:  other") {
			t.Fatalf("global flag: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
		}
		r = e.Run("whoami")
		if r.Code != 1 || !r.ErrHas("no API key for profile nobody") || !r.ErrHas("rgrid init --profile nobody") {
			t.Fatalf("env profile: exit %d: %s", r.Code, r.Stderr)
		}
	})
	t.Run("API URL: flag > env > config file > default", func(t *testing.T) {
		dead := closedPortURL(t)
		e.Vars["RGRID_API_URL"] = dead
		defer func() { e.Vars["RGRID_API_URL"] = api.URL }()
		if r := e.Run("whoami", "--api-url", api.URL); r.Code != 0 {
			t.Fatalf("flag did not win: %s", r.Stderr)
		}
		if r := e.Run("whoami"); r.Code != 1 || !r.ErrHas("could not reach the RGrid API at "+dead) {
			t.Fatalf("env did not win: %s", r.Stderr)
		}
		delete(e.Vars, "RGRID_API_URL")
		writeConfig(t, e, "[default]\napi_url = "+api.URL+"\n")
		if r := e.Run("whoami"); r.Code != 0 || !strings.Contains(r.Stdout, api.URL) {
			t.Fatalf("config file not used: %s", r.Stderr)
		}

		// The default URL: the request is recorded, never sent, so a server
		// on this machine's port 8000 (`make dev`) cannot change the result.
		writeConfig(t, e, "[other]\napi_url = "+api.URL+"\n")
		rec := &clitest.Recorder{Err: errors.New("connect: connection refused")}
		e.Transport = rec
		r := e.Run("whoami")
		e.Transport = nil
		want := "http://localhost:8000" + common.PathAuthValidate
		if got := rec.Requested(); len(got) != 1 || got[0] != want {
			t.Fatalf("requested %q, want only %s", got, want)
		}
		if r.Code != 1 || !r.ErrHas("could not reach the RGrid API at http://localhost:8000") {
			t.Fatalf("default not used: %d %s", r.Code, r.Stderr)
		}

		writeConfig(t, e, "[default]\napi_url = nonsense\n")
		if r := e.Run("whoami"); r.Code != 1 || !r.ErrHas("from file ~/.rgrid/config [default]") {
			t.Fatalf("bad config URL: %d %s", r.Code, r.Stderr)
		}
	})
}

// TestGuardRefusesTheDefaultPort: without an injected transport, a run
// that would reach the default API URL is refused inside the test process,
// whether or not something listens on port 8000.
func TestGuardRefusesTheDefaultPort(t *testing.T) {
	_, e := loggedIn(t)
	delete(e.Vars, "RGRID_API_URL")
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("clitest: refusing to connect to localhost:8000") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

// closedPortURL returns the URL of a loopback port that nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	_ = l.Close()
	return url
}

func TestNotLoggedIn(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("run `rgrid init` first") || api.Count() != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

func TestDamagedKeyInFile(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	e.WriteCredentials("[default]\napi_key = sk_live_short\n")
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("is damaged") || r.ErrHas("sk_live_short") || api.Count() != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

func TestRevoked(t *testing.T) {
	e := clitest.New(t, clitest.NewAPI(t))
	e.WriteCredentials("[default]\napi_key = " + clitest.RevokedKey + "\n")
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("revoked") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

func TestInsecureRefusedAndAllowed(t *testing.T) {
	_, e := loggedIn(t)
	e.Vars["RGRID_API_URL"] = "http://rgrid.example.invalid:1"
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("Refusing to send your API key") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	e.Vars["RGRID_ALLOW_INSECURE_HTTP"] = "1"
	r = e.Run("whoami")
	if r.Code != 1 || r.ErrHas("Refusing") || !r.ErrHas("could not reach") {
		t.Fatalf("opt-in ignored: exit %d: %s", r.Code, r.Stderr)
	}
}

func TestExtraArgument(t *testing.T) {
	_, e := loggedIn(t)
	if r := e.Run("whoami", "me"); r.Code != 2 {
		t.Fatalf("exit %d", r.Code)
	}
}

func writeConfig(t *testing.T, e *clitest.Env, data string) {
	t.Helper()
	if err := writeFile(e.ConfigDir()+"/config", data); err != nil {
		t.Fatal(err)
	}
}

// TestCredentialsReadableByOthers: like ssh, a warning (not a failure) when
// the credentials file is open to other users.
func TestCredentialsReadableByOthers(t *testing.T) {
	_, e := loggedIn(t)
	if err := os.Chmod(e.CredentialsPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.Run("whoami")
	if r.Code != 0 || !strings.Contains(r.Stdout, "dev@localhost") {
		t.Fatalf("exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if !r.ErrHas("~/.rgrid/credentials is accessible to other users (mode 0644): run `chmod 600 ~/.rgrid/credentials`") {
		t.Fatalf("no warning: %q", r.Stderr)
	}
	if err := os.Chmod(e.CredentialsPath(), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.Run("whoami"); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestConfigDirIsAFile(t *testing.T) {
	_, e := loggedIn(t)
	file := filepath.Join(t.TempDir(), "x")
	if err := writeFile(file, ""); err != nil {
		t.Fatal(err)
	}
	e.Vars["RGRID_CONFIG_DIR"] = file
	r := e.Run("whoami")
	if r.Code != 1 || !r.ErrHas("RGRID_CONFIG_DIR is "+file+", but that is a file, not a folder: point RGRID_CONFIG_DIR at a folder") ||
		r.ErrHas("not a directory") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}
