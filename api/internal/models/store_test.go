package models_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/api/internal/database"
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/tests/testenv"
)

var _ services.Store = (*models.Store)(nil)

// seq makes ids, e-mails and hashes unique within a test database.
var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// fixture is one dialect's store on a freshly migrated database.
type fixture struct {
	db    *database.DB
	store *models.Store
}

func newFixture(t *testing.T, d database.Dialect) fixture {
	t.Helper()
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "rgrid.db")
	if d == database.Postgres {
		url = testenv.NewDatabase(t)
	}
	db, err := database.Open(ctx, database.Options{URL: url, PoolMin: 2, PoolMax: 8})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.MigrateUp(ctx))
	return fixture{db: db, store: models.NewStore(db.Gorm())}
}

func (f fixture) account(t *testing.T) models.Account {
	t.Helper()
	n := next()
	a, err := f.store.CreateAccount(context.Background(), models.Account{
		ID:    fmt.Sprintf("acct_%d", n),
		Email: fmt.Sprintf("user%d@example.com", n),
	})
	require.NoError(t, err)
	return a
}

func newKey(accountID string) models.APIKey {
	n := next()
	sum := sha256.Sum256(fmt.Appendf(nil, "sk_live_%d", n))
	return models.APIKey{
		AccountID:  accountID,
		KeyHash:    fmt.Sprintf("$2a$12$fakebcrypt%d", n),
		LookupHash: hex.EncodeToString(sum[:]),
		KeyHint:    fmt.Sprintf("sk_live_…%04d", n%10000),
	}
}

func (f fixture) key(t *testing.T, accountID string) models.APIKey {
	t.Helper()
	k, err := f.store.CreateAPIKey(context.Background(), newKey(accountID))
	require.NoError(t, err)
	return k
}

// TestStore runs one suite against PostgreSQL and SQLite so the dialects
// cannot drift.
func TestStore(t *testing.T) {
	suite := []struct {
		name string
		run  func(*testing.T, fixture)
	}{
		{"CreateAccount", testCreateAccount},
		{"GetAccount", testGetAccount},
		{"CreateAPIKey", testCreateAPIKey},
		{"ListAPIKeys", testListAPIKeys},
		{"RevokeAPIKey", testRevokeAPIKey},
		{"FindAPIKeyByLookupHash", testFindAPIKey},
		{"TouchAPIKeys", testTouchAPIKeys},
		{"TouchAPIKeysConcurrent", testTouchConcurrent},
		{"TouchAPIKeysManyKeys", testTouchMany},
		{"Cascade", testCascade},
		{"Ping", testPing},
		{"CancelledContext", testCancelled},
	}
	for _, d := range []database.Dialect{database.Postgres, database.SQLite} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, d)
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, f) })
			}
		})
	}
}

func testCreateAccount(t *testing.T, f fixture) {
	ctx := context.Background()
	n := next()
	created := time.Date(2025, 11, 15, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name    string
		in      models.Account
		wantErr error
		check   func(t *testing.T, got models.Account)
	}{
		{
			name: "defaults",
			in:   models.Account{ID: fmt.Sprintf("acct_d%d", n), Email: fmt.Sprintf("d%d@x.io", n)},
			check: func(t *testing.T, got models.Account) {
				assert.Equal(t, models.AccountActive, got.Status)
				assert.Zero(t, got.CreditsBalanceMicros)
				assert.Equal(t, time.UTC, got.CreatedAt.Location())
				assert.WithinDuration(t, time.Now(), got.CreatedAt, time.Minute)
				assert.Equal(t, got.CreatedAt, got.UpdatedAt)
			},
		},
		{
			name: "explicit fields, times kept in UTC to the microsecond",
			in: models.Account{
				ID: fmt.Sprintf("acct_e%d", n), Email: fmt.Sprintf("e%d@x.io", n),
				CreditsBalanceMicros: 12_500_000, Status: models.AccountSuspended, CreatedAt: created,
			},
			check: func(t *testing.T, got models.Account) {
				assert.Equal(t, int64(12_500_000), got.CreditsBalanceMicros)
				assert.Equal(t, models.AccountSuspended, got.Status)
				assert.Equal(t, created.UTC().Truncate(time.Microsecond), got.CreatedAt)
			},
		},
		{
			name:    "duplicate e-mail",
			in:      models.Account{ID: fmt.Sprintf("acct_x%d", n), Email: fmt.Sprintf("d%d@x.io", n)},
			wantErr: models.ErrConflict,
		},
		{
			name:    "duplicate id",
			in:      models.Account{ID: fmt.Sprintf("acct_d%d", n), Email: fmt.Sprintf("other%d@x.io", n)},
			wantErr: models.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.CreateAccount(ctx, tt.in)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, got)
			stored, err := f.store.GetAccount(ctx, tt.in.ID)
			require.NoError(t, err)
			assert.Equal(t, got, stored, "returned record equals the stored one")
		})
	}

	t.Run("unknown status is refused, not a conflict", func(t *testing.T) {
		_, err := f.store.CreateAccount(ctx, models.Account{ID: fmt.Sprintf("acct_s%d", n), Email: fmt.Sprintf("s%d@x.io", n), Status: "frozen"})
		require.Error(t, err)
		assert.NotErrorIs(t, err, models.ErrConflict)
		assert.NotErrorIs(t, err, models.ErrNotFound)
	})
}

