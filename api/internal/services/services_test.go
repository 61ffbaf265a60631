package services

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/common"
)

// testCost keeps bcrypt fast in unit tests; production uses BcryptCost.
const testCost = bcrypt.MinCost

func codeOf(t *testing.T, err error) common.ErrorCode {
	t.Helper()
	var ce *common.Error
	require.ErrorAs(t, err, &ce)
	return ce.Code
}

type fixture struct {
	store   *fakeStore
	auth    *Authenticator
	admin   *Admin
	bcrypts atomic.Int64
}

func newFixture(t *testing.T, opts ...AuthOption) *fixture {
	t.Helper()
	f := &fixture{store: newFakeStore()}
	opts = append([]AuthOption{WithBcryptObserver(func(bool) { f.bcrypts.Add(1) })}, opts...)
	f.auth = NewAuthenticator(f.store, opts...)
	f.admin = NewAdmin(f.store, WithInsecureBcryptCostForTests(testCost))
	return f
}

func (f *fixture) account(t *testing.T, email string) models.Account {
	t.Helper()
	a, err := f.admin.CreateAccount(context.Background(), email)
	require.NoError(t, err)
	return a
}

func (f *fixture) key(t *testing.T, acct string) CreatedKey {
	t.Helper()
	k, err := f.admin.CreateKey(context.Background(), acct, "test")
	require.NoError(t, err)
	return k
}

func TestGenerateAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := GenerateAPIKey(nil)
		require.NoError(t, err)
		require.NoError(t, common.ValidateAPIKeyFormat(k))
		require.False(t, seen[k], "duplicate key")
		seen[k] = true
	}
}

func TestRandomStringRejectsBiasedBytes(t *testing.T) {
	// 62 symbols: bytes >= 248 must be skipped, never mapped.
	src := bytes.Repeat([]byte{255, 248, 0, 61, 62, 247}, 20)
	s, err := randomString(bytes.NewReader(src), common.APIKeyAlphabet, 8)
	require.NoError(t, err)
	a := common.APIKeyAlphabet
	want := string([]byte{a[0], a[61], a[0], a[247%62], a[0], a[61], a[0], a[247%62]})
	assert.Equal(t, want, s)

	_, err = randomString(bytes.NewReader(nil), common.APIKeyAlphabet, 4)
	assert.Error(t, err, "a short read is an error")
	_, err = randomString(nil, "", 4)
	assert.Error(t, err)
}

func TestRandomStringIsUniform(t *testing.T) {
	const n = 62 * 2000
	s, err := randomString(nil, common.APIKeyAlphabet, n)
	require.NoError(t, err)
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	require.Len(t, counts, 62)
	for r, c := range counts {
		// Expected 2000 each; 6 sigma is about 270.
		assert.InDelta(t, 2000, c, 300, "symbol %q", r)
	}
}

