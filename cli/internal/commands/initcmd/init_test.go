package initcmd_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rgrid/rgrid/cli/internal/clitest"
	"github.com/rgrid/rgrid/cli/internal/commands/initcmd"
)

const good = clitest.GoodKey

func assertNothingWritten(t *testing.T, e *clitest.Env) {
	t.Helper()
	if _, err := os.Stat(e.ConfigDir()); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(e.ConfigDir())
		if len(entries) > 0 {
			t.Fatalf("files were written: %v", entries)
		}
	}
}

func oneSentence(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "Error: ") {
		t.Fatalf("last line of stderr is not an error sentence: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(last), strings.ToLower(w)) {
			t.Errorf("error %q lacks %q", last, w)
		}
	}
}

func TestInteractiveSuccess(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	e.TTY = true
	e.Prompter.Secrets = []string{"  " + good + " \n"} // pasted with spaces and a newline
	r := e.Run("init")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if len(e.Prompter.Asked) != 1 || e.Prompter.Asked[0] != initcmd.KeyPrompt {
		t.Fatalf("asked %q", e.Prompter.Asked)
	}
	if !strings.Contains(r.Stderr, "✓ Authenticated as dev@localhost (profile default). You're ready to run scripts.") {
		t.Fatalf("stderr %q", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "Checking the key with "+api.URL+"…\n✓ Authenticated") {
		t.Fatalf("no progress line before the check: stderr %q", r.Stderr)
	}
	if r.Stdout != "" {
		t.Fatalf("stdout %q: messages belong on stderr", r.Stdout)
	}
	if got := e.ReadFile("credentials"); got != "[default]\napi_key = "+good+"\n" {
		t.Fatalf("credentials %q", got)
	}
	for path, mode := range map[string]os.FileMode{e.ConfigDir(): 0o700, e.CredentialsPath(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s mode %v (%v)", path, fi.Mode().Perm(), err)
		}
	}
	if e.ReadFile("config") != "" {
		t.Fatal("config written without --api-url")
	}
	pythonReads(t, e.CredentialsPath(), "default", good)
}

func TestAPIKeyStdin(t *testing.T) {
	for name, in := range map[string]string{
		"trailing newline":  good + "\n",
		"CRLF":              good + "\r\n",
		"surrounding space": "  \t" + good + "  \n\n",
	} {
		t.Run(name, func(t *testing.T) {
			api := clitest.NewAPI(t)
			e := clitest.New(t, api)
			e.Stdin = in
			r := e.Run("init", "--api-key-stdin")
			if r.Code != 0 {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			if !strings.Contains(e.ReadFile("credentials"), "api_key = "+good+"\n") {
				t.Fatalf("credentials %q", e.ReadFile("credentials"))
			}
		})
	}
	t.Run("too much input", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		e.Stdin = strings.Repeat("x", 5000)
		r := e.Run("init", "--api-key-stdin")
		if r.Code != 1 {
			t.Fatalf("exit %d", r.Code)
		}
		oneSentence(t, r.Stderr, "only the key")
	})
}

func TestNoTerminalWithoutStdinFlag(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	r := e.Run("init")
	if r.Code != 2 {
		t.Fatalf("exit %d", r.Code)
	}
	oneSentence(t, r.Stderr, "no terminal", "--api-key-stdin")
	if api.Count() != 0 {
		t.Fatal("a request was sent")
	}
	assertNothingWritten(t, e)
}

func TestRejectedKeys(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		requests int
		want     []string
	}{
		{"bad format: wrong prefix", "pk_live_" + strings.Repeat("a", 32), 0, []string{"not an RGrid API key", "https://app.rgrid.dev/settings/api-keys"}},
		{"bad format: truncated", good[:20], 0, []string{"wrong length", "https://app.rgrid.dev/settings/api-keys"}},
		{"bad format: empty", "   \n", 0, []string{"the API key is empty (nothing was entered)", "https://app.rgrid.dev/settings/api-keys"}},
		{"bad format: space inside", good[:20] + " " + good[21:], 0, []string{"letters and digits"}},
		{"bad format: space added inside", good[:20] + " " + good[20:], 0, []string{"letters and digits"}},
		{"bad format: ctrl-d that reached the input as a character", "\x04\n", 0, []string{"the API key is empty"}},
		// The fake API listens on 127.0.0.1, like `rgrid-api dev`: the
		// sentence also says how to get a key from a local dev server.
		{"invalid key", "sk_live_" + strings.Repeat("Z", 32), 1, []string{"not accepted", "https://app.rgrid.dev/settings/api-keys",
			"rgrid-api keys create --account", "--data-dir .rgrid-dev", "rgrid-api dev --new-key"}},
		{"revoked key", clitest.RevokedKey, 1, []string{"revoked", "https://app.rgrid.dev/settings/api-keys", "rgrid-api dev --new-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := clitest.NewAPI(t)
			e := clitest.New(t, api)
			e.TTY = true
			e.Prompter.Secrets = []string{tt.key}
			r := e.Run("init")
			if r.Code != 1 {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			oneSentence(t, r.Stderr, tt.want...)
			if api.Count() != tt.requests {
				t.Fatalf("%d requests, want %d", api.Count(), tt.requests)
			}
			assertNothingWritten(t, e)
		})
	}
}

func TestOverwrite(t *testing.T) {
	existing := "# my keys\n[default]\napi_key = " + clitest.OtherKey + "\n"
	t.Run("non-interactive refuses without --force", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		e.WriteCredentials(existing)
		e.Stdin = good
		r := e.Run("init", "--api-key-stdin")
		if r.Code != 1 {
			t.Fatalf("exit %d", r.Code)
		}
		oneSentence(t, r.Stderr, "already has an API key", "--force")
		if e.ReadFile("credentials") != existing {
			t.Fatal("file changed")
		}
	})
	t.Run("answer no keeps the key", func(t *testing.T) {
		api := clitest.NewAPI(t)
		e := clitest.New(t, api)
		e.WriteCredentials(existing)
		e.TTY = true
		e.Prompter.Confirms = []bool{false}
		r := e.Run("init")
		if r.Code != 0 || !strings.Contains(r.Stderr, "Kept the existing API key") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if len(e.Prompter.Asked) != 1 || !strings.Contains(e.Prompter.Asked[0], "Overwrite?") || !strings.Contains(e.Prompter.Asked[0], "sk_live_…WxYz") {
			t.Fatalf("asked %q", e.Prompter.Asked)
		}
		if e.ReadFile("credentials") != existing || api.Count() != 0 {
			t.Fatal("file changed or request sent")
		}
	})
	t.Run("answer yes replaces only the key", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		e.WriteCredentials(existing)
		e.TTY = true
		e.Prompter.Confirms = []bool{true}
		e.Prompter.Secrets = []string{good}
		if r := e.Run("init"); r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if got := e.ReadFile("credentials"); got != "# my keys\n[default]\napi_key = "+good+"\n" {
			t.Fatalf("credentials %q", got)
		}
	})
	t.Run("--force skips the question", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		e.WriteCredentials(existing)
		e.Stdin = good + "\n"
		if r := e.Run("init", "--api-key-stdin", "--force"); r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if !strings.Contains(e.ReadFile("credentials"), good) {
			t.Fatal("not replaced")
		}
	})
}

