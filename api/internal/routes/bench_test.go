package routes

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
)

// latencies collects request durations to report percentiles (never to
// assert on them).
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	q := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

func benchRequest(b *testing.B, a *apiEnv, method, path string, want int, clients int, hdr ...string) {
	b.Helper()
	var lat latencies
	// RunParallel starts parallelism*GOMAXPROCS goroutines: make that `clients`.
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(method, a.URL+path, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			start := time.Now()
			resp, err := a.client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_ = resp.Body.Close()
			lat.add(time.Since(start))
			if resp.StatusCode != want {
				b.Errorf("status %d, want %d", resp.StatusCode, want)
				return
			}
		}
	})
	b.StopTimer()
	lat.report(b)
}

// BenchmarkHealth: GET /health (database and MinIO pinged each time) at
// 10 concurrent clients.
func BenchmarkHealth(b *testing.B) {
	a := newAPIEnvWith(b, false)
	benchRequest(b, a, http.MethodGet, common.PathHealth, http.StatusOK, 10)
}

// BenchmarkValidateVerifiedKey: POST /api/v1/auth/validate with a key
// already verified (memo hit: one indexed query, no bcrypt) at 10
// concurrent clients.
func BenchmarkValidateVerifiedKey(b *testing.B) {
	a := newAPIEnvWith(b, false)
	_, k := a.newKey(b)
	require.Equal(b, 200, a.validate(b, bearer(k.Plaintext)).Status) // warm the memo
	benchRequest(b, a, http.MethodPost, common.PathAuthValidate, http.StatusOK, 10, "Authorization", bearer(k.Plaintext))
	if n := a.Metrics.BcryptCount(); n != 1 {
		b.Errorf("bcrypt ran %v times, want 1", n)
	}
}

// BenchmarkValidateFirstUse: the first validation of a key stored at the
// production bcrypt cost (12): one bcrypt per iteration.
func BenchmarkValidateFirstUse(b *testing.B) {
	a := newAPIEnvWith(b, false)
	admin := services.NewAdmin(a.Store) // cost 12, as in production
	acct, err := admin.CreateAccount(context.Background(), testEmail())
	require.NoError(b, err)
	var lat latencies
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		k, err := admin.CreateKey(context.Background(), acct.ID, "bench")
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		if r := a.validate(b, bearer(k.Plaintext)); r.Status != 200 {
			b.Fatalf("status %d", r.Status)
		}
		lat.add(time.Since(start))
	}
	b.StopTimer()
	lat.report(b)
	b.ReportMetric(a.Metrics.BcryptCount()/float64(b.N), "bcrypt/op")
}

// BenchmarkValidateInvalidKey: malformed keys are refused before any
// database or bcrypt work.
func BenchmarkValidateInvalidKey(b *testing.B) {
	a := newAPIEnvWith(b, false)
	benchRequest(b, a, http.MethodPost, common.PathAuthValidate, http.StatusUnauthorized, 10, "Authorization", "Bearer sk_live_short")
}
