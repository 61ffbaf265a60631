package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

// outcome is one request of a burst.
type outcome struct {
	start, wrote, end time.Time
	status            int
	err               error
}

// post sends one validate request on client and records when the request
// was fully written to the server, so the test knows which requests the
// server had accepted before it was told to stop.
func post(client *http.Client, url, key string, onWrote func()) outcome {
	o := outcome{start: time.Now()}
	var mu sync.Mutex
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		mu.Lock()
		o.wrote = time.Now()
		mu.Unlock()
		if onWrote != nil {
			onWrote()
		}
	}}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		o.err = err
		return o
	}
	req.Header.Set("Authorization", bearer(key))
	resp, err := client.Do(req)
	if err == nil {
		o.status = resp.StatusCode
		_ = resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	o.end, o.err = time.Now(), err
	return o
}

// TestSIGTERMDuringBurst stops the server with SIGTERM while requests are in
// flight. Never-verified keys make each of those requests wait for bcrypt
// behind the server's CPU-sized semaphore, so several are still being
// worked on when the signal arrives. Every request the server had accepted
// must complete with 200, the server must exit 0, and last_used_at of every
// key must have been flushed to the database on the way out.
func TestSIGTERMDuringBurst(t *testing.T) {
	s := harness.StartServer(t, harness.ServerOptions{})
	admin := s.Admin()
	acct := admin.CreateAccount(t, uniqueEmail())
	const coldKeys = 6
	var cold []harness.Key
	for i := 0; i < coldKeys; i++ {
		cold = append(cold, admin.CreateKey(t, acct.ID, fmt.Sprintf("cold-%d", i)))
	}
	warm := admin.CreateKey(t, acct.ID, "warm")
	status, _, _ := s.Validate(t, bearer(warm.Key))
	require.Equal(t, http.StatusOK, status)
	url := s.URL + common.PathAuthValidate

	// The fast part, started first: clients hammering with the verified key
	// on kept-alive connections until the server goes away.
	var wg sync.WaitGroup
	const loops = 4
	warmOut := make([][]outcome, loops)
	stop := make(chan struct{})
	for i := 0; i < loops; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := harness.NewClient(t)
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := post(c, url, warm.Key, nil)
				warmOut[i] = append(warmOut[i], o)
				if o.err != nil {
					return // the server has closed; new requests are refused
				}
			}
		}()
	}

	time.Sleep(200 * time.Millisecond)

	// The slow, in-flight part: one request per cold key.
	coldOut := make([]outcome, coldKeys)
	var written atomic.Int64
	for i, k := range cold {
		wg.Add(1)
		go func() {
			defer wg.Done()
			coldOut[i] = post(harness.NewClient(t), url, k.Key, func() { written.Add(1) })
		}()
	}
	// Wait until every cold request has been written to the server and the
	// server has had a moment to read them, then stop it.
	require.NoError(t, harness.Eventually(10*time.Second, time.Millisecond, func() error {
		if written.Load() < coldKeys {
			return fmt.Errorf("%d of %d cold requests written", written.Load(), coldKeys)
		}
		return nil
	}))
	time.Sleep(50 * time.Millisecond)
	sigAt := time.Now()
	s.Signal(t, syscall.SIGTERM)
	code := s.Wait(t, 30*time.Second)
	exited := time.Now()
	close(stop)
	wg.Wait()
	assert.Equal(t, 0, code, "rgrid-api exits 0 after SIGTERM")
	t.Logf("server exited %s after SIGTERM", exited.Sub(sigAt).Round(time.Millisecond))

	inFlight := 0
	for i, o := range coldOut {
		require.False(t, o.wrote.IsZero() || o.wrote.After(sigAt),
			"cold request %d was not written before SIGTERM; the burst is not meaningful", i)
		assert.NoError(t, o.err, "cold request %d (accepted before SIGTERM) failed", i)
		assert.Equal(t, http.StatusOK, o.status, "cold request %d", i)
		if o.end.After(sigAt) {
			inFlight++
		}
	}
	assert.Positive(t, inFlight, "at least one accepted request was still in flight at SIGTERM")

	var warmOK, warmAfter int
	var lastWarmOK time.Time
	for _, list := range warmOut {
		for _, o := range list {
			if o.err == nil {
				assert.Equal(t, http.StatusOK, o.status, "every answer during shutdown is a success")
				warmOK++
				if o.end.After(sigAt) {
					warmAfter++
				}
				if o.start.After(lastWarmOK) {
					lastWarmOK = o.start
				}
				continue
			}
			// A request may fail only if it raced with the shutdown: it was
			// written (or its connection refused) at or after the signal.
			raced := o.wrote.IsZero() || o.wrote.After(sigAt.Add(-10*time.Millisecond))
			assert.True(t, raced, "a request written %s before SIGTERM failed: %v",
				sigAt.Sub(o.wrote), o.err)
		}
	}
	t.Logf("cold requests: %d, %d still in flight at SIGTERM; warm requests ok: %d (%d finished after SIGTERM)",
		coldKeys, inFlight, warmOK, warmAfter)
	require.Positive(t, warmOK)

	// last_used_at flushed on the way out, for every key used.
	conn := harness.ConnectDB(t, s.DatabaseURL)
	for _, k := range append(cold, warm) {
		var used *time.Time
		err := conn.QueryRow(context.Background(),
			"SELECT last_used_at FROM api_keys WHERE id::text = $1", k.ID).Scan(&used)
		require.NoError(t, err)
		if assert.NotNil(t, used, "last_used_at of key %s was not flushed on shutdown", k.ID) && k.ID == warm.ID {
			assert.False(t, used.Before(lastWarmOK.Add(-100*time.Millisecond)),
				"last_used_at of the busy key (%s) is older than its last request (%s): not flushed on shutdown",
				used.Format(time.RFC3339Nano), lastWarmOK.Format(time.RFC3339Nano))
		}
	}
}
