package dev.ferry.control.model;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An upgrade of the own database's metastore (and of the engine serving it) to a newer Hive version: from one
 * metastore schema version to another, with the write pause of its switch once it switched.
 */
public record HiveVersionUpgrade(
        String id,
        Instant createTime,
        Optional<Instant> endTime,
        State state,
        String stateMessage,
        String fromSchemaVersion,
        String toSchemaVersion,
        String toHiveVersion,
        Optional<Long> writePauseMillis)
{
    /** RUNNING until the switch; SWITCHED is written in the switch's own transaction. */
    public enum State
    {
        RUNNING,
        SWITCHED,
        SUCCEEDED,
        FAILED;

        public boolean terminal()
        {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    public HiveVersionUpgrade
    {
        requireNonNull(id, "id is null");
        requireNonNull(createTime, "createTime is null");
        requireNonNull(endTime, "endTime is null");
        requireNonNull(state, "state is null");
        requireNonNull(stateMessage, "stateMessage is null");
        requireNonNull(fromSchemaVersion, "fromSchemaVersion is null");
        requireNonNull(toSchemaVersion, "toSchemaVersion is null");
        requireNonNull(toHiveVersion, "toHiveVersion is null");
        requireNonNull(writePauseMillis, "writePauseMillis is null");
    }
}
