// Package services holds RGrid's business rules: API key minting and
// verification, authentication, health and the admin operations. It declares
// the store interfaces it needs and knows nothing of Echo or GORM.
package services

import (
	"context"
	"time"

	"github.com/rgrid/rgrid/api/internal/models"
)

// Store is the persistence the services need. models.Store implements it for
// PostgreSQL and SQLite. Every write runs in a transaction.
type Store interface {
	// CreateAccount inserts a. Returns models.ErrConflict when the e-mail is taken.
	CreateAccount(ctx context.Context, a models.Account) (models.Account, error)
	// GetAccount returns the account with id, or models.ErrNotFound.
	GetAccount(ctx context.Context, id string) (models.Account, error)
	// CreateAPIKey inserts k (ID is assigned). Returns models.ErrNotFound when
	// the account does not exist and models.ErrConflict on a duplicate hash.
	CreateAPIKey(ctx context.Context, k models.APIKey) (models.APIKey, error)
	// ListAPIKeys returns the account's keys, oldest first, or
	// models.ErrNotFound when the account does not exist.
	ListAPIKeys(ctx context.Context, accountID string) ([]models.APIKey, error)
	// RevokeAPIKey sets revoked_at to at unless already revoked (then the first
	// revocation time stays) and returns the key, or models.ErrNotFound.
	RevokeAPIKey(ctx context.Context, id int64, at time.Time) (models.APIKey, error)
	// FindAPIKeyByLookupHash returns the key with that lookup hash and its
	// account in one indexed query, or models.ErrNotFound.
	FindAPIKeyByLookupHash(ctx context.Context, lookupHash string) (models.APIKey, models.Account, error)
	// TouchAPIKeys sets last_used_at for each key id to the given time, in one
	// transaction, never moving a last_used_at backwards.
	TouchAPIKeys(ctx context.Context, usedAt map[int64]time.Time) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}

// ObjectStorage is the object store the services need (MinIO in production,
// an embedded S3-compatible server in dev mode).
type ObjectStorage interface {
	// Ping checks that the store answers and the bucket exists.
	Ping(ctx context.Context) error
}
