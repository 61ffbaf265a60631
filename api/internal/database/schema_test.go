package database

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemaConstraints checks the spec's constraints, defaults and cascades
// directly in SQL, in both dialects.
func TestSchemaConstraints(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := mustOpen(t, d, Options{})
			require.NoError(t, db.MigrateUp(ctx))
			g := db.Gorm().WithContext(ctx)
			exec := func(q string, args ...any) error { return g.Exec(q, args...).Error }
			count := func(q string, args ...any) int64 {
				var n int64
				require.NoError(t, g.Raw(q, args...).Scan(&n).Error)
				return n
			}

			require.NoError(t, exec(`INSERT INTO accounts (id, email) VALUES ('acct_1', 'a@x.io'), ('acct_2', 'b@x.io')`))
			require.NoError(t, exec(`INSERT INTO users (id, email, clerk_id) VALUES ('user_1', 'u1@x.io', 'ck_1'), ('user_2', 'u2@x.io', 'ck_2')`))
			require.NoError(t, exec(`INSERT INTO account_memberships (account_id, user_id) VALUES ('acct_1', 'user_1'), ('acct_2', 'user_1'), ('acct_2', 'user_2')`))
			require.NoError(t, exec(`INSERT INTO api_keys (key_hash, lookup_hash, key_hint, account_id) VALUES ('h1', 'l1', 'sk_live_…0001', 'acct_1'), ('h2', 'l2', 'sk_live_…0002', 'acct_2')`))

			t.Run("defaults", func(t *testing.T) {
				var a struct {
					Status               string
					CreditsBalanceMicros int64
					CreatedAt            time.Time
					UpdatedAt            time.Time
				}
				require.NoError(t, g.Raw(`SELECT status, credits_balance_micros, created_at, updated_at FROM accounts WHERE id = 'acct_1'`).Scan(&a).Error)
				assert.Equal(t, "active", a.Status)
				assert.Zero(t, a.CreditsBalanceMicros)
				assert.WithinDuration(t, time.Now(), a.CreatedAt, time.Minute)
				assert.WithinDuration(t, time.Now(), a.UpdatedAt, time.Minute)
				var role string
				require.NoError(t, g.Raw(`SELECT role FROM account_memberships WHERE account_id = 'acct_1'`).Scan(&role).Error)
				assert.Equal(t, "member", role)
				assert.Equal(t, int64(2), count(`SELECT COUNT(*) FROM api_keys WHERE created_at IS NOT NULL AND last_used_at IS NULL AND revoked_at IS NULL AND name IS NULL`))
			})

			refused := []struct{ name, sql string }{
				{"account status outside the list", `INSERT INTO accounts (id, email, status) VALUES ('acct_3', 'c@x.io', 'frozen')`},
				{"duplicate account e-mail", `INSERT INTO accounts (id, email) VALUES ('acct_3', 'a@x.io')`},
				{"account without e-mail", `INSERT INTO accounts (id) VALUES ('acct_3')`},
				{"duplicate user e-mail", `INSERT INTO users (id, email, clerk_id) VALUES ('user_3', 'u1@x.io', 'ck_3')`},
				{"duplicate clerk id", `INSERT INTO users (id, email, clerk_id) VALUES ('user_3', 'u3@x.io', 'ck_1')`},
				{"user without clerk id", `INSERT INTO users (id, email) VALUES ('user_3', 'u3@x.io')`},
				{"membership role outside the list", `INSERT INTO account_memberships (account_id, user_id, role) VALUES ('acct_1', 'user_2', 'guest')`},
				{"duplicate membership", `INSERT INTO account_memberships (account_id, user_id, role) VALUES ('acct_1', 'user_1', 'admin')`},
				{"membership of unknown account", `INSERT INTO account_memberships (account_id, user_id) VALUES ('acct_9', 'user_1')`},
				{"membership of unknown user", `INSERT INTO account_memberships (account_id, user_id) VALUES ('acct_1', 'user_9')`},
				{"duplicate key hash", `INSERT INTO api_keys (key_hash, lookup_hash, key_hint, account_id) VALUES ('h1', 'l9', 'x', 'acct_1')`},
				{"duplicate lookup hash", `INSERT INTO api_keys (key_hash, lookup_hash, key_hint, account_id) VALUES ('h9', 'l1', 'x', 'acct_1')`},
				{"key without hint", `INSERT INTO api_keys (key_hash, lookup_hash, account_id) VALUES ('h9', 'l9', 'acct_1')`},
				{"key of unknown account", `INSERT INTO api_keys (key_hash, lookup_hash, key_hint, account_id) VALUES ('h9', 'l9', 'x', 'acct_9')`},
			}
			for _, tt := range refused {
				t.Run("refuses "+tt.name, func(t *testing.T) {
					assert.Error(t, exec(tt.sql))
				})
			}

			t.Run("allowed values", func(t *testing.T) {
				for _, s := range []string{"suspended", "deleted", "active"} {
					require.NoError(t, exec(`UPDATE accounts SET status = ? WHERE id = 'acct_2'`, s))
				}
				for _, r := range []string{"owner", "admin", "member"} {
					require.NoError(t, exec(`UPDATE account_memberships SET role = ? WHERE account_id = 'acct_2' AND user_id = 'user_2'`, r))
				}
				require.NoError(t, exec(`UPDATE accounts SET credits_balance_micros = ? WHERE id = 'acct_2'`, int64(9_000_000_000_000_000)))
			})

			t.Run("deleting a user deletes its memberships", func(t *testing.T) {
				require.NoError(t, exec(`DELETE FROM users WHERE id = 'user_2'`))
				assert.Zero(t, count(`SELECT COUNT(*) FROM account_memberships WHERE user_id = 'user_2'`))
				assert.Equal(t, int64(2), count(`SELECT COUNT(*) FROM account_memberships`))
			})
			t.Run("deleting an account deletes its memberships and keys only", func(t *testing.T) {
				require.NoError(t, exec(`DELETE FROM accounts WHERE id = 'acct_1'`))
				assert.Zero(t, count(`SELECT COUNT(*) FROM api_keys WHERE account_id = 'acct_1'`))
				assert.Zero(t, count(`SELECT COUNT(*) FROM account_memberships WHERE account_id = 'acct_1'`))
				assert.Equal(t, int64(1), count(`SELECT COUNT(*) FROM api_keys`))
				assert.Equal(t, int64(1), count(`SELECT COUNT(*) FROM account_memberships`))
				assert.Equal(t, int64(1), count(`SELECT COUNT(*) FROM users`), "users outlive their accounts")
			})
			t.Run("api_keys.account_id is indexed", func(t *testing.T) {
				q := `SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'api_keys' AND indexdef LIKE '%(account_id)%'`
				if d == SQLite {
					q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'api_keys' AND sql LIKE '%(account_id)%'`
				}
				assert.Equal(t, int64(1), count(q))
			})
		})
	}
}
