package dev.ferry.control;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.ferry.control.ControlPlane.CutoverStep;
import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.model.ServiceState;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.SwitchBarrier;
import dev.ferry.engine.Engine;
import dev.ferry.front.Router;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.Replication;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.verify.VerificationReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The cutover of completeMigration (docs/DESIGN.md, "Cutover"), and its end after a restart. Runs on the control
 * plane's worker thread; the intake of completeMigration is the control plane's.
 */
final class Cutover
{
    private static final Logger log = LoggerFactory.getLogger(Cutover.class);

    private final ControlStore store;
    private final ServiceName name;
    private final Optional<ControlPlane.CutoverStep> pauseAt;
    private final ReplicationSupervisor supervisor;
    private final Operations operations;
    private final Map<String, Views.Verification> verifications;
    private final Supplier<Router> router;
    private final Consumer<Runnable> worker;
    private final BooleanSupplier closed;
    private final String replicaId;
    private final Duration deadAfter;
    private final Duration prepareTimeout;

    Cutover(ControlStore store, ControlPlane.Settings settings, ReplicationSupervisor supervisor, Operations operations,
            Map<String, Views.Verification> verifications, Supplier<Router> router, Consumer<Runnable> worker, BooleanSupplier closed)
    {
        this.store = requireNonNull(store, "store is null");
        this.name = settings.name();
        this.pauseAt = settings.pauseAt();
        this.supervisor = requireNonNull(supervisor, "supervisor is null");
        this.operations = requireNonNull(operations, "operations is null");
        this.verifications = requireNonNull(verifications, "verifications is null");
        this.router = requireNonNull(router, "router is null");
        this.worker = requireNonNull(worker, "worker is null");
        this.closed = requireNonNull(closed, "closed is null");
        this.replicaId = settings.replicaId();
        this.deadAfter = settings.replicaDeadAfter();
        this.prepareTimeout = settings.switchPrepareTimeout();
    }

    /**
     * A cutover a restart interrupted: past the switch record it finishes (SUCCEEDED); before it, the execution
     * goes back to REPLICATION, serving from the source, and the operation ends with the error.
     */
    void resume(Operation operation)
    {
        ServiceRecord service = store.service();
        MigrationExecution execution = store.execution(operation.execution()).orElseThrow();
        if (execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.CUTOVER && service.backend() == ServiceRecord.Backend.OWN) {
            log.info("Migration execution {}: the switch to the own database was recorded before the restart; finishing the cutover", execution.id());
            // A fence the cutover held ended with the process's sessions.
            worker.accept(() -> finish(execution.id(), operation.id(), -1, null, "finished after a restart"));
            return;
        }
        if (execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.CUTOVER) {
            String message = "cutover interrupted before the switch: the replica running it stopped (restarted, or another replica took the migration over); serving from the source again: call completeMigration again";
            store.inTransaction(connection -> {
                ControlStore.changePhase(connection, execution.id(), ExecutionState.RUNNING, Phase.CUTOVER, Phase.REPLICATION, message);
                ControlStore.finishOperation(connection, operation.id(), Optional.empty(), Optional.of(Operations.error(ErrorCode.ABORTED, message)), "aborted");
                return null;
            });
            log.warn("Migration execution {}: {}", execution.id(), message);
            return;
        }
        operations.finishAsItStands(operation.id(), execution);
    }

    /**
     * How long a cutover waits, writes flowing, for a moment with no write in flight to hold writes at, and how
     * many times (with a verify of what changed between tries) before it holds them anyway.
     */
    private static final Duration HOLD_PATIENCE = Duration.ofSeconds(1);
    private static final int HOLD_ATTEMPTS = 5;
    /** How far back the gate must have seen a moment without a write in flight for the hold to wait for the next one. */
    private static final Duration IDLE_LOOKBACK = Duration.ofSeconds(3);

