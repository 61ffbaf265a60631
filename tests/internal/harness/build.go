package harness

import (
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

var (
	buildOnce sync.Once
	buildDir  string
	builtBins Binaries
	buildErr  error
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

// Build compiles rgrid-api and rgrid once per test binary and returns their
// paths. A build failure fails the test: the suite never tests stale binaries.
func Build(tb testing.TB) Binaries {
	tb.Helper()
	buildOnce.Do(func() { builtBins, buildErr = build() })
	if buildErr != nil {
		tb.Fatalf("build binaries: %v", buildErr)
	}
	return builtBins
}

// BuildBinaries is Build for programs that are not tests (the benchmark).
func BuildBinaries() (Binaries, error) {
	buildOnce.Do(func() { builtBins, buildErr = build() })
	return builtBins, buildErr
}

func build() (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	dir, err := os.MkdirTemp("", "rgrid-bin-")
	if err != nil {
		return Binaries{}, fmt.Errorf("make build dir: %w", err)
	}
	buildDir = dir
	bins := Binaries{API: filepath.Join(dir, "rgrid-api"), CLI: filepath.Join(dir, "rgrid")}
	for _, b := range []struct{ out, pkg string }{
		{bins.API, "./api/cmd/rgrid-api"},
		{bins.CLI, "./cli/cmd/rgrid"},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg) //nolint:gosec // fixed arguments
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return bins, nil
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
