-- Initial schema (Epic 1), SQLite form of ../postgres/000001_init.up.sql:
-- same tables, columns, constraints and cascades. Differences forced by SQLite:
-- times are TIMESTAMP (stored as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00",
-- which sorts chronologically), and ids are INTEGER PRIMARY KEY AUTOINCREMENT.
-- Foreign keys are enforced because every connection sets PRAGMA foreign_keys=ON.

CREATE TABLE accounts (
    id                     VARCHAR(255) PRIMARY KEY NOT NULL,
    email                  VARCHAR(255) NOT NULL UNIQUE,
    created_at             TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at             TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    credits_balance_micros BIGINT       NOT NULL DEFAULT 0,
    status                 VARCHAR(50)  NOT NULL DEFAULT 'active',
    CONSTRAINT accounts_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
);

CREATE TABLE users (
    id         VARCHAR(255) PRIMARY KEY NOT NULL,
    email      VARCHAR(255) NOT NULL UNIQUE,
    name       VARCHAR(255),
    clerk_id   VARCHAR(255) NOT NULL UNIQUE,
    created_at TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE account_memberships (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    VARCHAR(255) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       VARCHAR(50)  NOT NULL DEFAULT 'member',
    created_at TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    CONSTRAINT account_memberships_account_user_key UNIQUE (account_id, user_id),
    CONSTRAINT account_memberships_role_check CHECK (role IN ('owner', 'admin', 'member'))
);

CREATE INDEX idx_account_memberships_user_id ON account_memberships (user_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash     VARCHAR(255) NOT NULL UNIQUE,
    lookup_hash  VARCHAR(64)  NOT NULL UNIQUE,
    key_hint     VARCHAR(32)  NOT NULL,
    account_id   VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         VARCHAR(255),
    created_at   TIMESTAMP    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE INDEX idx_api_keys_account_id ON api_keys (account_id);
