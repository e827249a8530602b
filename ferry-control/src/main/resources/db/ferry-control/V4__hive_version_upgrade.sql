-- Upgrades of the own database's metastore to a newer Hive version (upgradeHiveVersion). RUNNING until the switch,
-- SWITCHED from the switch's transaction on (which also moved the metastore's tables), then SUCCEEDED; FAILED when
-- it stopped before the switch (the live metastore as it was). At most one is RUNNING or SWITCHED.
CREATE TABLE hive_version_upgrade (
    id TEXT PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL,
    end_time TIMESTAMPTZ,
    state TEXT NOT NULL CHECK (state IN ('RUNNING', 'SWITCHED', 'SUCCEEDED', 'FAILED')),
    state_message TEXT NOT NULL DEFAULT '',
    from_schema_version TEXT NOT NULL,
    to_schema_version TEXT NOT NULL,
    to_hive_version TEXT NOT NULL,
    write_pause_millis BIGINT
);

CREATE UNIQUE INDEX hive_version_upgrade_one_live ON hive_version_upgrade ((TRUE)) WHERE state IN ('RUNNING', 'SWITCHED');
