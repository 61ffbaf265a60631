package credentials

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	return &Store{Dir: filepath.Join(t.TempDir(), ".rgrid")}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // test file
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".rgrid-probe") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestDefaultDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	d, err := DefaultDir(env(map[string]string{"HOME": "/home/u"}))
	if err != nil || d != "/home/u/.rgrid" {
		t.Fatalf("DefaultDir = %q, %v", d, err)
	}
	d, err = DefaultDir(env(map[string]string{"HOME": "/home/u", "RGRID_CONFIG_DIR": "/etc/rg"}))
	if err != nil || d != "/etc/rg" {
		t.Fatalf("DefaultDir = %q, %v", d, err)
	}
	d, err = DefaultDir(env(map[string]string{"RGRID_CONFIG_DIR": "rel"}))
	if err != nil || !filepath.IsAbs(d) {
		t.Fatalf("relative RGRID_CONFIG_DIR gave %q, %v", d, err)
	}
	_, err = DefaultDir(env(nil))
	if err == nil || !strings.Contains(err.Error(), "HOME is not set") {
		t.Fatalf("HOME unset: err = %v", err)
	}

	// A file where the folder should be: the message names the variable
	// (or ~/.rgrid) and what to do, not "not a directory" from deep inside.
	tmp := t.TempDir()
	file := filepath.Join(tmp, "x")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{
		{file, "RGRID_CONFIG_DIR is " + file + ", but that is a file, not a folder: point RGRID_CONFIG_DIR at a folder"},
		{filepath.Join(file, "sub"), "but part of that path is a file, not a folder: point RGRID_CONFIG_DIR"},
	} {
		if _, err := DefaultDir(env(map[string]string{"RGRID_CONFIG_DIR": tt.dir})); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("RGRID_CONFIG_DIR=%s: err = %v, want %q", tt.dir, err, tt.want)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".rgrid"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := DefaultDir(env(map[string]string{"HOME": tmp})); err == nil ||
		!strings.Contains(err.Error(), "that is a file, not a folder: move it out of the way, or set RGRID_CONFIG_DIR") {
		t.Fatalf("~/.rgrid is a file: err = %v", err)
	}
}

func TestLoosePermissions(t *testing.T) {
	s := newStore(t)
	if _, loose := s.LoosePermissions(CredentialsFile); loose {
		t.Fatal("a missing file has no permissions to complain about")
	}
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("default", KeyAPIKey, key1) }); err != nil {
		t.Fatal(err)
	}
	if mode, loose := s.LoosePermissions(CredentialsFile); loose {
		t.Fatalf("a saved file is %v, reported loose", mode)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(s.Path(CredentialsFile), mode); err != nil {
			t.Fatal(err)
		}
		if got, loose := s.LoosePermissions(CredentialsFile); !loose || got != mode {
			t.Fatalf("mode %v: got %v, %v", mode, got, loose)
		}
	}
}

func TestSaveCreatesFolderAndFileWithModes(t *testing.T) {
	s := newStore(t)
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("default", KeyAPIKey, key1) }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode %v, %v", fi.Mode().Perm(), err)
	}
	fi, err = os.Stat(s.Path(CredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v", fi.Mode().Perm(), err)
	}
	if got := readFile(t, s.Path(CredentialsFile)); got != "[default]\napi_key = "+key1+"\n" {
		t.Fatalf("file = %q", got)
	}
	v, ok, err := s.Get(CredentialsFile, "default", KeyAPIKey)
	if err != nil || !ok || v != key1 {
		t.Fatalf("Get = %q %v %v", v, ok, err)
	}
	assertNoTemps(t, s.Dir)
}