func TestCtrlC(t *testing.T) {
	t.Run("at the key prompt", func(t *testing.T) {
		api := clitest.NewAPI(t)
		e := clitest.New(t, api)
		e.TTY = true
		e.Prompter.CancelAt = 1
		r := e.Run("init")
		if r.Code != 130 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "Cancelled") || api.Count() != 0 {
			t.Fatalf("stderr %q, %d requests", r.Stderr, api.Count())
		}
		assertNothingWritten(t, e)
	})
	t.Run("at the overwrite prompt", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		old := "[default]\napi_key = " + clitest.OtherKey + "\n"
		e.WriteCredentials(old)
		e.TTY = true
		e.Prompter.CancelAt = 1
		if r := e.Run("init"); r.Code != 130 {
			t.Fatalf("exit %d", r.Code)
		}
		if e.ReadFile("credentials") != old {
			t.Fatal("file changed")
		}
	})
	t.Run("while reading stdin", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		ctx, cancel := contextCancelledSoon()
		defer cancel()
		e.Ctx = ctx
		// Stdin is an empty buffer here, so use a pipe that never closes.
		pr, pw, _ := os.Pipe()
		defer func() { _ = pw.Close(); _ = pr.Close() }()
		r := runWithStdin(e, pr, "init", "--api-key-stdin")
		if r.Code != 130 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})
}