func TestLookupHashAndHash(t *testing.T) {
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", LookupHash(""))
	h, err := HashAPIKey("sk_live_x", testCost)
	require.NoError(t, err)
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(h), []byte("sk_live_x")))
	_, err = HashAPIKey("x", 99)
	assert.Error(t, err)
	assert.Equal(t, 12, BcryptCost, "production cost is the spec's 12")
	assert.Equal(t, BcryptCost, NewAdmin(newFakeStore()).cost, "the default admin uses cost 12")
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID)

	p, err := f.auth.Authenticate(ctx, k.Plaintext)
	require.NoError(t, err)
	assert.Equal(t, acct.ID, p.Account.ID)
	assert.Equal(t, k.Key.ID, p.KeyID)
	assert.EqualValues(t, 1, f.bcrypts.Load(), "first use costs one bcrypt")

	_, err = f.auth.Authenticate(ctx, k.Plaintext)
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.bcrypts.Load(), "the memo skips bcrypt afterwards")

	cases := map[string]string{
		"empty":     "",
		"malformed": "sk_live_short",
		"unknown":   common.APIKeyPrefix + strings.Repeat("A", 32),
		"appended":  k.Plaintext + "x",
	}
	for name, key := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.auth.Authenticate(ctx, key)
			assert.Equal(t, common.CodeInvalidAPIKey, codeOf(t, err))
		})
	}

	t.Run("suspended and deleted accounts", func(t *testing.T) {
		for _, st := range []string{models.AccountSuspended, models.AccountDeleted} {
			f.store.setStatus(acct.ID, st)
			_, err := f.auth.Authenticate(ctx, k.Plaintext)
			assert.Equal(t, common.CodeAccountSuspended, codeOf(t, err))
		}
		f.store.setStatus(acct.ID, models.AccountActive)
	})

	t.Run("database down is 503, never 401", func(t *testing.T) {
		f.store.setFail(errDown)
		defer f.store.setFail(nil)
		_, err := f.auth.Authenticate(ctx, k.Plaintext)
		assert.Equal(t, common.CodeServiceUnavailable, codeOf(t, err))
	})

	t.Run("revoked on the very next request despite the memo", func(t *testing.T) {
		_, err := f.admin.RevokeKey(ctx, k.Key.ID)
		require.NoError(t, err)
		_, err = f.auth.Authenticate(ctx, k.Plaintext)
		assert.Equal(t, common.CodeRevokedAPIKey, codeOf(t, err))
	})
}

func TestAuthenticateWrongHashIsInvalid(t *testing.T) {
	f := newFixture(t)
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID)
	// A row whose bcrypt hash does not match (corruption, say).
	f.store.mu.Lock()
	row := f.store.keys[k.Key.ID]
	other, _ := HashAPIKey("something else", testCost)
	row.KeyHash = other
	f.store.keys[k.Key.ID] = row
	f.store.mu.Unlock()
	_, err := f.auth.Authenticate(context.Background(), k.Plaintext)
	assert.Equal(t, common.CodeInvalidAPIKey, codeOf(t, err))

	row.KeyHash = "not a bcrypt hash"
	f.store.mu.Lock()
	f.store.keys[k.Key.ID] = row
	f.store.mu.Unlock()
	_, err = f.auth.Authenticate(context.Background(), k.Plaintext)
	var ce *common.Error
	assert.False(t, errors.As(err, &ce), "a broken hash is an internal error: %v", err)
}

func TestConcurrentFirstUseCostsOneBcrypt(t *testing.T) {
	f := newFixture(t, WithBcryptConcurrency(2))
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID) // not warmed: the admin has no authenticator
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := f.auth.Authenticate(context.Background(), k.Plaintext)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, f.bcrypts.Load())
}

func TestAuthenticateCancelledWhileWaiting(t *testing.T) {
	f := newFixture(t, WithBcryptConcurrency(1))
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID)
	f.auth.sem <- struct{}{} // the only bcrypt slot is taken
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.auth.Authenticate(ctx, k.Plaintext)
	assert.Equal(t, common.CodeServiceUnavailable, codeOf(t, err))
	<-f.auth.sem
}

func TestCreatedKeyIsWarm(t *testing.T) {
	f := newFixture(t)
	f.admin = NewAdmin(f.store, WithInsecureBcryptCostForTests(testCost), WithAuthenticator(f.auth))
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID)
	_, err := f.auth.Authenticate(context.Background(), k.Plaintext)
	require.NoError(t, err)
	assert.EqualValues(t, 0, f.bcrypts.Load(), "a key created here needs no bcrypt on first use")
}

func TestMemoIsBounded(t *testing.T) {
	m := newVerifiedMemo(3)
	d := memoDigest("h", "k")
	for id := int64(1); id <= 5; id++ {
		m.remember(id, d)
	}
	assert.Equal(t, 3, m.len())
	assert.False(t, m.verified(1, d), "oldest evicted")
	assert.True(t, m.verified(5, d))
	assert.False(t, m.verified(5, memoDigest("h", "other")), "a different key does not match")
	m.remember(5, memoDigest("h2", "k"))
	assert.False(t, m.verified(5, d), "a re-remembered id holds the new digest")
	m.forget(5)
	assert.Equal(t, 2, m.len())
	assert.Equal(t, DefaultMemoSize, newVerifiedMemo(0).limit)
}

