package models

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// accountRow is one row of the accounts table.
type accountRow struct {
	ID                   string    `gorm:"column:id;primaryKey"`
	Email                string    `gorm:"column:email"`
	CreatedAt            time.Time `gorm:"column:created_at"`
	UpdatedAt            time.Time `gorm:"column:updated_at"`
	CreditsBalanceMicros int64     `gorm:"column:credits_balance_micros"`
	Status               string    `gorm:"column:status"`
}

// TableName tells GORM the table.
func (accountRow) TableName() string { return "accounts" }

// apiKeyRow is one row of the api_keys table.
type apiKeyRow struct {
	ID         int64          `gorm:"column:id;primaryKey;autoIncrement"`
	KeyHash    string         `gorm:"column:key_hash"`
	LookupHash string         `gorm:"column:lookup_hash"`
	KeyHint    string         `gorm:"column:key_hint"`
	AccountID  string         `gorm:"column:account_id"`
	Name       sql.NullString `gorm:"column:name"`
	CreatedAt  time.Time      `gorm:"column:created_at"`
	LastUsedAt sql.NullTime   `gorm:"column:last_used_at"`
	RevokedAt  sql.NullTime   `gorm:"column:revoked_at"`
}

// TableName tells GORM the table.
func (apiKeyRow) TableName() string { return "api_keys" }

// keyAccountRow is an api_keys row joined with its account
// (FindAPIKeyByLookupHash); keyAccountColumns selects its fields, in order.
type keyAccountRow struct {
	ID                          int64
	KeyHash                     string
	LookupHash                  string
	KeyHint                     string
	AccountID                   string
	Name                        sql.NullString
	CreatedAt                   time.Time
	LastUsedAt                  sql.NullTime
	RevokedAt                   sql.NullTime
	AccountEmail                string
	AccountCreatedAt            time.Time
	AccountUpdatedAt            time.Time
	AccountCreditsBalanceMicros int64
	AccountStatus               string
}

const keyAccountColumns = "k.id, k.key_hash, k.lookup_hash, k.key_hint, k.account_id, k.name, " +
	"k.created_at, k.last_used_at, k.revoked_at, " +
	"a.email AS account_email, a.created_at AS account_created_at, a.updated_at AS account_updated_at, " +
	"a.credits_balance_micros AS account_credits_balance_micros, a.status AS account_status"

func accountToRow(a Account) accountRow {
	return accountRow{
		ID:                   a.ID,
		Email:                a.Email,
		CreatedAt:            toDB(a.CreatedAt),
		UpdatedAt:            toDB(a.UpdatedAt),
		CreditsBalanceMicros: a.CreditsBalanceMicros,
		Status:               a.Status,
	}
}

func (r accountRow) toAccount() Account {
	return Account{
		ID:                   r.ID,
		Email:                r.Email,
		CreditsBalanceMicros: r.CreditsBalanceMicros,
		Status:               r.Status,
		CreatedAt:            fromDB(r.CreatedAt),
		UpdatedAt:            fromDB(r.UpdatedAt),
	}
}

func apiKeyToRow(k APIKey) apiKeyRow {
	return apiKeyRow{
		ID:         k.ID,
		KeyHash:    k.KeyHash,
		LookupHash: k.LookupHash,
		KeyHint:    k.KeyHint,
		AccountID:  k.AccountID,
		Name:       sql.NullString{String: k.Name, Valid: k.Name != ""},
		CreatedAt:  toDB(k.CreatedAt),
		LastUsedAt: nullTimeToDB(k.LastUsedAt),
		RevokedAt:  nullTimeToDB(k.RevokedAt),
	}
}

func (r apiKeyRow) toAPIKey() APIKey {
	return APIKey{
		ID:         r.ID,
		AccountID:  r.AccountID,
		Name:       r.Name.String,
		KeyHash:    r.KeyHash,
		LookupHash: r.LookupHash,
		KeyHint:    r.KeyHint,
		CreatedAt:  fromDB(r.CreatedAt),
		LastUsedAt: nullTimeFromDB(r.LastUsedAt),
		RevokedAt:  nullTimeFromDB(r.RevokedAt),
	}
}

func (r keyAccountRow) toAPIKey() APIKey {
	return apiKeyRow{
		ID: r.ID, KeyHash: r.KeyHash, LookupHash: r.LookupHash, KeyHint: r.KeyHint,
		AccountID: r.AccountID, Name: r.Name, CreatedAt: r.CreatedAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt,
	}.toAPIKey()
}

func (r keyAccountRow) toAccount() Account {
	return accountRow{
		ID: r.AccountID, Email: r.AccountEmail, CreatedAt: r.AccountCreatedAt,
		UpdatedAt: r.AccountUpdatedAt, CreditsBalanceMicros: r.AccountCreditsBalanceMicros,
		Status: r.AccountStatus,
	}.toAccount()
}

// toDB is t as stored: UTC, microsecond precision (PostgreSQL's), so that a
// record read back equals the one written.
func toDB(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fromDB is a stored time in UTC (pgx returns the session's zone).
func fromDB(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func nullTimeToDB(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: toDB(*t), Valid: true}
}

func nullTimeFromDB(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := fromDB(t.Time)
	return &v
}

// constraint is the kind of integrity constraint a write broke.
type constraint int

const (
	noViolation constraint = iota
	uniqueViolation
	foreignKeyViolation
)

// constraintKind classifies err from either driver (pgx or modernc sqlite).
func constraintKind(err error) constraint {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return uniqueViolation
		case "23503": // foreign_key_violation
			return foreignKeyViolation
		}
		return noViolation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
	}
	return noViolation
}

// constraintName names the broken constraint (PostgreSQL) or its columns
// (SQLite), for error messages. Values are never part of it.
func constraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		msg := liteErr.Error()
		if i := strings.Index(msg, "constraint failed: "); i >= 0 {
			rest := msg[i+len("constraint failed: "):]
			if j := strings.Index(rest, " ("); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
		return "foreign key"
	}
	return ""
}
