-- Ferry's control store: the service and its backend record, migration executions, long-running operations,
-- request ids for idempotency, and API tokens. Changed only by new versioned scripts, never by editing this one.

CREATE TABLE service (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    uid TEXT NOT NULL,
    create_time TIMESTAMPTZ NOT NULL,
    update_time TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    state_message TEXT NOT NULL DEFAULT '',
    -- Which database the Thrift front serves from: OWN, or SOURCE of backend_execution. Raised on every switch.
    backend TEXT NOT NULL CHECK (backend IN ('OWN', 'SOURCE')),
    backend_execution TEXT,
    generation BIGINT NOT NULL
);

CREATE TABLE migration_execution (
    id TEXT PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL,
    end_time TIMESTAMPTZ,
    state TEXT NOT NULL,
    phase TEXT NOT NULL,
    state_message TEXT NOT NULL DEFAULT '',
    -- cloudSqlMigrationConfig without its passwords; those are in the two columns below, AES-GCM encrypted.
    config TEXT NOT NULL,
    connection_password BYTEA NOT NULL,
    cdc_password BYTEA NOT NULL,
    write_pause_millis BIGINT
);

-- Only one migration per service at a time, enforced where no race can get past it.
CREATE UNIQUE INDEX migration_execution_one_live ON migration_execution ((TRUE))
    WHERE state IN ('STARTING', 'RUNNING', 'CANCELLING', 'AWAITING_USER_ACTION');

CREATE TABLE operation (
    id TEXT PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL,
    end_time TIMESTAMPTZ,
    target TEXT NOT NULL,
    verb TEXT NOT NULL,
    execution TEXT NOT NULL,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    error_code INTEGER,
    error_status TEXT,
    error_message TEXT,
    -- The resource the operation resulted in, rendered when it finished (no passwords: they are never rendered).
    response TEXT,
    status_message TEXT NOT NULL DEFAULT '',
    requested_cancellation BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE request (
    request_id UUID PRIMARY KEY,
    method TEXT NOT NULL,
    operation TEXT NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    create_time TIMESTAMPTZ NOT NULL
);

CREATE TABLE token (
    id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    -- SHA-256 of the token, hex; the token itself is shown once, when created.
    token_hash TEXT NOT NULL UNIQUE,
    create_time TIMESTAMPTZ NOT NULL,
    revoke_time TIMESTAMPTZ
);
