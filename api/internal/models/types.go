// Package models is the data layer: the domain records of RGrid and the GORM
// store that keeps them in PostgreSQL (production, tests) or SQLite (dev mode).
// Callers see only the plain records below; GORM row types stay private.
package models

import (
	"errors"
	"time"
)

// Account statuses, as stored in accounts.status.
const (
	AccountActive    = "active"
	AccountSuspended = "suspended"
	AccountDeleted   = "deleted"
)

// Errors the store returns; callers test them with errors.Is.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint refused the write (duplicate e-mail, say).
	ErrConflict = errors.New("already exists")
)

// Account is a billing tenant (accounts table).
type Account struct {
	ID                   string // acct_ + random
	Email                string
	CreditsBalanceMicros int64
	Status               string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// APIKey is one API key of an account (api_keys table). The plaintext key is
// never part of it: only its bcrypt hash, its SHA-256 lookup hash and a hint.
type APIKey struct {
	ID         int64
	AccountID  string
	Name       string // optional friendly name; "" when none
	KeyHash    string // bcrypt, cost 12
	LookupHash string // hex SHA-256 of the full key, unique
	KeyHint    string // e.g. sk_live_…AbCd
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}
