package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/common"
)

const (
	accountIDPrefix = "acct_"
	accountIDLength = 16
	accountIDChars  = "abcdefghijklmnopqrstuvwxyz0123456789"
	maxEmailLength  = 255
	maxKeyNameLen   = 255
)

// Admin performs the operator's operations: accounts and API keys.
type Admin struct {
	store Store
	auth  *Authenticator // memo warmed on key creation; may be nil
	cost  int
	rand  io.Reader
	now   func() time.Time
}

// AdminOption configures an Admin.
type AdminOption func(*Admin)

// WithInsecureBcryptCostForTests lowers the bcrypt cost so tests run fast.
// Production code never uses it: the cost there is always BcryptCost.
func WithInsecureBcryptCostForTests(cost int) AdminOption {
	return func(a *Admin) { a.cost = cost }
}

// WithAuthenticator warms auth's verification memo for every key created.
func WithAuthenticator(auth *Authenticator) AdminOption { return func(a *Admin) { a.auth = auth } }

// WithRandom sets the source of randomness (crypto/rand by default).
func WithRandom(r io.Reader) AdminOption { return func(a *Admin) { a.rand = r } }

// NewAdmin returns an Admin working on store.
func NewAdmin(store Store, opts ...AdminOption) *Admin {
	a := &Admin{store: store, cost: BcryptCost, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a
}

// CreatedKey is a key just created: the only time its plaintext exists.
type CreatedKey struct {
	Key       models.APIKey
	Plaintext string
}

// CreateAccount creates an active account with a new acct_ id. The e-mail is
// normalised first (NormalizeEmail), so PROD@example.com and
// prod@example.com are one account. Errors: invalid_request (bad e-mail) or
// a wrapped models.ErrConflict (e-mail taken).
func (a *Admin) CreateAccount(ctx context.Context, email string) (models.Account, error) {
	email = NormalizeEmail(email)
	if err := checkEmail(email); err != nil {
		return models.Account{}, err
	}
	suffix, err := randomString(a.rand, accountIDChars, accountIDLength)
	if err != nil {
		return models.Account{}, fmt.Errorf("create account: %w", err)
	}
	now := a.now().UTC()
	acct, err := a.store.CreateAccount(ctx, models.Account{
		ID: accountIDPrefix + suffix, Email: email, Status: models.AccountActive,
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return models.Account{}, fmt.Errorf("create account %s: %w", email, err)
	}
	return acct, nil
}

// GetAccount returns the account with id (wrapped models.ErrNotFound if none).
func (a *Admin) GetAccount(ctx context.Context, id string) (models.Account, error) {
	acct, err := a.store.GetAccount(ctx, id)
	if err != nil {
		return models.Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return acct, nil
}

// CreateKey mints a key for the account. The plaintext is returned once and
// never stored: only its bcrypt hash, SHA-256 lookup hash and hint are.
// Errors: invalid_request (name too long) or a wrapped models.ErrNotFound.
func (a *Admin) CreateKey(ctx context.Context, accountID, name string) (CreatedKey, error) {
	name = strings.TrimSpace(name)
	if len(name) > maxKeyNameLen || strings.ContainsAny(name, "\r\n") {
		return CreatedKey{}, common.Errorf(common.CodeInvalidRequest, "a key name has at most %d characters on one line", maxKeyNameLen)
	}
	plain, err := GenerateAPIKey(a.rand)
	if err != nil {
		return CreatedKey{}, err
	}
	hash, err := HashAPIKey(plain, a.cost)
	if err != nil {
		return CreatedKey{}, err
	}
	k, err := a.store.CreateAPIKey(ctx, models.APIKey{
		AccountID: accountID, Name: name, KeyHash: hash,
		LookupHash: LookupHash(plain), KeyHint: common.APIKeyHint(plain),
		CreatedAt: a.now().UTC(),
	})
	if err != nil {
		return CreatedKey{}, fmt.Errorf("create api key for %s: %w", accountID, err)
	}
	if a.auth != nil {
		a.auth.Remember(k.ID, k.KeyHash, plain)
	}
	return CreatedKey{Key: k, Plaintext: plain}, nil
}

// ListKeys returns the account's keys, oldest first.
func (a *Admin) ListKeys(ctx context.Context, accountID string) ([]models.APIKey, error) {
	keys, err := a.store.ListAPIKeys(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list api keys of %s: %w", accountID, err)
	}
	return keys, nil
}

// RevokeKey revokes key id; revoking twice keeps the first time.
func (a *Admin) RevokeKey(ctx context.Context, id int64) (models.APIKey, error) {
	k, err := a.store.RevokeAPIKey(ctx, id, a.now().UTC())
	if err != nil {
		return models.APIKey{}, fmt.Errorf("revoke api key %d: %w", id, err)
	}
	return k, nil
}

// NormalizeEmail is how account e-mails are stored and compared: without
// surrounding spaces, in lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// checkEmail accepts a bare address (no display name) of at most 255
// characters with exactly one @, something on both sides and no spaces or
// control characters.
func checkEmail(email string) error {
	bad := common.Errorf(common.CodeInvalidRequest, "%q is not an e-mail address like name@example.com (one @, no spaces, at most %d characters)", email, maxEmailLength)
	if email == "" || len(email) > maxEmailLength || strings.Count(email, "@") != 1 {
		return bad
	}
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || domain == "" || strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return bad
	}
	return nil
}

// IsNotFound reports whether err says a row does not exist.
func IsNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

// IsConflict reports whether err says a unique value is taken.
func IsConflict(err error) bool { return errors.Is(err, models.ErrConflict) }