    /**
     * The least time between the fence and the last check for other writers on the source. Detecting a metastore
     * still running against the source needs it to commit in that window; the cutover's own steps after the fence
     * take about 50 ms, shorter than the gap between two commits of a busy metastore.
     */
    private static final Duration OTHER_WRITER_WINDOW = Duration.ofMillis(150);
    /** Bound on waiting for the held writes to run on the new engine before replication stops and the old engine closes. */
    private static final Duration HELD_WRITES_WAIT = Duration.ofSeconds(2);

    /**
     * How long fencing the source waits for transactions that wrote the metastore's tables (Ferry's own have finished
     * by then: any left are another metastore's).
     */
    private static final Duration FENCE_WAIT = Duration.ofSeconds(1);

    /** A verify ahead of the fence this quick leaves too little changed behind it for another pass to pay. */
    private static final Duration VERIFY_AHEAD_ENOUGH = Duration.ofMillis(100);

    /** Why a cutover went back to REPLICATION: the message for the user, with the code. */
    private static final class CutoverAborted
            extends RuntimeException
    {
        private final ErrorCode code;

        CutoverAborted(ErrorCode code, String message)
        {
            super(message);
            this.code = code;
        }
    }

    /**
     * docs/DESIGN.md "Cutover": engine B warmed, writes held and drained, fence, drain, verify, finalize, check for other
     * writers, the switch recorded, the front on B, writes released, capture stopped. Anything failing before the
     * switch record goes back to REPLICATION serving from the source; after it, only forward.
     */
    void run(String id, String operationId)
    {
        if (closed.getAsBoolean()) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() != ExecutionState.RUNNING || execution.phase() != Phase.CUTOVER) {
            operations.finishAsItStands(operationId, execution);
            return;
        }
        Replication current = supervisor.running(id).orElse(null);
        Engine own = null;
        boolean held = false;
        long heldAt = 0;
        Optional<SourceDialect.SourceFence> sourceFence = Optional.empty();
        ReplicaSwitch barrier = null;
        try {
            if (current == null) {
                throw new CutoverAborted(ErrorCode.FAILED_PRECONDITION, "replication of migration execution %s is not running".formatted(id));
            }
            operations.progress(operationId, "taking the engine on the own database started while the migration streamed");
            StepTimer steps = new StepTimer();
            // The other replicas start their engines on the own database while this one verifies ahead.
            barrier = ReplicaSwitch.announce(store, replicaId, deadAfter, ServiceRecord.Backend.OWN, Optional.empty());
            own = supervisor.ownEngineForCutover(id);
            steps.lap("engine");
            // The background verify and foreign key restore of streaming stop here; what they were doing is finished.
            current.pauseMaintenance();
            steps.lap("maintenance");
            // What can be done while writes flow is done before they are held: the foreign keys (validated over
            // every row), a verify of every table, and a second verify of what changed during the first. The verify
            // at the fence then compares only what changed since the second began.
            operations.progress(operationId, "restoring foreign keys and verifying ahead of the fence");
            current.restoreForeignKeysWhileStreaming();
            steps.lap("foreign keys");
            // The other replicas' engines before the verify passes: what changes while they start (seconds) is then
            // compared by those passes, not by the verify under the hold.
            operations.progress(operationId, "waiting for the other replicas to start their engines on the own database");
            barrier.awaitReady(prepareTimeout);
            steps.lap("replicas ready");
            operations.progress(operationId, "verifying ahead of the fence");
            // The fence's connections first: what changes while they open (hundreds of ms) is then compared by the
            // passes ahead of the fence, not by the verify under the hold.
            current.prepareFence();
            steps.lap("connections");
            log.info("Migration execution {}: verify ahead of the fence: {}", id, current.verifyAhead().summary());
            steps.lap("verify ahead");
            // Each pass compares what changed while the previous one ran; the verify at the fence compares what
            // changed during the last, so passes go on while they shrink, a few at most.
            for (int pass = 2; pass <= 4; pass++) {
                VerificationReport ahead = current.verifyAhead();
                log.info("Migration execution {}: verify ahead of the fence, pass {}, what changed: {}", id, pass, ahead.summary());
                if (ahead.elapsed().compareTo(VERIFY_AHEAD_ENOUGH) <= 0) {
                    break;
                }
            }
            steps.lap("verify ahead again");
            Duration bound = router.get().gate().holdBound();
            operations.progress(operationId, "holding writes");
            // At a moment with no write in flight if one comes soon: then no write that arrives under the hold waits
            // for another to finish on the source first. Between tries, what changed meanwhile is verified, so that
            // the verify under the hold stays small.
            // Writers that left no such moment in the last seconds (each calls again as soon as a call returns) would not
            // leave one now: trying would only make completeMigration seconds longer.
            boolean idle = false;
            int attempts = 0;
            while (!idle && attempts < HOLD_ATTEMPTS && router.get().gate().idleWithin(IDLE_LOOKBACK)) {
                if (attempts++ > 0) {
                    current.verifyAhead();
                }
                idle = router.get().gate().holdWritesIfIdleWithin(HOLD_PATIENCE);
            }
            if (!idle) {
                router.get().gate().holdWrites();
                log.info("Migration execution {}: writes held with writes in flight (no moment without one in {} tries of {} ms, none in the {} s before)", id,
                        attempts, HOLD_PATIENCE.toMillis(), IDLE_LOOKBACK.toSeconds());
            }
            held = true;
            heldAt = System.nanoTime();
            steps.lap("hold");
            Optional<String> late = awaitWritesInFlight(router.get().gate());
            if (late.isPresent()) {
                throw new CutoverAborted(ErrorCode.ABORTED, late.get());
            }
            steps.lap("in-flight");
            barrier.holdOthers(bound, bound.dividedBy(4));
            steps.lap("replicas hold");
            // With the source fenced, no other metastore can write its tables until the switch: the check for other
            // writers is then a guarantee, not a watch.
            sourceFence = current.fenceSource(FENCE_WAIT);
            boolean fenced = sourceFence.isPresent();
            steps.lap("fence source");
            SourcePosition fence = current.sourcePosition();
            long fencedAt = System.nanoTime();
            steps.lap("fence");
            log.info("Migration execution {}: writes held, fence {}", id, fence);
            Duration left = bound.minus(Duration.ofNanos(System.nanoTime() - heldAt)).minus(bound.dividedBy(4));
            if (!current.drainTo(fence, left.isNegative() ? Duration.ZERO : left)) {
                throw new CutoverAborted(ErrorCode.ABORTED, "replication did not apply up to the fence %s within the write hold bound %s ms; lag %s ms"
                        .formatted(fence, bound.toMillis(), current.status().lagMillis().map(String::valueOf).orElse("unknown")));
            }
            steps.lap("drain");
            if (!fenced) {
                abortIfWrittenAfter(current, fence);
                steps.lap("check");
            }
            // Verify and finalize run at once; the switch is recorded in finalize's transaction, which commits only if
            // verify found the own database identical: the raised id generators and the record commit together, or
            // neither does (an abort leaves the own database as apply made it, so the next completeMigration verifies
            // equal). From the commit on only forward.
            long[] generation = new long[1];
            ReplicaSwitch switching = barrier;
            try {
                current.verifyAndFinalize(connection -> {
                    steps.lap("verify+finalize");
                    // Verify found the two identical (or this would not run): its report is the one just made.
                    current.lastVerification().ifPresent(report -> verifications.put(id, new Views.Verification(Instant.now(), report)));
                    if (!fenced) {
                        // Not fenced: the source is watched for other writers for at least OTHER_WRITER_WINDOW after
                        // the fence: a cutover quicker than another metastore's gap between two commits would not see it.
                        uninterrupted(() -> {
                            long wait = OTHER_WRITER_WINDOW.toNanos() - (System.nanoTime() - fencedAt);
                            if (wait > 0) {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            }
                            abortIfWrittenAfter(current, fence);
                        });
                        steps.lap("check");
                    }
                    uninterrupted(() -> reached(CutoverStep.BEFORE_SWITCH_RECORD));
                    connection.setSchema(ControlStore.SCHEMA);
                    switching.commit(connection);
                    generation[0] = ControlStore.switchBackend(connection, ServiceRecord.Backend.OWN, Optional.empty());
                });
            }
            catch (Replication.DifferencesAtFence e) {
                verifications.put(id, new Views.Verification(Instant.now(), e.report()));
                if (!fenced) {
                    // Another writer is the likelier cause, and the more useful one to name.
                    abortIfWrittenAfter(current, fence);
                }
                throw new CutoverAborted(ErrorCode.ABORTED, e.getMessage());
            }
            catch (SwitchBarrier.NotHeld e) {
                throw new CutoverAborted(ErrorCode.ABORTED, "the switch could not be recorded: " + e.getMessage());
            }
            steps.lap("record");
            barrier.close();
            reached(CutoverStep.AFTER_SWITCH_RECORD);
            // Drained to the fence, verified and finalized: nothing the source records from now on may reach the own
            // database clients are about to write. Replication's slower teardown waits until the held writes ran.
            current.stopApplying();
            Engine previous = router.get().switchTo(own, generation[0]);
            own = null;
            reached(CutoverStep.DURING_RELEASE);
            WriteGate.Hold hold = router.get().gate().release();
            held = false;
            release(id, sourceFence);
            sourceFence = Optional.empty();
            // The write pause (the and API.md's measure): from the first write held to the release; the gate was
            // closed longer when it waited for writes in flight before any write arrived.
            long pause = hold.writePause().toMillis();
            steps.lap("switch+release");
            // The first writes on the new engine take it through its cold insert path; stopping capture and closing the
            // source's engine (hundreds of ms of CPU) would slow them further, so they wait for them, within a bound.
            awaitHeldWrites(id);
            steps.lap("held writes");
            log.info("Migration execution {}: cutover steps: {}", id, steps);
            log.info("Migration execution {}: the front serves from the own database now (generation {}); write pause {} ms ({} writes held; gate closed {} ms)",
                    id, generation[0], pause, hold.writesHeld(), hold.closed().toMillis());
            finish(id, operationId, pause, previous, fenced ? "the source was fenced (its metastore tables locked) from the fence to the switch"
                    : "the source could not be fenced (the reader may not LOCK TABLES on its metastore database): other writers were watched for %s ms after the fence instead"
                            .formatted(OTHER_WRITER_WINDOW.toMillis()));
        }
        catch (InterruptedException | Interrupted e) {
            Thread.currentThread().interrupt();
            if (barrier != null) {
                barrier.abort("Ferry stopped on replica %s during the cutover".formatted(replicaId));
                barrier.close();
            }
            if (own != null) {
                own.close();
            }
        }
        catch (RuntimeException | Error e) {
            if (barrier != null) {
                barrier.abort("the cutover aborted on replica %s: %s".formatted(replicaId, e.getMessage()));
                barrier.close();
            }
            // An Error too (a class an engine lacks, say): the cutover must end, aborted, never stay in CUTOVER.
            if (held) {
                router.get().gate().release();
            }
            release(id, sourceFence);
            if (current != null) {
                current.resumeMaintenance();
            }
            if (own != null && e instanceof RuntimeException) {
                // It served nothing (the front switches to it only after the switch record), and the cutover ended for a
                // reason of its own or of the other replicas (one not ready, not holding): the next cutover takes it
                // rather than start another (tens of seconds on a loaded machine). An Error may have left it broken.
                supervisor.giveBackOwnEngine(id, own);
            }
            else if (own != null) {
                own.close();
            }
            ErrorCode code = e instanceof CutoverAborted aborted ? aborted.code : e instanceof RuntimeException failure ? Operations.errorCodeOf(failure) : ErrorCode.INTERNAL;
            String message = "cutover aborted, serving from the source again: " + e.getMessage();
            log.warn("Migration execution {}: {}", id, Text.escaped(message));
            Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
                ControlStore.changePhase(connection, id, ExecutionState.RUNNING, Phase.CUTOVER, Phase.REPLICATION, clean.apply(message));
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(Operations.error(code, clean.apply(message))), "aborted");
                return null;
            }));
        }
    }

    /** Waits, within a bound, until the writes the hold held have run; past the switch, an interrupt only ends the wait. */
    private void awaitHeldWrites(String id)
    {
        try {
            if (!router.get().gate().awaitHeldWritesDone(HELD_WRITES_WAIT)) {
                log.info("Migration execution {}: the writes the cutover held still run after {} ms; replication stops anyway", id, HELD_WRITES_WAIT.toMillis());
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Releases the source's fence, if the cutover took one; a failure only means the session ends without it. */
    private static void release(String id, Optional<SourceDialect.SourceFence> sourceFence)
    {
        sourceFence.ifPresent(fence -> {
            try {
                fence.close();
            }
            catch (SQLException e) {
                log.warn("Migration execution {}: could not release the source's fence cleanly (the server releases it as the session ends): {}", id, e.getMessage());
            }
        });
    }

    /** Milliseconds per cutover step, for the log line the write-pause benchmark reads. */
    private static final class StepTimer
    {
        private final StringBuilder text = new StringBuilder();
        private long last = System.nanoTime();

        void lap(String step)
        {
            long now = System.nanoTime();
            text.append(text.isEmpty() ? "" : ", ").append(step).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        @Override
        public String toString()
        {
            return text.toString();
        }
    }

    private void reached(CutoverStep step)
            throws InterruptedException
    {
        if (pauseAt.equals(Optional.of(step))) {
            log.warn("Cutover paused at {} (crash-test setting); it waits here until the process is killed", step);
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /**
     * With writes held: waits for the writes that passed the gate before it closed, at most a quarter of the hold
     * bound (the rest is for the work under the hold); what went wrong if they did not finish.
     */
    static Optional<String> awaitWritesInFlight(WriteGate gate)
            throws InterruptedException
    {
        Duration bound = gate.holdBound().dividedBy(4);
        return gate.awaitWritesDrained(bound) ? Optional.empty() : Optional.of("writes in flight did not finish within %s ms".formatted(bound.toMillis()));
    }

    /** An interrupt inside work that may not throw InterruptedException; runComplete treats it as one. */
    private static final class Interrupted
            extends RuntimeException
    {
        Interrupted(InterruptedException cause)
        {
            super(cause);
        }
    }

    private interface InterruptibleStep
    {
        void run()
                throws InterruptedException;
    }

    private static void uninterrupted(InterruptibleStep step)
    {
        try {
            step.run();
        }
        catch (InterruptedException e) {
            throw new Interrupted(e);
        }
    }

    private static void abortIfWrittenAfter(Replication current, SourcePosition fence)
            throws InterruptedException
    {
        SortedSet<String> foreign = current.tablesWrittenAfter(fence, Duration.ofSeconds(2));
        if (!foreign.isEmpty()) {
            throw new CutoverAborted(ErrorCode.ABORTED, "something else wrote the source after writes were held (another metastore still running against it?): tables %s. Stop it, then complete again"
                    .formatted(String.join(", ", foreign)));
        }
    }

    /** After the switch record: stop capture, close the source's engine, SUCCEEDED, service ACTIVE. */
    private void finish(String id, String operationId, long pauseMillis, Engine previous, String fenceNote)
    {
        supervisor.close();
        if (previous != null) {
            try {
                previous.awaitIdle(Duration.ofSeconds(30));
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            previous.close();
        }
        store.inTransaction(connection -> {
            if (pauseMillis >= 0) {
                ControlStore.recordWritePause(connection, id, pauseMillis);
            }
            ControlStore.transition(connection, id, Set.of(ExecutionState.RUNNING), ExecutionState.SUCCEEDED, Phase.CUTOVER,
                    "migration complete: the own database is the source of truth; " + fenceNote);
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            MigrationExecution now = ControlStore.execution(connection, id).orElseThrow();
            ControlStore.finishOperation(connection, operationId, Optional.of(Views.executionResponse(name, now, Optional.empty()).toString()), Optional.empty(),
                    "succeeded");
            return null;
        });
        log.info("Migration execution {} SUCCEEDED; service {} ACTIVE, serving from the own database", id, name);
    }

}
