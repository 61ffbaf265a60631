package credentials

import (
	"errors"
	"strings"
	"testing"
)

const key1 = "sk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
const key2 = "sk_live_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

func TestParseTolerates(t *testing.T) {
	tests := []struct {
		name, data string
		section    string
		want       string
	}{
		{"plain", "[default]\napi_key = " + key1 + "\n", "default", key1},
		{"utf-8 BOM", bom + "[default]\napi_key = " + key1 + "\n", "default", key1},
		{"CRLF", "[default]\r\napi_key = " + key1 + "\r\n", "default", key1},
		{"no spaces around =", "[default]\napi_key=" + key1 + "\n", "default", key1},
		{"many spaces and tabs", "  [ default ]  \n\t api_key \t=\t " + key1 + "  \n", "default", key1},
		{"colon delimiter", "[default]\napi_key: " + key1 + "\n", "default", key1},
		{"upper-case key", "[default]\nAPI_KEY = " + key1 + "\n", "default", key1},
		{"unknown keys and comments", "# mine\n; also mine\n[default]\nregion = eu\napi_key = " + key1 + "\nfoo = bar\n", "default", key1},
		{"no final newline", "[default]\napi_key = " + key1, "default", key1},
		{"duplicate key: last wins", "[default]\napi_key = " + key2 + "\napi_key = " + key1 + "\n", "default", key1},
		{"second profile", "[default]\napi_key = " + key2 + "\n\n[prod]\napi_key = " + key1 + "\n", "prod", key1},
		{"garbage lines kept apart", "[default]\nthis is not ini\napi_key = " + key1 + "\n=novalue\n", "default", key1},
		{"value with = inside", "[default]\napi_url = http://h/?a=b\n", "default", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Parse([]byte(tt.data))
			got, ok := f.Get(tt.section, "api_key")
			if tt.want == "" {
				if ok {
					t.Fatalf("found api_key %q", got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("Get = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	f := Parse([]byte("[default]\napi_url = http://h/?a=b\n"))
	if v, _ := f.Get("default", "api_url"); v != "http://h/?a=b" {
		t.Fatalf("api_url = %q", v)
	}
	if _, ok := Parse([]byte("api_key = "+key1+"\n")).Get("default", "api_key"); ok {
		t.Fatal("a key before any section belongs to no profile")
	}
}

func TestSetWithoutFinalNewlineAddsSecondProfileCleanly(t *testing.T) {
	f := Parse([]byte("[default]\napi_key = " + key1)) // no final newline
	if err := f.Set("prod", "api_key", key2); err != nil {
		t.Fatal(err)
	}
	want := "[default]\napi_key = " + key1 + "\n\n[prod]\napi_key = " + key2 + "\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	back := Parse(f.Bytes())
	if v, _ := back.Get("default", "api_key"); v != key1 {
		t.Fatalf("first profile corrupted: %q", v)
	}
}

func TestSetPreservesEverythingElse(t *testing.T) {
	in := bom + "# RGrid credentials\r\n[default]\r\n; my laptop key\r\nregion = eu\r\nAPI_KEY=" + key1 + "\r\n\r\n[prod]\r\napi_key = " + key2 + "\r\n"
	f := Parse([]byte(in))
	if err := f.Set("default", "api_key", key2); err != nil {
		t.Fatal(err)
	}
	want := "# RGrid credentials\r\n[default]\r\n; my laptop key\r\nregion = eu\r\napi_key = " + key2 + "\r\n\r\n[prod]\r\napi_key = " + key2 + "\r\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestSetInsertsIntoExistingSection(t *testing.T) {
	f := Parse([]byte("[default]\nregion = eu\n# trailing comment\n\n[prod]\nx = y\n"))
	if err := f.Set("default", "api_key", key1); err != nil {
		t.Fatal(err)
	}
	want := "[default]\nregion = eu\napi_key = " + key1 + "\n# trailing comment\n\n[prod]\nx = y\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got %q", got)
	}
	f = Parse([]byte("[empty]\n[next]\n"))
	if err := f.Set("empty", "api_key", key1); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != "[empty]\napi_key = "+key1+"\n[next]\n" {
		t.Fatalf("got %q", got)
	}
}

func TestSetRemovesDuplicates(t *testing.T) {
	f := Parse([]byte("[default]\napi_key = a\n[default]\napi_key = b\n"))
	if err := f.Set("default", "api_key", key1); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != "[default]\napi_key = "+key1+"\n[default]\n" {
		t.Fatalf("got %q", got)
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, section, key, value string
		wantProfileErr            bool
	}{
		{"value with newline", "default", "api_key", key1 + "\n[evil]", false},
		{"value with CR", "default", "api_key", "a\rb", false},
		{"value with NUL", "default", "api_key", "a\x00b", false},
		{"value with unicode line separator", "default", "api_key", "a\u2028b", false},
		{"value with surrounding space", "default", "api_key", " a", false},
		{"profile with ]", "a]b", "api_key", key1, true},
		{"profile with [", "a[b", "api_key", key1, true},
		{"profile with newline", "a\nb", "api_key", key1, true},
		{"empty profile", "", "api_key", key1, true},
		{"DEFAULT profile", "DEFAULT", "api_key", key1, true},
		{"profile with space", "my profile", "api_key", key1, true},
		{"too long profile", strings.Repeat("p", 65), "api_key", key1, true},
		{"bad key name", "default", "a=b", key1, false},
		{"empty key name", "default", "", key1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Parse([]byte("[default]\napi_key = " + key2 + "\n"))
			before := string(f.Bytes())
			err := f.Set(tt.section, tt.key, tt.value)
			if err == nil {
				t.Fatal("Set accepted bad input")
			}
			if errors.Is(err, ErrBadProfileName) != tt.wantProfileErr {
				t.Fatalf("err = %v", err)
			}
			if string(f.Bytes()) != before {
				t.Fatal("a refused Set changed the file")
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error message spans lines: %q", err)
			}
		})
	}
}

func TestValidateProfileNameAccepts(t *testing.T) {
	for _, n := range []string{"default", "prod", "staging-eu.1", "A_b", strings.Repeat("p", 64), "default2"} {
		if err := ValidateProfileName(n); err != nil {
			t.Errorf("%q refused: %v", n, err)
		}
	}
}

func TestDelete(t *testing.T) {
	t.Run("keeps other profiles and comments", func(t *testing.T) {
		f := Parse([]byte("# top\n[default]\napi_key = " + key1 + "\n\n[prod]\n# prod key\napi_key = " + key2 + "\n"))
		if !f.Delete("prod", "api_key") {
			t.Fatal("nothing deleted")
		}
		want := "# top\n[default]\napi_key = " + key1 + "\n\n[prod]\n# prod key\n"
		if got := string(f.Bytes()); got != want {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("drops a section left empty", func(t *testing.T) {
		f := Parse([]byte("[default]\napi_key = " + key1 + "\n\n[prod]\napi_key = " + key2 + "\n"))
		f.Delete("default", "api_key")
		if got := string(f.Bytes()); got != "[prod]\napi_key = "+key2+"\n" {
			t.Fatalf("got %q", got)
		}
		if got := f.Sections(); len(got) != 1 || got[0] != "prod" {
			t.Fatalf("sections %v", got)
		}
	})
	t.Run("keeps a section with other keys", func(t *testing.T) {
		f := Parse([]byte("[default]\napi_key = " + key1 + "\nregion = eu\n"))
		f.Delete("default", "api_key")
		if got := string(f.Bytes()); got != "[default]\nregion = eu\n" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("nothing to delete", func(t *testing.T) {
		f := Parse([]byte("[default]\nregion = eu\n"))
		if f.Delete("default", "api_key") || f.Delete("nope", "api_key") {
			t.Fatal("reported a deletion")
		}
	})
}

func TestSections(t *testing.T) {
	f := Parse([]byte("[a]\n[b]\n[a]\n"))
	if got := strings.Join(f.Sections(), ","); got != "a,b" {
		t.Fatalf("Sections = %s", got)
	}
	if len(Parse(nil).Sections()) != 0 || len(Parse(nil).Bytes()) != 0 {
		t.Fatal("empty file not empty")
	}
}

// FuzzParseCredentials feeds arbitrary bytes to the reader and checks that it
// never panics, that writing what it read and reading that again gives the
// same values, and that setting a key in one profile never disturbs another.
func FuzzParseCredentials(f *testing.F) {
	seeds := []string{
		"",
		"[default]\napi_key = " + key1 + "\n",
		bom + "[default]\r\napi_key=" + key1 + "\r\n",
		"[default]\napi_key = " + key1,
		"# c\n; c\n[a]\nx: y\n[b]\n=\n[\n]\n[]\n",
		"api_key = orphan\n[default]\n  api_key   =   " + key2 + "  \n[default]\napi_key = dup\n",
		"\r\n\r\n[x]\r\n\xff\xfe\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Parse(data)
		out := file.Bytes()
		if strings.HasPrefix(string(out), bom) && !strings.HasPrefix(string(data), bom+bom) {
			t.Fatalf("BOM written back")
		}
		again := Parse(out)
		for _, s := range file.Sections() {
			for _, k := range []string{"api_key", "api_url"} {
				v1, ok1 := file.Get(s, k)
				v2, ok2 := again.Get(s, k)
				if v1 != v2 || ok1 != ok2 {
					t.Fatalf("round trip changed [%s] %s: %q -> %q", s, k, v1, v2)
				}
			}
		}
		before := map[string]string{}
		for _, s := range file.Sections() {
			before[s], _ = file.Get(s, "api_key")
		}
		if err := again.Set("fuzzprofile", "api_key", key1); err != nil {
			t.Fatal(err)
		}
		final := Parse(again.Bytes())
		if v, _ := final.Get("fuzzprofile", "api_key"); v != key1 {
			t.Fatalf("set value reads back as %q from %q", v, again.Bytes())
		}
		for s, v := range before {
			if s == "fuzzprofile" {
				continue
			}
			if got, _ := final.Get(s, "api_key"); got != v {
				t.Fatalf("profile %q changed from %q to %q", s, v, got)
			}
		}
	})
}
