package dev.ferry.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Verb;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStoreException;
import dev.ferry.control.store.SwitchBarrier;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.replication.Replication;
import dev.ferry.replication.ReplicationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The records of long-running operations and what every job of the control plane shares about them: the idempotency
 * of requestIds, progress and the end of an operation, and how a failure is reported (a google.rpc.Status, with the
 * reason of a replication failure).
 */
final class Operations
{
    private static final Logger log = LoggerFactory.getLogger(Operations.class);

    private final ControlStore store;
    private final ControlPlane.Settings settings;
    private final Function<String, Optional<Replication.Status>> replicationStatus;

    Operations(ControlStore store, ControlPlane.Settings settings, Function<String, Optional<Replication.Status>> replicationStatus)
    {
        this.store = requireNonNull(store, "store is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.replicationStatus = requireNonNull(replicationStatus, "replicationStatus is null");
    }

    /**
     * The Operation a repeated requestId started, if it was used before for the same method; a requestId reused
     * for another method is refused, rather than answered with an operation of another kind.
     */
    Optional<ControlPlane.Accepted> repeated(Connection connection, Optional<UUID> requestId, String method)
            throws SQLException
    {
        if (requestId.isEmpty()) {
            return Optional.empty();
        }
        ControlStore.lockRequests(connection);
        Optional<ControlStore.SeenRequest> seen = ControlStore.seenRequest(connection, requestId.get(), settings.requestIdWindow());
        if (seen.isEmpty()) {
            return Optional.empty();
        }
        if (!seen.get().method().equals(method)) {
            throw new ControlException(ErrorCode.ALREADY_EXISTS, "requestId %s was already used for %s; use a new UUID for each request".formatted(requestId.get(), seen.get().method()));
        }
        return ControlStore.operation(connection, seen.get().operation()).map(found -> new ControlPlane.Accepted(found, true));
    }

    static Operation newOperation(Instant now, String target, Verb verb, String execution, String statusMessage)
    {
        String id = "operation-%s-%s".formatted(now.toEpochMilli(), UUID.randomUUID().toString().substring(0, 13));
        return new Operation(id, now, Optional.empty(), target, verb, execution, false, Optional.empty(), statusMessage, false);
    }

    /** The operation's status message while it runs. */
    void progress(String operationId, String message)
    {
        store.inTransaction(connection -> {
            ControlStore.updateOperationStatus(connection, operationId, message);
            return null;
        });
    }

    void finishOperation(String operationId, Optional<String> response, Optional<Operation.OperationError> error, String statusMessage)
    {
        store.inTransaction(connection -> {
            ControlStore.finishOperation(connection, operationId, response, error, statusMessage);
            return null;
        });
    }

    /** Finishes an operation whose work a restart found already done (or made moot) as the execution stands. */
    void finishAsItStands(String operationId, MigrationExecution execution)
    {
        if (execution.state() == ExecutionState.FAILED) {
            finishOperation(operationId, Optional.empty(), Optional.of(error(ErrorCode.FAILED_PRECONDITION, execution.stateMessage())), "failed");
        }
        else {
            finishOperation(operationId, Optional.of(Views.executionResponse(settings.name(), execution, replicationStatus.apply(execution.id())).toString()), Optional.empty(),
                    execution.state().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Records a failure: runs {@code write} with a function it passes every message through, first as they are, then,
     * if the control store refused that (a message quoting a NUL from a source server, say), once more with every
     * control character stripped, so that an execution never stays STARTING or CANCELLING because its error could
     * not be written. A second failure is logged (the store itself is then unavailable; a restart resumes the
     * operation).
     */
    static void recordFailure(String executionId, Consumer<UnaryOperator<String>> write)
    {
        try {
            write.accept(UnaryOperator.identity());
            return;
        }
        catch (RuntimeException e) {
            log.warn("Migration execution {}: recording its failure failed ({}); recording it without control characters", executionId, Text.escaped(e.getMessage()));
        }
        try {
            write.accept(Text::withoutControlCharacters);
        }
        catch (RuntimeException e) {
            log.error("Migration execution {}: could not record its failure: {}", executionId, Text.escaped(e.getMessage()), e);
        }
    }

    /** {@code error} with its message passed through {@code clean}. */
    static Operation.OperationError cleaned(Operation.OperationError error, UnaryOperator<String> clean)
    {
        return new Operation.OperationError(error.code(), error.status(), clean.apply(error.message()), error.reason());
    }

    static Operation.OperationError error(ErrorCode code, String message)
    {
        return new Operation.OperationError(code.rpcCode(), code.statusName(), message);
    }

    static ErrorCode errorCodeOf(RuntimeException failure)
    {
        return ErrorCode.valueOf(errorOf(failure).status());
    }

    /** The Operation error a failure is reported with: the user's problems as FAILED_PRECONDITION/UNAVAILABLE. */
    static Operation.OperationError errorOf(RuntimeException failure)
    {
        if (failure instanceof ReplicationException replicationFailure) {
            ErrorCode code = switch (replicationFailure.reason()) {
                case SOURCE_UNREACHABLE, OWN_DATABASE_UNAVAILABLE, STAGING_UNAVAILABLE -> ErrorCode.UNAVAILABLE;
                case SOURCE_ACCESS_DENIED, SOURCE_VERSION_UNSUPPORTED, SOURCE_BINLOG_OFF, SOURCE_BINLOG_FORMAT, SOURCE_BINLOG_ROW_IMAGE, SOURCE_GTID_MODE,
                        SOURCE_PRIVILEGES_MISSING, SOURCE_SCHEMA_VERSION_MISMATCH, SOURCE_SCHEMA_VERSION_UNSUPPORTED, SOURCE_SCHEMA_INCOMPLETE,
                        SOURCE_BINLOG_PURGED, OWN_DATABASE_NOT_EMPTY, VERIFICATION_FAILED -> ErrorCode.FAILED_PRECONDITION;
                case FENCED -> ErrorCode.ABORTED;
                case INTERNAL -> ErrorCode.INTERNAL;
            };
            return new Operation.OperationError(code.rpcCode(), code.statusName(), replicationFailure.getMessage(), Optional.of(replicationFailure.reason().name()));
        }
        if (failure instanceof EngineException) {
            return error(ErrorCode.UNAVAILABLE, "cannot start an engine on the source database: " + failure.getMessage());
        }
        if (failure instanceof ControlException control) {
            return error(control.code(), control.getMessage());
        }
        if (failure instanceof SwitchBarrier.NotHeld) {
            return error(ErrorCode.ABORTED, "the other replicas did not hold their writes for the switch: " + failure.getMessage());
        }
        if (failure instanceof ControlStoreException) {
            return error(ErrorCode.UNAVAILABLE, failure.getMessage());
        }
        return error(ErrorCode.INTERNAL, failure.getMessage() == null ? failure.toString() : failure.getMessage());
    }

}
