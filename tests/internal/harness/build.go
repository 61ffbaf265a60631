package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Binaries are the paths of the freshly built programs under test.
type Binaries struct {
	API string // rgrid-api
	CLI string // rgrid
}

// binary is one program built at most once per test binary.
type binary struct {
	pkg  string
	name string
	once sync.Once
	path string
	err  error
}

var (
	buildDirOnce sync.Once
	buildDir     string
	buildDirErr  error
	apiBinary    = &binary{pkg: "./api/cmd/rgrid-api", name: "rgrid-api"}
	cliBinary    = &binary{pkg: "./cli/cmd/rgrid", name: "rgrid"}
)

// RepoRoot returns the root of the repository: the nearest parent of the
// working directory that holds go.work.
func RepoRoot() (string, error) {
	if root := os.Getenv("RGRID_REPO_ROOT"); root != "" {
		return root, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.work above the working directory")
		}
		dir = parent
	}
}

// APIBinary builds rgrid-api once per test binary and returns its path. A
// build failure fails the test: the suite never tests stale binaries.
func APIBinary(tb testing.TB) string {
	tb.Helper()
	return apiBinary.get(tb)
}

// CLIBinary builds rgrid once per test binary and returns its path.
func CLIBinary(tb testing.TB) string {
	tb.Helper()
	return cliBinary.get(tb)
}

// Build builds both programs and returns their paths.
func Build(tb testing.TB) Binaries {
	tb.Helper()
	return Binaries{API: APIBinary(tb), CLI: CLIBinary(tb)}
}

func (b *binary) get(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() { b.path, b.err = b.build() })
	if b.err != nil {
		tb.Fatalf("build %s: %v", b.name, b.err)
	}
	return b.path
}

func (b *binary) build() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	buildDirOnce.Do(func() { buildDir, buildDirErr = os.MkdirTemp("", "rgrid-bin-") })
	if buildDirErr != nil {
		return "", fmt.Errorf("make build dir: %w", buildDirErr)
	}
	out := filepath.Join(buildDir, b.name)
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", out, b.pkg) //nolint:gosec // fixed arguments
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", b.pkg, err, msg)
	}
	return out, nil
}

// Main runs the tests of a package and removes the built binaries after.
// Use it from TestMain: func TestMain(m *testing.M) { harness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Cleanup removes the built binaries; for programs that do not use Main.
func Cleanup() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}
