package faults

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

// TestRevokeUnderConcurrentUse revokes a key while several clients use it.
// Requests that started before the revoke command returned may go either
// way; every request that starts after it must get 401 revoked_api_key.
func TestRevokeUnderConcurrentUse(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail())
	key := admin.CreateKey(t, acct.ID, "busy")
	status, _, _ := s.Validate(t, bearer(key.Key))
	require.Equal(t, http.StatusOK, status)

	type result struct {
		start  time.Time
		status int
		code   string
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				st, body, _ := s.Validate(t, bearer(key.Key))
				mu.Lock()
				results = append(results, result{start, st, harness.Str(body, "error_code")})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	admin.RevokeKey(t, key.ID)
	revoked := time.Now()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	var before200, after int
	for _, r := range results {
		if r.start.After(revoked) {
			after++
			assert.Equal(t, http.StatusUnauthorized, r.status, "a request started %s after the revoke returned", r.start.Sub(revoked))
			assert.Equal(t, string(common.CodeRevokedAPIKey), r.code)
			continue
		}
		switch r.status {
		case http.StatusOK:
			before200++
		case http.StatusUnauthorized:
			assert.Equal(t, string(common.CodeRevokedAPIKey), r.code)
		default:
			t.Errorf("a request during the revoke answered %d %s", r.status, r.code)
		}
	}
	t.Logf("%d requests: %d succeeded before the revoke, %d started after it", len(results), before200, after)
	assert.Positive(t, before200, "the key was in use before the revoke")
	assert.Positive(t, after, "requests kept coming after the revoke")
}
