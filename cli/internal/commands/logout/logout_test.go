package logout_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/rgrid/rgrid/cli/internal/clitest"
)

func TestRemovesOnlyTheProfileKey(t *testing.T) {
	e := clitest.New(t, nil)
	e.WriteCredentials("# keep\n[default]\napi_key = " + clitest.GoodKey + "\n\n[prod]\n; prod\napi_key = " + clitest.OtherKey + "\n")
	r := e.Run("logout", "--profile", "prod")
	if r.Code != 0 || !r.ErrHas("Removed the API key of profile prod") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	want := "# keep\n[default]\napi_key = " + clitest.GoodKey + "\n\n[prod]\n; prod\n"
	if got := e.ReadFile("credentials"); got != want {
		t.Fatalf("credentials %q", got)
	}
	r = e.Run("logout")
	if r.Code != 0 || e.ReadFile("credentials") != "# keep\n[prod]\n; prod\n" {
		t.Fatalf("exit %d, file %q", r.Code, e.ReadFile("credentials"))
	}
}

func TestNothingToRemove(t *testing.T) {
	e := clitest.New(t, nil)
	r := e.Run("logout")
	if r.Code != 0 || !r.ErrHas("nothing to remove") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if e.ReadFile("credentials") != "" {
		t.Fatal("a file was created")
	}
}

func TestWarnsAboutEnvAndJSON(t *testing.T) {
	e := clitest.New(t, nil)
	e.WriteCredentials("[default]\napi_key = " + clitest.GoodKey + "\n")
	e.Vars["RGRID_API_KEY"] = clitest.GoodKey
	r := e.Run("logout", "--json")
	if r.Code != 0 || !r.ErrHas("RGRID_API_KEY is still set") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil || got["removed"] != true || got["profile"] != "default" {
		t.Fatalf("stdout %q (%v)", r.Stdout, err)
	}
}

func TestErrors(t *testing.T) {
	e := clitest.New(t, nil)
	if r := e.Run("logout", "extra"); r.Code != 2 {
		t.Fatalf("exit %d", r.Code)
	}
	if r := e.Run("logout", "--profile", "a]b"); r.Code != 2 {
		t.Fatalf("exit %d", r.Code)
	}
	if err := mkdirAll(e.CredentialsPath()); err != nil {
		t.Fatal(err)
	}
	if r := e.Run("logout"); r.Code != 1 || !r.ErrHas("is a folder") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

func mkdirAll(p string) error { return os.MkdirAll(p, 0o700) }