func TestSaveTightensModes(t *testing.T) {
	s := newStore(t)
	writeFile(t, s.Path(CredentialsFile), "[default]\n")
	if err := os.Chmod(s.Dir, 0o755); err != nil { //nolint:gosec // widened on purpose
		t.Fatal(err)
	}
	if err := os.Chmod(s.Path(CredentialsFile), 0o644); err != nil { //nolint:gosec // widened on purpose
		t.Fatal(err)
	}
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("default", KeyAPIKey, key1) }); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{s.Dir: 0o700, s.Path(CredentialsFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s mode %o, want %o (%v)", path, fi.Mode().Perm(), want, err)
		}
	}
}

// TestSecondProfileAfterNoFinalNewline is the case end to end,
// through the file system.
func TestSecondProfileAfterNoFinalNewline(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"no final newline", "[default]\napi_key = " + key1},
		{"BOM and CRLF", bom + "[default]\r\napi_key=" + key1},
		{"spaces and unknown keys", "# keep me\n[default]\n  api_key   =   " + key1 + "  \ncolor = blue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			writeFile(t, s.Path(CredentialsFile), tc.data)
			if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("prod", KeyAPIKey, key2) }); err != nil {
				t.Fatal(err)
			}
			f, err := s.Load(CredentialsFile)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := f.Get("default", KeyAPIKey); v != key1 {
				t.Fatalf("default profile now %q; file:\n%s", v, readFile(t, s.Path(CredentialsFile)))
			}
			if v, _ := f.Get("prod", KeyAPIKey); v != key2 {
				t.Fatalf("prod profile %q", v)
			}
			got := readFile(t, s.Path(CredentialsFile))
			if strings.HasPrefix(got, bom) {
				t.Fatal("BOM written back: configparser would not read the file")
			}
			if strings.Contains(tc.data, "keep me") && !strings.Contains(got, "# keep me") || strings.Contains(tc.data, "color") && !strings.Contains(got, "color = blue") {
				t.Fatalf("lost a comment or an unknown key:\n%s", got)
			}
			pythonReads(t, s.Path(CredentialsFile), map[string]string{"default": key1, "prod": key2})
		})
	}
}

// pythonReads checks that Python's configparser reads the file and finds
// the given api_key per section. Without python3 the test is skipped, except
// under CI=true where that is a failure.
func pythonReads(t *testing.T, path string, want map[string]string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed to check configparser compatibility")
		}
		t.Skip("python3 not found")
	}
	script := `import configparser, sys
c = configparser.ConfigParser()
c.read(sys.argv[1], encoding="utf-8")
for s in c.sections():
    print(s + "=" + c.get(s, "api_key", fallback=""))`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput() //nolint:gosec // test
	if err != nil {
		t.Fatalf("configparser failed: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			got[k] = v
		}
	}
	for s, k := range want {
		if got[s] != k {
			t.Fatalf("configparser read [%s] api_key = %q, want %q (all: %v)", s, got[s], k, got)
		}
	}
}

func TestWrittenFormatIsPlainINI(t *testing.T) {
	s := newStore(t)
	for _, p := range []string{"default", "prod"} {
		if err := s.Update(CredentialsFile, func(f *File) error { return f.Set(p, KeyAPIKey, key1) }); err != nil {
			t.Fatal(err)
		}
	}
	want := "[default]\napi_key = " + key1 + "\n\n[prod]\napi_key = " + key1 + "\n"
	if got := readFile(t, s.Path(CredentialsFile)); got != want {
		t.Fatalf("file %q", got)
	}
	pythonReads(t, s.Path(CredentialsFile), map[string]string{"default": key1, "prod": key1})
}

func TestPathIsAFolder(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.Path(CredentialsFile), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Load":          func() error { _, err := s.Load(CredentialsFile); return err }(),
		"Save":          s.Save(CredentialsFile, Parse(nil)),
		"CheckWritable": s.CheckWritable(CredentialsFile, ConfigFile),
	} {
		if err == nil || !strings.Contains(err.Error(), "is a folder") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// unwritableDir returns a folder that cannot be written to, even as root:
// as root, permission bits are ignored, so /sys (sysfs refuses new entries)
// stands in; otherwise a folder with mode 0500.
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := syscall.Access("/sys", 0); err != nil {
			t.Skip("/sys not available")
		}
		return "/sys"
	}
	d := t.TempDir()
	if err := os.Chmod(d, 0o500); err != nil { //nolint:gosec // test
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(d, 0o700) }) //nolint:gosec // test cleanup
	return d
}

