-- Initial schema (Epic 1): accounts, users, account_memberships, api_keys.
-- api_keys.lookup_hash and api_keys.key_hint are the additions DESIGN.md
-- section 2 makes to the spec's table (bcrypt hashes cannot be looked up).

CREATE TABLE accounts (
    id                     VARCHAR(255) PRIMARY KEY,
    email                  VARCHAR(255) NOT NULL UNIQUE,
    created_at             TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at             TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    credits_balance_micros BIGINT       NOT NULL DEFAULT 0,
    status                 VARCHAR(50)  NOT NULL DEFAULT 'active',
    CONSTRAINT accounts_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
);

CREATE TABLE users (
    id         VARCHAR(255) PRIMARY KEY,
    email      VARCHAR(255) NOT NULL UNIQUE,
    name       VARCHAR(255),
    clerk_id   VARCHAR(255) NOT NULL UNIQUE,
    created_at TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

CREATE TABLE account_memberships (
    id         SERIAL PRIMARY KEY,
    account_id VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    VARCHAR(255) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       VARCHAR(50)  NOT NULL DEFAULT 'member',
    created_at TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    CONSTRAINT account_memberships_account_user_key UNIQUE (account_id, user_id),
    CONSTRAINT account_memberships_role_check CHECK (role IN ('owner', 'admin', 'member'))
);

CREATE INDEX idx_account_memberships_user_id ON account_memberships (user_id);

CREATE TABLE api_keys (
    id           BIGSERIAL PRIMARY KEY,
    key_hash     VARCHAR(255) NOT NULL UNIQUE,
    lookup_hash  VARCHAR(64)  NOT NULL UNIQUE,
    key_hint     VARCHAR(32)  NOT NULL,
    account_id   VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         VARCHAR(255),
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- key_hash and lookup_hash are indexed by their UNIQUE constraints.
CREATE INDEX idx_api_keys_account_id ON api_keys (account_id);
