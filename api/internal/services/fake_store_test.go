package services

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rgrid/rgrid/api/internal/models"
)

// fakeStore is an in-memory Store for unit tests. Set fail to make every
// call return it (a database outage).
type fakeStore struct {
	mu       sync.Mutex
	accounts map[string]models.Account
	keys     map[int64]models.APIKey
	nextID   int64
	fail     error
	touches  []map[int64]time.Time
	finds    int
}

var _ Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{accounts: map[string]models.Account{}, keys: map[int64]models.APIKey{}}
}

func (f *fakeStore) setFail(err error) { f.mu.Lock(); f.fail = err; f.mu.Unlock() }

func (f *fakeStore) CreateAccount(_ context.Context, a models.Account) (models.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return models.Account{}, f.fail
	}
	for _, x := range f.accounts {
		if x.Email == a.Email {
			return models.Account{}, models.ErrConflict
		}
	}
	f.accounts[a.ID] = a
	return a, nil
}

func (f *fakeStore) GetAccount(_ context.Context, id string) (models.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return models.Account{}, f.fail
	}
	a, ok := f.accounts[id]
	if !ok {
		return models.Account{}, models.ErrNotFound
	}
	return a, nil
}

func (f *fakeStore) CreateAPIKey(_ context.Context, k models.APIKey) (models.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return models.APIKey{}, f.fail
	}
	if _, ok := f.accounts[k.AccountID]; !ok {
		return models.APIKey{}, models.ErrNotFound
	}
	f.nextID++
	k.ID = f.nextID
	f.keys[k.ID] = k
	return k, nil
}

func (f *fakeStore) ListAPIKeys(_ context.Context, accountID string) ([]models.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if _, ok := f.accounts[accountID]; !ok {
		return nil, models.ErrNotFound
	}
	var out []models.APIKey
	for id := int64(1); id <= f.nextID; id++ {
		if k, ok := f.keys[id]; ok && k.AccountID == accountID {
			out = append(out, k)
		}
	}
	return out, nil
}

func (f *fakeStore) RevokeAPIKey(_ context.Context, id int64, at time.Time) (models.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return models.APIKey{}, f.fail
	}
	k, ok := f.keys[id]
	if !ok {
		return models.APIKey{}, models.ErrNotFound
	}
	if k.RevokedAt == nil {
		k.RevokedAt = &at
		f.keys[id] = k
	}
	return k, nil
}

func (f *fakeStore) FindAPIKeyByLookupHash(_ context.Context, h string) (models.APIKey, models.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	if f.fail != nil {
		return models.APIKey{}, models.Account{}, f.fail
	}
	for _, k := range f.keys {
		if k.LookupHash == h {
			return k, f.accounts[k.AccountID], nil
		}
	}
	return models.APIKey{}, models.Account{}, models.ErrNotFound
}

func (f *fakeStore) TouchAPIKeys(_ context.Context, usedAt map[int64]time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	cp := make(map[int64]time.Time, len(usedAt))
	for id, t := range usedAt {
		cp[id] = t
		if k, ok := f.keys[id]; ok && (k.LastUsedAt == nil || k.LastUsedAt.Before(t)) {
			tt := t
			k.LastUsedAt = &tt
			f.keys[id] = k
		}
	}
	f.touches = append(f.touches, cp)
	return nil
}

func (f *fakeStore) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail
}

func (f *fakeStore) key(id int64) models.APIKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[id]
}

func (f *fakeStore) setStatus(acct, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.accounts[acct]
	a.Status = status
	f.accounts[acct] = a
}

var errDown = errors.New("connection refused")
