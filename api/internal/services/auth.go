package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/common"
)

// Messages of the authentication errors. They never contain the key.
const (
	msgInvalidKey  = "The API key is not valid. Check it for typos, or create a new key."
	msgRevokedKey  = "This API key has been revoked. Create a new key."
	msgSuspended   = "The account of this API key is suspended."
	msgUnavailable = "The service cannot check API keys right now. Try again shortly."
)

// Principal is who a request authenticated as.
type Principal struct {
	Account models.Account
	KeyID   int64
}

// KeyFinder is the part of Store the Authenticator needs.
type KeyFinder interface {
	FindAPIKeyByLookupHash(ctx context.Context, lookupHash string) (models.APIKey, models.Account, error)
}

// Authenticator checks API keys (DESIGN.md section 2): format check,
// SHA-256 lookup, a verification memo in front of bcrypt, bcrypt at most once
// per key at a time behind a CPU-sized semaphore, then revocation and account
// status, which are read from the database on every call.
type Authenticator struct {
	store    KeyFinder
	usage    *UsageRecorder
	logger   *slog.Logger
	memo     *verifiedMemo
	flights  singleflight.Group
	sem      chan struct{}
	onBcrypt func(match bool)
	now      func() time.Time
	timeout  time.Duration
}

// DefaultStoreTimeout bounds the key lookup of one authentication, so a hung
// database answers 503 instead of holding the request.
const DefaultStoreTimeout = 3 * time.Second

// AuthOption configures an Authenticator.
type AuthOption func(*Authenticator)

// WithUsageRecorder makes every successful authentication record the key's
// use time (api_keys.last_used_at) through u.
func WithUsageRecorder(u *UsageRecorder) AuthOption { return func(a *Authenticator) { a.usage = u } }

// WithBcryptObserver calls f after every bcrypt comparison (for metrics).
func WithBcryptObserver(f func(match bool)) AuthOption {
	return func(a *Authenticator) { a.onBcrypt = f }
}

// WithMemoSize bounds the verification memo to n keys.
func WithMemoSize(n int) AuthOption { return func(a *Authenticator) { a.memo = newVerifiedMemo(n) } }

// WithStoreTimeout bounds each key lookup (default DefaultStoreTimeout).
func WithStoreTimeout(d time.Duration) AuthOption {
	return func(a *Authenticator) {
		if d > 0 {
			a.timeout = d
		}
	}
}

// WithLogger sets the logger for store failures.
func WithLogger(l *slog.Logger) AuthOption { return func(a *Authenticator) { a.logger = l } }

// WithBcryptConcurrency sets how many bcrypt comparisons may run at once
// (default runtime.NumCPU()).
func WithBcryptConcurrency(n int) AuthOption {
	return func(a *Authenticator) {
		if n > 0 {
			a.sem = make(chan struct{}, n)
		}
	}
}

// NewAuthenticator returns an Authenticator reading keys from store.
func NewAuthenticator(store KeyFinder, opts ...AuthOption) *Authenticator {
	a := &Authenticator{
		store:    store,
		logger:   slog.New(slog.DiscardHandler),
		memo:     newVerifiedMemo(DefaultMemoSize),
		sem:      make(chan struct{}, runtime.NumCPU()),
		onBcrypt: func(bool) {},
		now:      time.Now,
		timeout:  DefaultStoreTimeout,
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Authenticate returns the principal of key. Errors are *common.Error with
// code invalid_api_key (malformed or unknown key), revoked_api_key,
// account_suspended (suspended or deleted account) or service_unavailable
// (the database failed: never reported as a bad key).
func (a *Authenticator) Authenticate(ctx context.Context, key string) (Principal, error) {
	if common.ValidateAPIKeyFormat(key) != nil {
		return Principal{}, common.Errorf(common.CodeInvalidAPIKey, msgInvalidKey)
	}
	lctx, cancel := context.WithTimeout(ctx, a.timeout)
	row, acct, err := a.store.FindAPIKeyByLookupHash(lctx, LookupHash(key))
	cancel()
	switch {
	case errors.Is(err, models.ErrNotFound):
		return Principal{}, common.Errorf(common.CodeInvalidAPIKey, msgInvalidKey)
	case err != nil:
		a.logger.ErrorContext(ctx, "api key lookup failed", "error", err.Error())
		return Principal{}, common.Errorf(common.CodeServiceUnavailable, msgUnavailable)
	}

	ok, err := a.verify(ctx, row, key)
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, common.Errorf(common.CodeInvalidAPIKey, msgInvalidKey)
	}
	if row.RevokedAt != nil {
		return Principal{}, common.Errorf(common.CodeRevokedAPIKey, msgRevokedKey)
	}
	if acct.Status != models.AccountActive {
		return Principal{}, common.Errorf(common.CodeAccountSuspended, msgSuspended)
	}
	if a.usage != nil {
		a.usage.Record(row.ID, a.now())
	}
	return Principal{Account: acct, KeyID: row.ID}, nil
}

// verify reports whether key matches row's bcrypt hash, using the memo and
// running at most one bcrypt per key at a time.
func (a *Authenticator) verify(ctx context.Context, row models.APIKey, key string) (bool, error) {
	digest := memoDigest(row.KeyHash, key)
	if a.memo.verified(row.ID, digest) {
		return true, nil
	}
	ch := a.flights.DoChan(string(digest[:]), func() (any, error) {
		a.sem <- struct{}{}
		defer func() { <-a.sem }()
		if a.memo.verified(row.ID, digest) { // a flight that just ended did it
			return true, nil
		}
		err := bcrypt.CompareHashAndPassword([]byte(row.KeyHash), []byte(key))
		a.onBcrypt(err == nil)
		switch {
		case err == nil:
			a.memo.remember(row.ID, digest)
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		default:
			return false, fmt.Errorf("bcrypt compare for key %d: %w", row.ID, err)
		}
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			a.logger.ErrorContext(ctx, "api key verification failed", "error", res.Err.Error())
			return false, res.Err
		}
		return res.Val.(bool), nil
	case <-ctx.Done():
		return false, common.Errorf(common.CodeServiceUnavailable, msgUnavailable)
	}
}

// Remember warms the memo for a key just created, so its first use costs
// no bcrypt.
func (a *Authenticator) Remember(id int64, keyHash, key string) {
	a.memo.remember(id, memoDigest(keyHash, key))
}