func TestProfilesAndConfig(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	// A hand-edited file: BOM, CRLF, spaces around =, unknown key, no final newline.
	e.WriteCredentials("\xef\xbb\xbf[default]\r\n  api_key   =   " + clitest.OtherKey + "  \r\nregion = eu")
	e.Stdin = good
	r := e.Run("init", "--profile", "prod", "--api-url", api.URL+"/", "--api-key-stdin")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "(profile prod)") || !strings.Contains(r.Stderr, "--profile prod") {
		t.Fatalf("stderr %q", r.Stderr)
	}
	want := "[default]\r\n  api_key   =   " + clitest.OtherKey + "  \r\nregion = eu\r\n\r\n[prod]\r\napi_key = " + good + "\r\n"
	if got := e.ReadFile("credentials"); got != want {
		t.Fatalf("credentials %q\nwant %q", got, want)
	}
	if got := e.ReadFile("config"); got != "[prod]\napi_url = "+api.URL+"\n" {
		t.Fatalf("config %q", got)
	}
	pythonReads(t, e.CredentialsPath(), "default", clitest.OtherKey)
	pythonReads(t, e.CredentialsPath(), "prod", good)

	// The saved api_url is used by later commands of that profile.
	delete(e.Vars, "RGRID_API_URL")
	r = e.Run("whoami", "--profile", "prod")
	if r.Code != 0 || !strings.Contains(r.Stdout, api.URL) || !strings.Contains(r.Stdout, "dev@localhost") {
		t.Fatalf("whoami exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestBadProfileNames(t *testing.T) {
	for _, p := range []string{"a]b", "[x", "a\nb", "a\rb", "", "my profile", "DEFAULT"} {
		t.Run(p, func(t *testing.T) {
			api := clitest.NewAPI(t)
			e := clitest.New(t, api)
			e.TTY = true
			e.Prompter.Secrets = []string{good}
			r := e.Run("init", "--profile", p)
			if r.Code != 2 {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			oneSentence(t, r.Stderr, "profile name")
			if len(e.Prompter.Asked) != 0 || api.Count() != 0 {
				t.Fatal("asked for a key or called the API")
			}
			if strings.Count(r.Stderr, "\n") != 1 {
				t.Fatalf("the message spans lines: %q", r.Stderr)
			}
			assertNothingWritten(t, e)
		})
	}
	t.Run("from RGRID_PROFILE", func(t *testing.T) {
		e := clitest.New(t, clitest.NewAPI(t))
		e.Vars["RGRID_PROFILE"] = "x]y"
		e.Stdin = good
		r := e.Run("init", "--api-key-stdin")
		if r.Code != 2 || !strings.Contains(r.Stderr, "env RGRID_PROFILE") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})
}

func TestWarnsWhenEnvKeySet(t *testing.T) {
	e := clitest.New(t, clitest.NewAPI(t))
	e.Vars["RGRID_API_KEY"] = clitest.OtherKey
	e.Stdin = good
	r := e.Run("init", "--api-key-stdin")
	if r.Code != 0 || !strings.Contains(r.Stderr, "RGRID_API_KEY is set") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

// TestFailsBeforePrompt: every problem that does not depend on the key is
// reported before the user is asked to type it.
func TestFailsBeforePrompt(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *clitest.Env) []string
		code  int
		want  string
	}{
		{"credentials path is a folder", func(t *testing.T, e *clitest.Env) []string {
			if err := os.MkdirAll(e.CredentialsPath(), 0o700); err != nil {
				t.Fatal(err)
			}
			return nil
		}, 1, "is a folder"},
		{"config path is a folder with --api-url", func(t *testing.T, e *clitest.Env) []string {
			if err := os.MkdirAll(filepath.Join(e.ConfigDir(), "config"), 0o700); err != nil {
				t.Fatal(err)
			}
			return []string{"--api-url", e.Vars["RGRID_API_URL"]}
		}, 1, "is a folder"},
		{"folder not writable", func(t *testing.T, e *clitest.Env) []string {
			e.Vars["RGRID_CONFIG_DIR"] = unwritableDir(t)
			return nil
		}, 1, "cannot write to the folder"},
		{"parent folder not writable", func(t *testing.T, e *clitest.Env) []string {
			e.Vars["RGRID_CONFIG_DIR"] = filepath.Join(unwritableDir(t), "rgrid-test")
			return nil
		}, 1, "is not writable"},
		{"RGRID_CONFIG_DIR is a file", func(t *testing.T, e *clitest.Env) []string {
			p := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			e.Vars["RGRID_CONFIG_DIR"] = p
			return nil
		}, 1, "but that is a file, not a folder: point RGRID_CONFIG_DIR at a folder"},
		{"HOME unset", func(_ *testing.T, e *clitest.Env) []string {
			delete(e.Vars, "HOME")
			return nil
		}, 1, "HOME is not set"},
		{"plain http to another host", func(_ *testing.T, _ *clitest.Env) []string {
			return []string{"--api-url", "http://api.example.com"}
		}, 1, "refusing to send your API key over plain http://"},
		{"bad API URL flag", func(_ *testing.T, _ *clitest.Env) []string {
			return []string{"--api-url", "localhost:8000"}
		}, 2, "is not usable"},
		{"bad API URL in env", func(_ *testing.T, e *clitest.Env) []string {
			e.Vars["RGRID_API_URL"] = "ftp://x"
			return nil
		}, 2, "env RGRID_API_URL"},
		{"extra argument", func(_ *testing.T, _ *clitest.Env) []string {
			return []string{"sk_live_oops"}
		}, 2, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := clitest.NewAPI(t)
			e := clitest.New(t, api)
			e.TTY = true
			e.Prompter.Secrets = []string{good}
			args := append([]string{"init"}, tt.setup(t, e)...)
			r := e.Run(args...)
			if r.Code != tt.code {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			oneSentence(t, r.Stderr, tt.want)
			if len(e.Prompter.Asked) != 0 || api.Count() != 0 {
				t.Fatalf("asked %q, %d requests", e.Prompter.Asked, api.Count())
			}
		})
	}
}

func TestServerFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"502 HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><h1>502 Bad Gateway</h1></html>"))
		}, "answered 502 Bad Gateway (not an RGrid API?)"},
		{"200 malformed JSON", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"account_id": "acct_1",`))
		}, "not with JSON the CLI can read"},
		{"503 with Retry-After", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error_code":"service_unavailable","message":"database unavailable","details":null}`))
		}, "temporarily unavailable"},
		{"timeout", func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, "did not answer in time (200ms)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := clitest.NewAPI(t)
			api.Handler = tt.handler
			e := clitest.New(t, api)
			e.Timeout = 200 * time.Millisecond
			e.Stdin = good
			r := e.Run("init", "--api-key-stdin")
			if r.Code != 1 {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			oneSentence(t, r.Stderr, tt.want)
			assertNothingWritten(t, e)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String()
		_ = l.Close()
		e := clitest.New(t, nil)
		e.Vars["RGRID_API_URL"] = url
		e.Stdin = good
		r := e.Run("init", "--api-key-stdin")
		if r.Code != 1 {
			t.Fatalf("exit %d", r.Code)
		}
		oneSentence(t, r.Stderr, "could not reach the RGrid API at "+url+": is it running?")
		assertNothingWritten(t, e)
	})
}

func TestJSON(t *testing.T) {
	api := clitest.NewAPI(t)
	e := clitest.New(t, api)
	e.Stdin = good
	r := e.Run("init", "--api-key-stdin", "--json")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", r.Stdout, err)
	}
	for _, k := range []string{"account_id", "email", "credits_balance_micros", "profile", "api_url", "key_hint", "credentials_file"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, r.Stdout)
		}
	}
	if got["email"] != "dev@localhost" || got["key_hint"] != "sk_live_…AbCd" {
		t.Fatalf("JSON %s", r.Stdout)
	}
}

func pythonReads(t *testing.T, path, section, want string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed to check configparser compatibility")
		}
		t.Skip("python3 not found")
	}
	//nolint:gosec // test: python3 from PATH with a fixed script
	out, err := exec.Command(py, "-c", `import configparser, sys
c = configparser.ConfigParser()
c.read(sys.argv[1], encoding="utf-8")
print(c.get(sys.argv[2], "api_key"))`, path, section).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Fatalf("configparser: %v\n%s", err, out)
	}
}