func TestCheckWritable(t *testing.T) {
	t.Run("new folder under a writable parent", func(t *testing.T) {
		s := newStore(t)
		if err := s.CheckWritable(CredentialsFile); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("the check created the folder")
		}
		assertNoTemps(t, filepath.Dir(s.Dir))
	})
	t.Run("existing folder", func(t *testing.T) {
		s := &Store{Dir: t.TempDir()}
		if err := s.CheckWritable(CredentialsFile); err != nil {
			t.Fatal(err)
		}
		assertNoTemps(t, s.Dir)
	})
	t.Run("folder not writable", func(t *testing.T) {
		s := &Store{Dir: unwritableDir(t)}
		err := s.CheckWritable(CredentialsFile)
		if err == nil || !strings.Contains(err.Error(), "cannot write to the folder") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("parent not writable", func(t *testing.T) {
		s := &Store{Dir: filepath.Join(unwritableDir(t), "rgrid-test", ".rgrid")}
		err := s.CheckWritable(CredentialsFile)
		if err == nil || !strings.Contains(err.Error(), "is not writable") {
			t.Fatalf("err = %v", err)
		}
		if err := s.Save(CredentialsFile, Parse(nil)); err == nil {
			t.Fatal("Save succeeded in an unwritable folder")
		}
	})
	t.Run("a file where the folder should be", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "afile")
		writeFile(t, parent, "x")
		s := &Store{Dir: filepath.Join(parent, ".rgrid")}
		err := s.CheckWritable(CredentialsFile)
		if err == nil || !strings.Contains(err.Error(), "is a file, not a folder") {
			t.Fatalf("err = %v", err)
		}
		s = &Store{Dir: parent}
		if err := s.Save(CredentialsFile, Parse(nil)); err == nil || !strings.Contains(err.Error(), "should be a folder") {
			t.Fatalf("Save err = %v", err)
		}
	})
}

func TestLoadMissingIsEmpty(t *testing.T) {
	s := newStore(t)
	f, err := s.Load(CredentialsFile)
	if err != nil || len(f.Sections()) != 0 {
		t.Fatalf("Load = %v, %v", f, err)
	}
	_, ok, err := s.Get(ConfigFile, "default", KeyAPIURL)
	if ok || err != nil {
		t.Fatalf("Get = %v, %v", ok, err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	s := newStore(t)
	writeFile(t, s.Path(CredentialsFile), strings.Repeat("#", maxFileSize+1))
	if _, err := s.Load(CredentialsFile); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err = %v", err)
	}
}

func TestUpdateChangeErrorWritesNothing(t *testing.T) {
	s := newStore(t)
	boom := errors.New("boom")
	if err := s.Update(CredentialsFile, func(*File) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("something was written")
	}
}

func TestSaveFollowsSymlink(t *testing.T) {
	s := newStore(t)
	target := filepath.Join(t.TempDir(), "dotfiles-credentials")
	writeFile(t, target, "[default]\napi_key = "+key1+"\n")
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, s.Path(CredentialsFile)); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("prod", KeyAPIKey, key2) }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(s.Path(CredentialsFile)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symbolic link was replaced by a file")
	}
	if !strings.Contains(readFile(t, target), key2) {
		t.Fatal("the link's target was not updated")
	}
}

