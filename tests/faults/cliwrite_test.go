package faults

import (
	"bufio"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/tests/internal/harness"
)

// defaultKey reads [default] api_key from INI text the simple way; ok is
// false if the section or key is missing or appears twice.
func defaultKey(text string) (key string, ok bool) {
	section := ""
	found := 0
	sc := bufio.NewScanner(strings.NewReader(strings.TrimPrefix(text, "\ufeff")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
		case section == "default":
			name, value, isPair := strings.Cut(line, "=")
			if isPair && strings.TrimSpace(name) == "api_key" {
				key = strings.TrimSpace(value)
				found++
			}
		}
	}
	return key, found == 1
}

// TestCLIKilledMidWrite runs `rgrid init --force` again and again, switching
// between two valid keys, and kills it with SIGKILL at a random moment
// between its start and just past its usual end, which covers the moment it
// writes the file (leftover temporary files show kills that landed there). After every kill the
// credentials file must still parse and hold one of the two keys, with mode
// 600: writes are atomic, so a kill leaves the old file or the new one.
func TestCLIKilledMidWrite(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail())
	keys := [2]string{admin.CreateKey(t, acct.ID, "a").Key, admin.CreateKey(t, acct.ID, "b").Key}
	cli := harness.NewCLI(t, s.URL)

	// Warm both keys on the server (the first use costs a bcrypt), then
	// measure a whole run, to aim the kills.
	for _, k := range keys {
		status, _, _ := s.Validate(t, bearer(k))
		require.Equal(t, http.StatusOK, status)
	}
	var total time.Duration
	const warmRuns = 6
	for i := 0; i < warmRuns; i++ {
		start := time.Now()
		res := cli.Run(t, keys[i%2]+"\n", "init", "--api-key-stdin", "--force")
		total += time.Since(start)
		require.Equal(t, 0, res.Code, "stderr: %s", res.Stderr)
	}
	mean := total / warmRuns
	t.Logf("a whole rgrid init run takes %s on average", mean.Round(time.Microsecond))

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42)) //nolint:gosec // test timing, not crypto
	const iterations = 100
	finished := 0
	for i := 0; i < iterations; i++ {
		key := keys[i%2]
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := cli.Command(ctx, "init", "--api-key-stdin", "--force")
		cmd.Stdin = strings.NewReader(key + "\n")
		require.NoError(t, cmd.Start())
		// Anywhere from the start to a little past the usual end.
		delay := time.Duration(rng.Int64N(int64(mean*6/5) + 1))
		time.Sleep(delay)
		_ = cmd.Process.Kill() // may already have exited
		err := cmd.Wait()
		cancel()
		if err == nil {
			finished++
		} else if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) {
			t.Fatalf("wait: %v", err)
		}

		text, err := os.ReadFile(cli.CredentialsPath())
		require.NoError(t, err, "iteration %d: the credentials file must still exist", i)
		got, ok := defaultKey(string(text))
		require.True(t, ok, "iteration %d: the file no longer parses:\n%s", i, text)
		require.True(t, got == keys[0] || got == keys[1], "iteration %d: the file holds neither key (len %d)", i, len(got))
		info, err := os.Stat(cli.CredentialsPath())
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "iteration %d", i)
		if i%20 == 19 {
			py, ok := harness.PythonINIValue(t, cli.CredentialsPath(), "default", "api_key")
			require.True(t, ok, "iteration %d: configparser cannot read the file", i)
			require.Equal(t, got, py)
		}
	}
	t.Logf("%d runs: %d finished before the kill, the rest were killed mid-run", iterations, finished)
	assert.Less(t, finished, iterations, "no run was killed mid-way: the test proved nothing")

	leftovers, err := os.ReadDir(cli.ConfigDir)
	require.NoError(t, err)
	var names []string
	for _, e := range leftovers {
		names = append(names, e.Name())
	}
	t.Logf("files left in the config folder after the kills (a temporary file is a kill inside the write): %v", names)
}
