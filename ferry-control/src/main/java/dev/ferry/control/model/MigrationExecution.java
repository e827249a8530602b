package dev.ferry.control.model;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** A migration execution as the control store keeps it; its config carries no passwords. */
public record MigrationExecution(
        String id,
        Instant createTime,
        Optional<Instant> endTime,
        ExecutionState state,
        Phase phase,
        String stateMessage,
        MigrationConfig config,
        Optional<Long> writePauseMillis)
{
    public MigrationExecution
    {
        requireNonNull(id, "id is null");
        requireNonNull(createTime, "createTime is null");
        requireNonNull(endTime, "endTime is null");
        requireNonNull(state, "state is null");
        requireNonNull(phase, "phase is null");
        requireNonNull(stateMessage, "stateMessage is null");
        requireNonNull(config, "config is null");
        requireNonNull(writePauseMillis, "writePauseMillis is null");
    }
}
