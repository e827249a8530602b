-- The replication lease (issue 16): the one row says which replica may run replication. Each acquisition moves
-- epoch up by one; replication checks its epoch in every own-database transaction before it commits (the write
-- fence), holding the row FOR KEY SHARE, so a replica that lost the lease cannot commit once another took it.
-- holder is NULL when no replica holds it. Times are the database's.
CREATE TABLE coordinator_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT,
    epoch BIGINT NOT NULL,
    acquire_time TIMESTAMPTZ,
    expire_time TIMESTAMPTZ NOT NULL
);

INSERT INTO coordinator_lease VALUES (1, NULL, 0, NULL, now());
