-- Replication's progress as the replica running the migration last published it (every second, the execution's
-- `replication` block of the API), so that every replica shows it and can accept completeMigration, which needs the
-- backfill done.
ALTER TABLE migration_execution ADD COLUMN replication_view TEXT, ADD COLUMN replication_view_time TIMESTAMPTZ;
