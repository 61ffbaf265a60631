package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// touchBatch bounds the keys per UPDATE in TouchAPIKeys (5 parameters each,
// far below the PostgreSQL and SQLite limits).
const touchBatch = 500

// Store keeps accounts and API keys in PostgreSQL or SQLite through GORM. It
// implements services.Store. The schema comes from the migrations in package
// database; Store never creates or alters tables.
type Store struct {
	db *gorm.DB
	// findKeyQuery is the SQL of FindAPIKeyByLookupHash in db's dialect.
	findKeyQuery string
}

// NewStore returns a Store on db (from database.DB.Gorm).
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, findKeyQuery: findKeyQuery(db.Name())}
}

// CreateAccount inserts a and returns it as stored. Empty Status becomes
// "active"; zero times become now. Returns ErrConflict when the id or e-mail
// is taken.
func (s *Store) CreateAccount(ctx context.Context, a Account) (Account, error) {
	row := accountToRow(a)
	if row.Status == "" {
		row.Status = AccountActive
	}
	now := nowUTC()
	if row.CreatedAt.IsZero() {
		row.CreatedAt = now
	}
	if row.UpdatedAt.IsZero() {
		row.UpdatedAt = row.CreatedAt
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&row).Error
	})
	if err != nil {
		return Account{}, fmt.Errorf("create account %s: %w", a.ID, translate(err))
	}
	return row.toAccount(), nil
}

// GetAccount returns the account with id, or ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, id string) (Account, error) {
	var row accountRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if err != nil {
		return Account{}, fmt.Errorf("get account %s: %w", id, translate(err))
	}
	return row.toAccount(), nil
}

// CreateAPIKey inserts k and returns it with its assigned ID. A zero
// CreatedAt becomes now. Returns ErrNotFound when the account does not exist
// and ErrConflict when the key or lookup hash is taken.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error) {
	row := apiKeyToRow(k)
	row.ID = 0
	if row.CreatedAt.IsZero() {
		row.CreatedAt = nowUTC()
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&row).Error
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("create api key for account %s: %w", k.AccountID, translate(err))
	}
	return row.toAPIKey(), nil
}

// ListAPIKeys returns the account's keys, oldest first, or ErrNotFound when
// the account does not exist.
func (s *Store) ListAPIKeys(ctx context.Context, accountID string) ([]APIKey, error) {
	var rows []apiKeyRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&accountRow{}).Where("id = ?", accountID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return tx.Where("account_id = ?", accountID).Order("created_at, id").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("list api keys of account %s: %w", accountID, translate(err))
	}
	keys := make([]APIKey, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, r.toAPIKey())
	}
	return keys, nil
}

// RevokeAPIKey sets revoked_at to at unless the key is already revoked (the
// first revocation time stays) and returns the key, or ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64, at time.Time) (APIKey, error) {
	var row apiKeyRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&apiKeyRow{}).
			Where("id = ? AND revoked_at IS NULL", id).
			Update("revoked_at", toDB(at)).Error
		if err != nil {
			return err
		}
		return tx.Where("id = ?", id).Take(&row).Error
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke api key %d: %w", id, translate(err))
	}
	return row.toAPIKey(), nil
}

// FindAPIKeyByLookupHash returns the key with that lookup hash and its
// account, read together in one indexed query, or ErrNotFound.
//
// This runs on every authenticated request, so it skips GORM's query
// builder, callbacks and reflection-based scanning (about a third of the
// server's CPU per verified validate when it went through them): one fixed,
// parameterised statement on GORM's connection pool, scanned straight into
// the row. pgx prepares it once per connection and reuses it.
func (s *Store) FindAPIKeyByLookupHash(ctx context.Context, lookupHash string) (APIKey, Account, error) {
	var r keyAccountRow
	err := s.db.Statement.ConnPool.QueryRowContext(ctx, s.findKeyQuery, lookupHash).Scan(
		&r.ID, &r.KeyHash, &r.LookupHash, &r.KeyHint, &r.AccountID, &r.Name,
		&r.CreatedAt, &r.LastUsedAt, &r.RevokedAt,
		&r.AccountEmail, &r.AccountCreatedAt, &r.AccountUpdatedAt,
		&r.AccountCreditsBalanceMicros, &r.AccountStatus)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return APIKey{}, Account{}, fmt.Errorf("find api key by lookup hash: %w", ErrNotFound)
	case err != nil:
		return APIKey{}, Account{}, fmt.Errorf("find api key by lookup hash: %w", translate(err))
	}
	return r.toAPIKey(), r.toAccount(), nil
}

// findKeyQuery is the lookup of FindAPIKeyByLookupHash with the placeholder
// of the dialect (GORM's name for it: "postgres" or "sqlite").
func findKeyQuery(dialect string) string {
	param := "?"
	if dialect == "postgres" {
		param = "$1"
	}
	return "SELECT " + keyAccountColumns +
		" FROM api_keys AS k JOIN accounts AS a ON a.id = k.account_id" +
		" WHERE k.lookup_hash = " + param + " LIMIT 1"
}

// TouchAPIKeys sets last_used_at of each key id to its time, in one
// transaction, never moving a last_used_at backwards. Unknown ids are ignored.
func (s *Store) TouchAPIKeys(ctx context.Context, usedAt map[int64]time.Time) error {
	if len(usedAt) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(usedAt))
	for id := range usedAt {
		ids = append(ids, id)
	}
	slices.Sort(ids) // a fixed order: concurrent flushes lock rows alike
	tsParam := "?"
	if s.db.Name() == "postgres" {
		tsParam = "CAST(? AS TIMESTAMPTZ)"
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for chunk := range slices.Chunk(ids, touchBatch) {
			query, args := touchQuery(chunk, usedAt, tsParam)
			if err := tx.Exec(query, args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("touch %d api keys: %w", len(ids), translate(err))
	}
	return nil
}

// touchQuery builds one guarded UPDATE for ids:
//
//	UPDATE api_keys SET last_used_at = CASE id WHEN ? THEN ? ... END
//	WHERE id IN (?, ...) AND (last_used_at IS NULL OR last_used_at < CASE id ... END)
func touchQuery(ids []int64, usedAt map[int64]time.Time, tsParam string) (string, []any) {
	var cases strings.Builder
	caseArgs := make([]any, 0, 2*len(ids))
	cases.WriteString("CASE id")
	for _, id := range ids {
		cases.WriteString(" WHEN ? THEN " + tsParam)
		caseArgs = append(caseArgs, id, toDB(usedAt[id]))
	}
	cases.WriteString(" END")
	in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")

	query := "UPDATE api_keys SET last_used_at = " + cases.String() +
		" WHERE id IN (" + in + ") AND (last_used_at IS NULL OR last_used_at < " + cases.String() + ")"
	args := make([]any, 0, 5*len(ids))
	args = append(args, caseArgs...)
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, caseArgs...)
	return query, args
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// translate maps driver errors to the store's errors: a missing row to
// ErrNotFound, a unique violation to ErrConflict and a foreign-key violation
// (only an API key of a missing account can cause one) to ErrNotFound.
// Other errors pass unchanged.
func translate(err error) error {
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		return err
	}
	switch constraintKind(err) {
	case uniqueViolation:
		return fmt.Errorf("%w (%s)", ErrConflict, constraintName(err))
	case foreignKeyViolation:
		return fmt.Errorf("%w (%s)", ErrNotFound, constraintName(err))
	}
	return err
}

// nowUTC is the current time as the database keeps it: UTC, microseconds.
func nowUTC() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