func TestUsageRecorder(t *testing.T) {
	f := newFixture(t)
	acct := f.account(t, "a@example.com")
	k := f.key(t, acct.ID)
	u := NewUsageRecorder(f.store, 20*time.Millisecond, nil)
	auth := NewAuthenticator(f.store, WithUsageRecorder(u))
	_, err := auth.Authenticate(context.Background(), k.Plaintext)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return f.store.key(k.Key.ID).LastUsedAt != nil }, 2*time.Second, 5*time.Millisecond)

	// Older times never replace newer ones; Close flushes what is pending.
	now := time.Now()
	u2 := NewUsageRecorder(f.store, time.Hour, nil)
	u2.Record(k.Key.ID, now.Add(time.Minute))
	u2.Record(k.Key.ID, now)
	require.NoError(t, u2.Close(context.Background()))
	assert.WithinDuration(t, now.Add(time.Minute), *f.store.key(k.Key.ID).LastUsedAt, 0)
	require.NoError(t, u.Close(context.Background()))
	require.NoError(t, u.Close(context.Background()), "Close twice is fine")
}

func TestUsageRecorderKeepsTimesOnFailure(t *testing.T) {
	s := newFakeStore()
	s.setFail(errDown)
	u := NewUsageRecorder(s, time.Hour, nil)
	u.Record(7, time.Unix(100, 0))
	require.Error(t, u.Flush(context.Background()))
	s.setFail(nil)
	require.NoError(t, u.Flush(context.Background()))
	require.Len(t, s.touches, 1)
	assert.Equal(t, time.Unix(100, 0), s.touches[0][7])
	require.NoError(t, u.Flush(context.Background()), "nothing pending is a no-op")
	assert.Len(t, s.touches, 1)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u3 := NewUsageRecorder(s, time.Hour, nil)
	close(u3.stop) // loop exits...
	<-u3.done
	u3.stop = make(chan struct{})
	u3.done = make(chan struct{}) // ...and this one never closes
	assert.ErrorIs(t, u3.Close(ctx), context.Canceled)
	_ = u.Close(context.Background())
}

func TestUsageRecorderLogsFailedBackgroundFlush(t *testing.T) {
	s := newFakeStore()
	s.setFail(errDown)
	u := NewUsageRecorder(s, 5*time.Millisecond, nil)
	u.Record(1, time.Now())
	time.Sleep(30 * time.Millisecond)
	s.setFail(nil)
	require.NoError(t, u.Close(context.Background()))
	assert.NotEmpty(t, s.touches)
}

