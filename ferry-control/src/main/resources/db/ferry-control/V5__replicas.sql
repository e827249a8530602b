-- Replicas: the ferry serve processes that share this control store. Each registers when it starts and heartbeats
-- while it runs; the service row keeps the service name and a check of the encryption key, which every replica of
-- one service must share (the passwords of a migration are sealed with it).

ALTER TABLE service ADD COLUMN name TEXT, ADD COLUMN key_check TEXT;

CREATE TABLE replica (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    endpoint_uri TEXT NOT NULL,
    http_uri TEXT NOT NULL,
    version TEXT NOT NULL,
    -- The machine's host name and the data directory: a replica that takes a data directory (its lock) ends every
    -- earlier replica of that directory on that machine, which died without a clean stop.
    data_directory TEXT NOT NULL,
    start_time TIMESTAMPTZ NOT NULL,
    last_seen_time TIMESTAMPTZ NOT NULL,
    -- STARTING, SERVING, STOPPING, STOPPED
    state TEXT NOT NULL,
    -- What the replica's front serves from: OWN, or SOURCE; the write gate: OPEN or HOLDING.
    backend TEXT NOT NULL DEFAULT '',
    gate TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
