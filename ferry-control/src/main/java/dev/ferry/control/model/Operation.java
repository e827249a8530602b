package dev.ferry.control.model;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A long-running operation. {@code target} is the resource it acts on (the service for start, complete and cancel;
 * the execution for delete); {@code execution} the migration execution it concerns.
 */
public record Operation(
        String id,
        Instant createTime,
        Optional<Instant> endTime,
        String target,
        Verb verb,
        String execution,
        boolean done,
        Optional<OperationError> error,
        String statusMessage,
        boolean requestedCancellation)
{
    /**
     * google.rpc.Status of a failed operation; {@code reason}, when known, is given in a google.rpc.ErrorInfo detail
     * (such as SOURCE_BINLOG_FORMAT), for scripts to act on without parsing the message.
     */
    public record OperationError(int code, String status, String message, Optional<String> reason)
    {
        public OperationError
        {
            requireNonNull(status, "status is null");
            requireNonNull(message, "message is null");
            requireNonNull(reason, "reason is null");
        }

        public OperationError(int code, String status, String message)
        {
            this(code, status, message, Optional.empty());
        }
    }

    public Operation
    {
        requireNonNull(id, "id is null");
        requireNonNull(createTime, "createTime is null");
        requireNonNull(endTime, "endTime is null");
        requireNonNull(target, "target is null");
        requireNonNull(verb, "verb is null");
        requireNonNull(execution, "execution is null");
        requireNonNull(error, "error is null");
        requireNonNull(statusMessage, "statusMessage is null");
    }
}
