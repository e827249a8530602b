-- Switching replicas together (docs/ARCHITECTURE.md, "Replicas"). A switch of the service's backend (startMigration,
-- cancelMigration, completeMigration) goes through a barrier row: the replica that switches announces the generation
-- it will record (PREPARE: the others start an engine on the new backend and say so in ready_generation), holds the
-- others' writes (HOLD: each holds and drains its writes, then says so in held_generation), and records the switch
-- in the transaction that moves the barrier to COMMITTED, which checks that every live replica holds. ABORTED
-- releases them on the old backend: the switching replica aborts, or any replica once hold_deadline has passed.
CREATE TABLE switch_barrier (
    generation BIGINT PRIMARY KEY,
    leader TEXT NOT NULL,
    -- OWN or SOURCE, and for SOURCE the migration execution whose source it is.
    backend TEXT NOT NULL,
    backend_execution TEXT,
    -- PREPARE, HOLD, COMMITTED, ABORTED
    state TEXT NOT NULL,
    create_time TIMESTAMPTZ NOT NULL DEFAULT now(),
    hold_deadline TIMESTAMPTZ,
    detail TEXT NOT NULL DEFAULT ''
);

ALTER TABLE replica ADD COLUMN ready_generation BIGINT NOT NULL DEFAULT 0, ADD COLUMN held_generation BIGINT NOT NULL DEFAULT 0;

-- The data directory (machine:path) of the replica that runs the service's migration work: the operations of
-- startMigration, cancelMigration and completeMigration, and replication. Empty: whichever replica takes the next.
ALTER TABLE service ADD COLUMN runner TEXT NOT NULL DEFAULT '';