func TestAdmin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	acct := f.account(t, "  a@example.com ")
	assert.True(t, strings.HasPrefix(acct.ID, "acct_"))
	assert.Len(t, acct.ID, len("acct_")+16)
	assert.Equal(t, "a@example.com", acct.Email)
	assert.Equal(t, models.AccountActive, acct.Status)

	_, err := f.admin.CreateAccount(ctx, "a@example.com")
	assert.True(t, IsConflict(err), "%v", err)
	// E-mails are stored trimmed and in lower case: another case is the
	// same account.
	for _, same := range []string{"A@example.com", " A@EXAMPLE.COM\t"} {
		_, err = f.admin.CreateAccount(ctx, same)
		assert.True(t, IsConflict(err), "%q: %v", same, err)
	}
	mixed := f.account(t, "Prod.Team@Example.COM")
	assert.Equal(t, "prod.team@example.com", mixed.Email)
	assert.Equal(t, "prod.team@example.com", NormalizeEmail("  Prod.Team@Example.COM\n"))
	assert.NoError(t, checkEmail(strings.Repeat("a", 243)+"@example.com"), "255 characters")
	for _, bad := range []string{"", "nope", "A <a@example.com>", strings.Repeat("a", 244) + "@example.com",
		"a@b@example.com", "@example.com", "a@", "a b@example.com", "a@exa mple.com", `"a b"@example.com`, "a\x00@example.com"} {
		_, err := f.admin.CreateAccount(ctx, bad)
		assert.Equal(t, common.CodeInvalidRequest, codeOf(t, err), "%q", bad)
	}

	k := f.key(t, acct.ID)
	assert.NoError(t, common.ValidateAPIKeyFormat(k.Plaintext))
	assert.Equal(t, LookupHash(k.Plaintext), k.Key.LookupHash)
	assert.Equal(t, common.APIKeyHint(k.Plaintext), k.Key.KeyHint)
	assert.NotContains(t, k.Key.KeyHash, k.Plaintext)
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(k.Key.KeyHash), []byte(k.Plaintext)))

	_, err = f.admin.CreateKey(ctx, "acct_missing", "")
	assert.True(t, IsNotFound(err))
	_, err = f.admin.CreateKey(ctx, acct.ID, "two\nlines")
	assert.Equal(t, common.CodeInvalidRequest, codeOf(t, err))

	keys, err := f.admin.ListKeys(ctx, acct.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	_, err = f.admin.ListKeys(ctx, "acct_missing")
	assert.True(t, IsNotFound(err))

	got, err := f.admin.GetAccount(ctx, acct.ID)
	require.NoError(t, err)
	assert.Equal(t, acct.Email, got.Email)
	_, err = f.admin.GetAccount(ctx, "acct_missing")
	assert.True(t, IsNotFound(err))

	r1, err := f.admin.RevokeKey(ctx, k.Key.ID)
	require.NoError(t, err)
	r2, err := f.admin.RevokeKey(ctx, k.Key.ID)
	require.NoError(t, err)
	assert.Equal(t, r1.RevokedAt, r2.RevokedAt, "the first revocation time stays")
	_, err = f.admin.RevokeKey(ctx, 999)
	assert.True(t, IsNotFound(err))

	f.store.setFail(errDown)
	_, err = f.admin.CreateAccount(ctx, "b@example.com")
	assert.ErrorIs(t, err, errDown)
	_, err = NewAdmin(f.store, WithRandom(bytes.NewReader(nil))).CreateAccount(ctx, "c@example.com")
	assert.Error(t, err)
	_, err = NewAdmin(f.store, WithRandom(bytes.NewReader(nil))).CreateKey(ctx, acct.ID, "")
	assert.Error(t, err)
	_, err = NewAdmin(f.store, WithInsecureBcryptCostForTests(99)).CreateKey(ctx, acct.ID, "")
	assert.Error(t, err)
}

type pingFunc func(ctx context.Context) error

func (p pingFunc) Ping(ctx context.Context) error { return p(ctx) }

func TestHealth(t *testing.T) {
	up := pingFunc(func(context.Context) error { return nil })
	down := pingFunc(func(context.Context) error { return errDown })
	hang := pingFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	cases := []struct {
		name        string
		db, storage Pinger
		want        common.HealthResponse
	}{
		{"both up", up, up, common.HealthResponse{Status: "healthy", Database: "connected", Storage: "connected"}},
		{"storage down", up, down, common.HealthResponse{Status: "degraded", Database: "connected", Storage: "disconnected"}},
		{"storage hangs", up, hang, common.HealthResponse{Status: "degraded", Database: "connected", Storage: "disconnected"}},
		{"no storage", up, nil, common.HealthResponse{Status: "degraded", Database: "connected", Storage: "disconnected"}},
		{"database down", down, up, common.HealthResponse{Status: "unhealthy", Database: "disconnected", Storage: "connected"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHealth(tc.db, tc.storage, 30*time.Millisecond)
			got := h.Check(context.Background())
			tc.want.Version = common.Version
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want.Database == "connected", DatabaseUp(got))
		})
	}
	assert.Equal(t, DefaultHealthTimeout, NewHealth(up, up, 0).timeout)
	assert.Equal(t, DefaultStorageStatusTTL, NewHealth(up, up, 0).storageTTL)
}