// TestFailureBeforeRenameKeepsOldFile injects a failure after the new
// content is written and synced but before it replaces the old file.
func TestFailureBeforeRenameKeepsOldFile(t *testing.T) {
	s := newStore(t)
	old := "# mine\n[default]\napi_key = " + key1 + "\n"
	writeFile(t, s.Path(CredentialsFile), old)
	var sawTemp string
	s.beforeRename = func(tmp string) error {
		sawTemp = tmp
		if got := readFile(t, tmp); !strings.Contains(got, key2) {
			t.Errorf("temporary file holds %q", got)
		}
		if fi, err := os.Stat(tmp); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("temporary file mode %v", fi.Mode().Perm())
		}
		return errors.New("disk on fire")
	}
	err := s.Update(CredentialsFile, func(f *File) error { return f.Set("default", KeyAPIKey, key2) })
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
	if sawTemp == "" || filepath.Dir(sawTemp) != s.Dir {
		t.Fatalf("temporary file %q not in the same folder", sawTemp)
	}
	if got := readFile(t, s.Path(CredentialsFile)); got != old {
		t.Fatalf("old file changed to %q", got)
	}
	assertNoTemps(t, s.Dir)
}

const helperEnv = "RGRID_CREDENTIALS_TEST_HELPER_DIR"

// TestHelperKilledWhileWriting is not a test: it is the child process of
// TestKilledWhileWriting, which SIGKILLs itself between writing the
// temporary file and renaming it.
func TestHelperKilledWhileWriting(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	s := &Store{Dir: dir, beforeRename: func(string) error {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(10 * time.Second)
		return nil
	}}
	_ = s.Update(CredentialsFile, func(f *File) error { return f.Set("default", KeyAPIKey, key2) })
	t.Fatal("not killed")
}

// TestKilledWhileWriting kills a real process in the middle of a write and
// checks that the old file is intact, that the leftover temporary file is
// ignored by readers, and that the next write removes it once it is stale.
func TestKilledWhileWriting(t *testing.T) {
	s := newStore(t)
	old := "[default]\napi_key = " + key1 + "\n\n[prod]\napi_key = " + key1 + "\n"
	writeFile(t, s.Path(CredentialsFile), old)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledWhileWriting$") //nolint:gosec // the test binary itself
	cmd.Env = append(os.Environ(), helperEnv+"="+s.Dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v\n%s", err, out)
	}
	if got := readFile(t, s.Path(CredentialsFile)); got != old {
		t.Fatalf("file after the crash = %q, want the old content", got)
	}
	temps, _ := filepath.Glob(filepath.Join(s.Dir, ".credentials-*.tmp"))
	if len(temps) != 1 {
		t.Fatalf("expected the crashed write's temporary file, found %v", temps)
	}
	if v, _, _ := s.Get(CredentialsFile, "default", KeyAPIKey); v != key1 {
		t.Fatalf("reader sees %q", v)
	}
	// A write soon after leaves a possibly in-progress temp alone; once it is
	// stale, the next write removes it.
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("x", KeyAPIKey, key2) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temps[0]); err != nil {
		t.Fatal("a fresh temporary file was removed")
	}
	past := time.Now().Add(-2 * staleTempAge)
	if err := os.Chtimes(temps[0], past, past); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(CredentialsFile, func(f *File) error { return f.Set("y", KeyAPIKey, key2) }); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, s.Dir)
}

func TestDisplayPath(t *testing.T) {
	tests := []struct{ path, home, want string }{
		{"/home/u/.rgrid/credentials", "/home/u", "~/.rgrid/credentials"},
		{"/etc/rgrid/credentials", "/home/u", "/etc/rgrid/credentials"},
		{"/home/uu/x", "/home/u", "/home/uu/x"},
		{"/x", "", "/x"},
		{"/x", "/", "/x"},
	}
	for _, tt := range tests {
		if got := DisplayPath(tt.path, tt.home); got != tt.want {
			t.Errorf("DisplayPath(%q, %q) = %q, want %q", tt.path, tt.home, got, tt.want)
		}
	}
}
