package dev.ferry.control.model;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The service and the one durable record of which backend the front serves from: the own database, or the
 * source of the execution {@code backendExecution}; every switch raises {@code generation}.
 */
public record ServiceRecord(
        String uid,
        Instant createTime,
        Instant updateTime,
        ServiceState state,
        String stateMessage,
        Backend backend,
        Optional<String> backendExecution,
        long generation)
{
    public enum Backend
    {
        OWN,
        SOURCE,
    }

    public ServiceRecord
    {
        requireNonNull(uid, "uid is null");
        requireNonNull(createTime, "createTime is null");
        requireNonNull(updateTime, "updateTime is null");
        requireNonNull(state, "state is null");
        requireNonNull(stateMessage, "stateMessage is null");
        requireNonNull(backend, "backend is null");
        requireNonNull(backendExecution, "backendExecution is null");
    }
}