// TestHealthStorageStatusTTL: the database is pinged on every check, the
// storage at most once per TTL; an outage of either shows within that.
func TestHealthStorageStatusTTL(t *testing.T) {
	var dbPings, stPings atomic.Int32
	var dbDown, stDown atomic.Bool
	db := pingFunc(func(context.Context) error {
		dbPings.Add(1)
		if dbDown.Load() {
			return errDown
		}
		return nil
	})
	st := pingFunc(func(context.Context) error {
		stPings.Add(1)
		if stDown.Load() {
			return errDown
		}
		return nil
	})
	now := time.Unix(1_000_000, 0)
	h := NewHealth(db, st, time.Second, WithStorageStatusTTL(time.Second))
	h.now = func() time.Time { return now }
	ctx := context.Background()

	assert.Equal(t, common.HealthHealthy, h.Check(ctx).Status)
	assert.EqualValues(t, 1, dbPings.Load())
	assert.EqualValues(t, 1, stPings.Load())

	// Within the TTL: the database is pinged again, the storage is not.
	stDown.Store(true)
	now = now.Add(999 * time.Millisecond)
	assert.Equal(t, common.HealthHealthy, h.Check(ctx).Status, "storage result reused")
	assert.EqualValues(t, 2, dbPings.Load())
	assert.EqualValues(t, 1, stPings.Load())
	dbDown.Store(true)
	assert.Equal(t, common.HealthUnhealthy, h.Check(ctx).Status, "a database outage shows at once")
	dbDown.Store(false)

	// Past the TTL: storage checked again, and its failure is reused too.
	now = now.Add(time.Millisecond)
	r := h.Check(ctx)
	assert.Equal(t, common.HealthDegraded, r.Status)
	assert.Equal(t, common.ServiceDisconnected, r.Storage)
	assert.EqualValues(t, 2, stPings.Load())
	stDown.Store(false)
	now = now.Add(500 * time.Millisecond)
	assert.Equal(t, common.HealthDegraded, h.Check(ctx).Status)
	assert.EqualValues(t, 2, stPings.Load())
	now = now.Add(500 * time.Millisecond)
	assert.Equal(t, common.HealthHealthy, h.Check(ctx).Status, "recovery shows after the TTL")
	assert.EqualValues(t, 3, stPings.Load())

	// A storage connection closing drops the cached result at once.
	w := &watchedPinger{Pinger: st}
	hw := NewHealth(db, w, time.Second, WithStorageStatusTTL(time.Hour))
	before := stPings.Load()
	assert.Equal(t, common.HealthHealthy, hw.Check(ctx).Status)
	stDown.Store(true)
	assert.Equal(t, common.HealthHealthy, hw.Check(ctx).Status, "cached")
	assert.Equal(t, before+1, stPings.Load())
	w.closed.Add(1) // the storage server went away: its connections closed
	assert.Equal(t, common.HealthDegraded, hw.Check(ctx).Status, "checked again at once")
	assert.Equal(t, before+2, stPings.Load())
	stDown.Store(false)

	// TTL 0: storage checked every time.
	h0 := NewHealth(db, st, time.Second, WithStorageStatusTTL(0))
	before = stPings.Load()
	h0.Check(ctx)
	h0.Check(ctx)
	assert.Equal(t, before+2, stPings.Load())
}

// watchedPinger is a storage Pinger that counts closed connections.
type watchedPinger struct {
	Pinger
	closed atomic.Uint64
}

func (w *watchedPinger) ConnectionsClosed() uint64 { return w.closed.Load() }