func testGetAccount(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"existing", a.ID, nil},
		{"unknown", "acct_missing", models.ErrNotFound},
		{"empty id", "", models.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.GetAccount(ctx, tt.id)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, a, got)
		})
	}
}

func testCreateAPIKey(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	existing := f.key(t, a.ID)
	named := newKey(a.ID)
	named.Name = "laptop"
	withID := newKey(a.ID)
	withID.ID = 999_999

	dupHash := newKey(a.ID)
	dupHash.KeyHash = existing.KeyHash
	dupLookup := newKey(a.ID)
	dupLookup.LookupHash = existing.LookupHash

	tests := []struct {
		name    string
		in      models.APIKey
		wantErr error
	}{
		{"named", named, nil},
		{"caller's id is ignored", withID, nil},
		{"unknown account", newKey("acct_missing"), models.ErrNotFound},
		{"duplicate key hash", dupHash, models.ErrConflict},
		{"duplicate lookup hash", dupLookup, models.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.CreateAPIKey(ctx, tt.in)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Positive(t, got.ID)
			assert.NotEqual(t, int64(999_999), got.ID)
			want := tt.in
			want.ID = got.ID
			want.CreatedAt = got.CreatedAt
			assert.Equal(t, want, got)
			assert.WithinDuration(t, time.Now(), got.CreatedAt, time.Minute)
			assert.Nil(t, got.LastUsedAt)
			assert.Nil(t, got.RevokedAt)
		})
	}
	assert.Empty(t, existing.Name, "no name is stored as NULL and read back as \"\"")
	assert.Greater(t, f.key(t, a.ID).ID, existing.ID, "ids increase")
}

func testListAPIKeys(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	empty := f.account(t)
	other := f.account(t)
	f.key(t, other.ID)

	base := time.Now().UTC().Truncate(time.Microsecond)
	var want []models.APIKey
	for _, offset := range []time.Duration{0, -time.Hour, time.Hour} { // inserted out of order
		k := newKey(a.ID)
		k.CreatedAt = base.Add(offset)
		got, err := f.store.CreateAPIKey(ctx, k)
		require.NoError(t, err)
		want = append(want, got)
	}
	want = []models.APIKey{want[1], want[0], want[2]} // oldest first

	tests := []struct {
		name    string
		account string
		want    []models.APIKey
		wantErr error
	}{
		{"oldest first, only this account's", a.ID, want, nil},
		{"account without keys", empty.ID, []models.APIKey{}, nil},
		{"unknown account", "acct_missing", nil, models.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListAPIKeys(ctx, tt.account)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func testRevokeAPIKey(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	k := f.key(t, a.ID)
	first := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)

	got, err := f.store.RevokeAPIKey(ctx, k.ID, first)
	require.NoError(t, err)
	require.NotNil(t, got.RevokedAt)
	assert.Equal(t, first, *got.RevokedAt)

	t.Run("second revocation keeps the first time", func(t *testing.T) {
		again, err := f.store.RevokeAPIKey(ctx, k.ID, first.Add(time.Hour))
		require.NoError(t, err)
		require.NotNil(t, again.RevokedAt)
		assert.Equal(t, first, *again.RevokedAt)
		assert.Equal(t, got, again)
	})
	t.Run("visible to lookups", func(t *testing.T) {
		found, _, err := f.store.FindAPIKeyByLookupHash(ctx, k.LookupHash)
		require.NoError(t, err)
		require.NotNil(t, found.RevokedAt)
		assert.Equal(t, first, *found.RevokedAt)
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := f.store.RevokeAPIKey(ctx, 987_654_321, first)
		require.ErrorIs(t, err, models.ErrNotFound)
	})
}

func testFindAPIKey(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	k := newKey(a.ID)
	k.Name = "ci"
	k, err := f.store.CreateAPIKey(ctx, k)
	require.NoError(t, err)

	t.Run("found with its account", func(t *testing.T) {
		gotKey, gotAcct, err := f.store.FindAPIKeyByLookupHash(ctx, k.LookupHash)
		require.NoError(t, err)
		assert.Equal(t, k, gotKey)
		assert.Equal(t, a, gotAcct)
	})
	t.Run("account status is read fresh", func(t *testing.T) {
		require.NoError(t, f.db.Gorm().Exec(`UPDATE accounts SET status = ? WHERE id = ?`, models.AccountSuspended, a.ID).Error)
		_, gotAcct, err := f.store.FindAPIKeyByLookupHash(ctx, k.LookupHash)
		require.NoError(t, err)
		assert.Equal(t, models.AccountSuspended, gotAcct.Status)
	})
	t.Run("unknown hash", func(t *testing.T) {
		_, _, err := f.store.FindAPIKeyByLookupHash(ctx, "0000000000000000000000000000000000000000000000000000000000000000")
		require.ErrorIs(t, err, models.ErrNotFound)
	})
}

func testTouchAPIKeys(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	k1, k2, k3 := f.key(t, a.ID), f.key(t, a.ID), f.key(t, a.ID)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	lastUsed := func(t *testing.T, id int64) *time.Time {
		t.Helper()
		keys, err := f.store.ListAPIKeys(ctx, a.ID)
		require.NoError(t, err)
		for _, k := range keys {
			if k.ID == id {
				return k.LastUsedAt
			}
		}
		t.Fatalf("key %d not listed", id)
		return nil
	}

	steps := []struct {
		name  string
		touch map[int64]time.Time
		want  map[int64]*time.Time // nil value: never used
	}{
		{"empty batch is a no-op", map[int64]time.Time{}, map[int64]*time.Time{k1.ID: nil, k2.ID: nil, k3.ID: nil}},
		{"first use sets the time", map[int64]time.Time{k1.ID: at(0), k2.ID: at(time.Second)},
			map[int64]*time.Time{k1.ID: new(at(0)), k2.ID: new(at(time.Second)), k3.ID: nil}},
		{"newer times move forward, older never back, unknown ids ignored",
			map[int64]time.Time{k1.ID: at(time.Minute), k2.ID: at(-time.Hour), 987_654_321: at(0)},
			map[int64]*time.Time{k1.ID: new(at(time.Minute)), k2.ID: new(at(time.Second)), k3.ID: nil}},
		{"sub-second order is kept", map[int64]time.Time{k1.ID: at(time.Minute + time.Microsecond), k2.ID: at(time.Second - time.Microsecond)},
			map[int64]*time.Time{k1.ID: new(at(time.Minute + time.Microsecond)), k2.ID: new(at(time.Second)), k3.ID: nil}},
		{"same time is no change", map[int64]time.Time{k1.ID: at(time.Minute + time.Microsecond)},
			map[int64]*time.Time{k1.ID: new(at(time.Minute + time.Microsecond)), k2.ID: new(at(time.Second)), k3.ID: nil}},
		{"non-UTC input is stored as the same instant", map[int64]time.Time{k3.ID: at(time.Hour).In(time.FixedZone("X", -5*3600))},
			map[int64]*time.Time{k1.ID: new(at(time.Minute + time.Microsecond)), k2.ID: new(at(time.Second)), k3.ID: new(at(time.Hour))}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			require.NoError(t, f.store.TouchAPIKeys(ctx, s.touch))
			for id, want := range s.want {
				assert.Equal(t, want, lastUsed(t, id), "key %d", id)
			}
		})
	}
}

// testTouchConcurrent: flushes racing each other still leave the newest time.
func testTouchConcurrent(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	keys := []models.APIKey{f.key(t, a.ID), f.key(t, a.ID), f.key(t, a.ID)}
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			batch := map[int64]time.Time{}
			for i, k := range keys {
				batch[k.ID] = t0.Add(time.Duration((w*7+i*3)%writers) * time.Second)
			}
			errs <- f.store.TouchAPIKeys(ctx, batch)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	listed, err := f.store.ListAPIKeys(ctx, a.ID)
	require.NoError(t, err)
	for _, k := range listed {
		require.NotNil(t, k.LastUsedAt)
		assert.Equal(t, t0.Add((writers-1)*time.Second), *k.LastUsedAt, "key %d keeps the newest time", k.ID)
	}
}

// testTouchMany crosses the batch size of one UPDATE statement.
func testTouchMany(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	batch := map[int64]time.Time{}
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 1203 {
		k := f.key(t, a.ID)
		batch[k.ID] = t0.Add(time.Duration(i) * time.Millisecond)
	}
	require.NoError(t, f.store.TouchAPIKeys(ctx, batch))
	listed, err := f.store.ListAPIKeys(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, listed, len(batch))
	for _, k := range listed {
		require.NotNil(t, k.LastUsedAt)
		assert.Equal(t, batch[k.ID], *k.LastUsedAt)
	}
}

func testCascade(t *testing.T, f fixture) {
	ctx := context.Background()
	a := f.account(t)
	keep := f.account(t)
	k := f.key(t, a.ID)
	kept := f.key(t, keep.ID)

	require.NoError(t, f.db.Gorm().Exec(`DELETE FROM accounts WHERE id = ?`, a.ID).Error)

	_, _, err := f.store.FindAPIKeyByLookupHash(ctx, k.LookupHash)
	require.ErrorIs(t, err, models.ErrNotFound, "deleting an account deletes its keys")
	var n int64
	require.NoError(t, f.db.Gorm().Raw(`SELECT COUNT(*) FROM api_keys WHERE account_id = ?`, a.ID).Scan(&n).Error)
	assert.Zero(t, n)
	_, err = f.store.ListAPIKeys(ctx, a.ID)
	require.ErrorIs(t, err, models.ErrNotFound)
	_, _, err = f.store.FindAPIKeyByLookupHash(ctx, kept.LookupHash)
	require.NoError(t, err, "other accounts' keys stay")
}

func testPing(t *testing.T, f fixture) {
	require.NoError(t, f.store.Ping(context.Background()))
}

func testCancelled(t *testing.T, f fixture) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := f.account(t)
	_, err := f.store.GetAccount(ctx, a.ID)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = f.store.CreateAccount(ctx, models.Account{ID: "acct_cancel", Email: "cancel@x.io"})
	assert.Error(t, err)
	_, err = f.store.CreateAPIKey(ctx, newKey(a.ID))
	assert.Error(t, err)
	_, err = f.store.ListAPIKeys(ctx, a.ID)
	assert.Error(t, err)
	_, err = f.store.RevokeAPIKey(ctx, 1, time.Now())
	assert.Error(t, err)
	_, _, err = f.store.FindAPIKeyByLookupHash(ctx, "x")
	assert.Error(t, err)
	assert.Error(t, f.store.TouchAPIKeys(ctx, map[int64]time.Time{1: time.Now()}))
	assert.Error(t, f.store.Ping(ctx))
	_, err = f.store.GetAccount(context.Background(), "acct_cancel")
	assert.ErrorIs(t, err, models.ErrNotFound, "a cancelled create wrote nothing")
}

func TestPingClosed(t *testing.T) {
	f := newFixture(t, database.SQLite)
	require.NoError(t, f.db.Close())
	assert.Error(t, f.store.Ping(context.Background()))
}
