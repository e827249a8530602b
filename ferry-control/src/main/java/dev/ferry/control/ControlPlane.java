package dev.ferry.control;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.model.ServiceState;
import dev.ferry.control.model.Verb;
import dev.ferry.control.security.SecretBox;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStore.StoredOperation;
import dev.ferry.control.store.ControlStoreException;
import dev.ferry.engine.Engine;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.front.Router;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.GtidPosition;
import dev.ferry.replication.Replication;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.cleanup.TransferredDataDeletion;
import dev.ferry.replication.preconditions.Preconditions;
import dev.ferry.replication.verify.VerificationReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Runs managed migrations: the state machines of DESIGN.md over the control store, the front's backend and
 * replication. Requests are validated and their transition written in one transaction, then the work runs on one
 * worker thread, so steps never interleave. Every transition is written before it takes effect outside, and a
 * restart resumes from what is written: {@link #recover()} picks the engine the front starts on, {@link #attach}
 * finishes unfinished operations and resumes replication.
 */
public final class ControlPlane
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    private static final Set<ExecutionState> LIVE = EnumSet.of(ExecutionState.STARTING, ExecutionState.RUNNING, ExecutionState.AWAITING_USER_ACTION, ExecutionState.CANCELLING);
    private static final Set<ExecutionState> TERMINAL = EnumSet.of(ExecutionState.SUCCEEDED, ExecutionState.FAILED, ExecutionState.CANCELLED);

    /**
     * @param stagingRoot where a migration's staging log goes when its cdcConfig names no bucket, and what a
     * relative bucket is resolved against
     * @param upgradeScripts Hive's {@code scripts/metastore/upgrade} of the engine home
     * @param facts what the service view shows beyond the control store (the Thrift port is known once the front listens)
     * @param startTimeout how long startMigration waits for replication to connect before it fails
     * @param retryInterval how often replication stalled by the user's side is retried
     * @param pauseAt for crash tests only: a cutover stops at this step and waits, so that the test can kill the
     * process exactly there
     */
    public record Settings(
            ServiceName name,
            Supplier<Views.ServiceFacts> facts,
            Path stagingRoot,
            Path upgradeScripts,
            String schemaVersion,
            Duration requestIdWindow,
            Duration startTimeout,
            Duration retryInterval,
            long segmentBytes,
            Optional<CutoverStep> pauseAt)
    {
        public Settings
        {
            requireNonNull(name, "name is null");
            requireNonNull(facts, "facts is null");
            requireNonNull(stagingRoot, "stagingRoot is null");
            requireNonNull(upgradeScripts, "upgradeScripts is null");
            requireNonNull(schemaVersion, "schemaVersion is null");
            requireNonNull(requestIdWindow, "requestIdWindow is null");
            requireNonNull(startTimeout, "startTimeout is null");
            requireNonNull(retryInterval, "retryInterval is null");
            requireNonNull(pauseAt, "pauseAt is null");
        }
    }

    /** The steps of a cutover around the switch record, where a crash must leave exactly one consistent state. */
    public enum CutoverStep
    {
        BEFORE_SWITCH_RECORD,
        AFTER_SWITCH_RECORD,
        DURING_RELEASE,
    }

    /** What a mutating call got: the operation, and whether it is the one a repeated requestId started earlier. */
    public record Accepted(StoredOperation operation, boolean repeated) {}

    private final ControlStore store;
    private final SecretBox secrets;
    private final Engines engines;
    private final Settings settings;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> daemon(runnable, "control-plane"));
    private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "control-plane-monitor"));
    private final Map<String, Views.Verification> verifications = new ConcurrentHashMap<>();
    private final AtomicLong nextRetry = new AtomicLong();
    private volatile Router router;
    private volatile Replication replication;
    private volatile String replicating;
    private volatile boolean closed;

    public ControlPlane(ControlStore store, SecretBox secrets, Engines engines, Settings settings)
    {
        this.store = requireNonNull(store, "store is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.engines = requireNonNull(engines, "engines is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    public Settings settings()
    {
        return settings;
    }

    // ---- start-up ----

    /** The engine the front must start on: the one the durable backend record names. */
    public Engine recover()
    {
        ServiceRecord service = store.service();
        if (service.backend() == ServiceRecord.Backend.SOURCE) {
            String id = service.backendExecution().orElseThrow(() -> new IllegalStateException("the control store says the front serves from a source but names no execution"));
            MigrationExecution execution = store.execution(id).orElseThrow(() -> new IllegalStateException("the control store's backend names migration execution %s, which does not exist".formatted(id)));
            log.info("Resuming: service {} is {} and serves from the source of migration execution {} ({}, generation {})",
                    settings.name(), service.state(), id, execution.state(), service.generation());
            try {
                return engines.startSource(source(execution));
            }
            catch (EngineException e) {
                throw new IllegalStateException("migration execution %s serves from its source database %s:%s/%s, which cannot be reached: %s. Ferry needs it to serve; fix the source and start Ferry again"
                        .formatted(id, execution.config().connection().ipAddress(), execution.config().connection().port(), execution.config().connection().hiveDatabaseName(), e.getMessage()), e);
            }
        }
        log.info("Service {} is {}, serving from the own database (generation {})", settings.name(), service.state(), service.generation());
        return engines.startOwn();
    }

    /** Takes the router the front uses and resumes whatever was under way when Ferry stopped. */
    public void attach(Router router)
    {
        this.router = requireNonNull(router, "router is null");
        List<Operation> unfinished = store.unfinishedOperations();
        for (Operation operation : unfinished) {
            log.info("Resuming unfinished operation {} ({} of migration execution {})", operation.id(), operation.verb().wireName(), operation.execution());
            switch (operation.verb()) {
                case START -> worker.submit(() -> runStart(operation.execution(), operation.id()));
                case CANCEL -> worker.submit(() -> runCancel(operation.execution(), operation.id()));
                case DELETE -> worker.submit(() -> finishDelete(operation.execution(), operation.id()));
                case COMPLETE -> resumeComplete(operation);
            }
        }
        ServiceRecord service = store.service();
        store.liveExecution().ifPresent(execution -> {
            boolean pendingStart = unfinished.stream().anyMatch(operation -> operation.verb() == Verb.START && operation.execution().equals(execution.id()));
            if (!pendingStart && (execution.state() == ExecutionState.RUNNING || execution.state() == ExecutionState.AWAITING_USER_ACTION)
                    && service.backendExecution().equals(Optional.of(execution.id()))) {
                worker.submit(() -> resumeReplication(execution.id()));
            }
        });
        for (MigrationExecution execution : store.executions()) {
            if (execution.state() == ExecutionState.DELETING && unfinished.stream().noneMatch(operation -> operation.execution().equals(execution.id()))) {
                worker.submit(() -> finishDelete(execution.id(), null));
            }
        }
        monitor.scheduleWithFixedDelay(this::watchReplication, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * A cutover a restart interrupted: past the switch record it finishes (SUCCEEDED); before it, the execution
     * goes back to REPLICATION, serving from the source, and the operation ends with the error.
     */
    private void resumeComplete(Operation operation)
    {
        ServiceRecord service = store.service();
        MigrationExecution execution = store.execution(operation.execution()).orElseThrow();
        if (execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.CUTOVER && service.backend() == ServiceRecord.Backend.OWN) {
            log.info("Migration execution {}: the switch to the own database was recorded before the restart; finishing the cutover", execution.id());
            worker.submit(() -> finishCutover(execution.id(), operation.id(), -1, null));
            return;
        }
        if (execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.CUTOVER) {
            String message = "cutover interrupted by a restart before the switch; serving from the source again: call completeMigration again";
            store.inTransaction(connection -> {
                ControlStore.changePhase(connection, execution.id(), ExecutionState.RUNNING, Phase.CUTOVER, Phase.REPLICATION, message);
                ControlStore.finishOperation(connection, operation.id(), Optional.empty(), Optional.of(error(ErrorCode.ABORTED, message)), "aborted");
                return null;
            });
            log.warn("Migration execution {}: {}", execution.id(), message);
            return;
        }
        finishAsItStands(operation.id(), execution);
    }

    // ---- reads ----

    public ServiceRecord service()
    {
        return store.service();
    }

    public List<MigrationExecution> executions()
    {
        return store.executions();
    }

    public Optional<MigrationExecution> execution(String id)
    {
        return store.execution(id);
    }

    public Optional<StoredOperation> operation(String id)
    {
        return store.operation(id);
    }

    public List<StoredOperation> operations()
    {
        return store.operations();
    }

    /** Replication's status, for the execution it is running for. */
    public Optional<Replication.Status> replicationStatus(String executionId)
    {
        Replication current = replication;
        return current != null && executionId.equals(replicating) ? Optional.of(current.status()) : Optional.empty();
    }

    /** Replication's status, whichever execution it runs for. */
    public Optional<Replication.Status> replicationStatus()
    {
        Replication current = replication;
        return current == null ? Optional.empty() : Optional.of(current.status());
    }

    public Optional<Views.Verification> lastVerification(String executionId)
    {
        return Optional.ofNullable(verifications.get(executionId));
    }

    public Optional<Router> router()
    {
        return Optional.ofNullable(router);
    }

    // ---- startMigration ----

    public Accepted startMigration(Optional<UUID> requestId, MigrationConfig config)
    {
        requireNonNull(config, "config is null");
        MigrationConfig stored = config.withoutPasswords();
        ControlStore.SealedPasswords passwords = new ControlStore.SealedPasswords(secrets.encrypt(config.connection().password()), secrets.encrypt(config.cdc().password()));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            Optional<Accepted> repeated = repeated(connection, requestId, "startMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            Optional<MigrationExecution> live = ControlStore.liveExecution(connection);
            if (live.isPresent()) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is %s; a service runs one migration at a time: complete or cancel it first"
                        .formatted(settings.name().executionName(live.get().id()), live.get().state()));
            }
            ServiceRecord service = ControlStore.service(connection);
            if (service.state() != ServiceState.ACTIVE) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s is %s; a migration starts only from ACTIVE".formatted(settings.name(), service.state()));
            }
            String id = UUID.randomUUID().toString();
            ControlStore.insertExecution(connection, new MigrationExecution(id, now, Optional.empty(), ExecutionState.STARTING, Phase.REPLICATION,
                    "connecting to the source", stored, Optional.empty()), passwords);
            ControlStore.updateServiceState(connection, ServiceState.MIGRATING, "");
            Operation operation = newOperation(now, settings.name().name(), Verb.START, id, "checking the source");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "startMigration", operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            log.info("Migration execution {} STARTING (phase REPLICATION), service {} MIGRATING; source {}:{}/{}, operation {}", operation.execution(), settings.name(),
                    config.connection().ipAddress(), config.connection().port(), config.connection().hiveDatabaseName(), operation.id());
            worker.submit(() -> runStart(operation.execution(), operation.id()));
        }
        return accepted;
    }

    private void runStart(String id, String operationId)
    {
        if (closed) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() == ExecutionState.CANCELLING) {
            finishOperation(operationId, Optional.empty(), Optional.of(error(ErrorCode.ABORTED, "migration execution %s was cancelled before it started".formatted(id))), "cancelled");
            return;
        }
        if (execution.state() != ExecutionState.STARTING) {
            finishAsItStands(operationId, execution);
            return;
        }
        try {
            SourceDatabase source = source(execution);
            ServiceRecord service = store.service();
            if (!service.backendExecution().equals(Optional.of(id))) {
                progress(operationId, "checking the source's preconditions");
                Preconditions preconditions = Preconditions.forSchema(
                        settings.upgradeScripts().resolve("mysql").resolve("hive-schema-%s.mysql.sql".formatted(settings.schemaVersion())), settings.schemaVersion());
                preconditions.check(source, engines.ownDatabase());
                progress(operationId, "starting an engine on the source database");
                Engine engine = engines.startSource(source);
                // Until the front serves from the source, a write to the own database would be lost under the
                // backfill: writes are held (they then go to the source), and the own database is checked again.
                router.gate().holdWrites();
                try {
                    try {
                        Optional<String> late = awaitWritesInFlight();
                        if (late.isPresent()) {
                            throw new ControlException(ErrorCode.ABORTED, "%s (to the own database); nothing was started".formatted(late.get()));
                        }
                        preconditions.check(source, engines.ownDatabase());
                    }
                    catch (InterruptedException | RuntimeException e) {
                        engine.close();
                        throw e;
                    }
                    switchFront(ServiceRecord.Backend.SOURCE, Optional.of(id), engine);
                }
                finally {
                    router.gate().release();
                }
            }
            progress(operationId, "replication connecting");
            Replication started = startReplication(execution);
            long deadline = System.nanoTime() + settings.startTimeout().toNanos();
            while (started.stage() == Replication.Stage.CONNECTING && started.failure().isEmpty() && System.nanoTime() < deadline && !closed) {
                Thread.sleep(50);
            }
            if (closed) {
                return;
            }
            if (started.failure().isPresent()) {
                throw started.failure().get();
            }
            if (started.stage() == Replication.Stage.CONNECTING) {
                throw new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE,
                        "replication did not connect to the source within %s s".formatted(settings.startTimeout().toSeconds()));
            }
            boolean running = store.inTransaction(connection -> {
                if (!ControlStore.transition(connection, id, Set.of(ExecutionState.STARTING), ExecutionState.RUNNING, Phase.REPLICATION, "")) {
                    return false;
                }
                MigrationExecution now = ControlStore.execution(connection, id).orElseThrow();
                ControlStore.finishOperation(connection, operationId, Optional.of(Views.executionResponse(settings.name(), now, replicationStatus(id)).toString()), Optional.empty(),
                        "the front serves from the source; replication " + started.stage());
                return true;
            });
            if (running) {
                log.info("Migration execution {} RUNNING: the front serves from the source, replication is in {}", id, started.stage());
            }
            else {
                finishOperation(operationId, Optional.empty(), Optional.of(error(ErrorCode.ABORTED, "migration execution %s was cancelled before it started".formatted(id))), "cancelled");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (RuntimeException e) {
            failStart(id, operationId, e);
        }
    }

    private void failStart(String id, String operationId, RuntimeException cause)
    {
        if (closed) {
            return;
        }
        Operation.OperationError error = errorOf(cause);
        log.error("Migration execution {} could not start: {}", id, error.message());
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() == ExecutionState.CANCELLING) {
            // The cancel that is queued behind this start reverts what the start did.
            finishOperation(operationId, Optional.empty(), Optional.of(error), "failed; a cancel is under way");
            return;
        }
        try {
            revertToOwn(execution);
        }
        catch (RuntimeException e) {
            log.error("Migration execution {}: could not return to the own database after a failed start: {}", id, e.getMessage());
            store.inTransaction(connection -> {
                ControlStore.updateStateMessage(connection, id, "the start failed (%s) and returning to the own database failed too (%s); cancelMigration retries it"
                        .formatted(error.message(), e.getMessage()));
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(error), "failed");
                return null;
            });
            return;
        }
        store.inTransaction(connection -> {
            ControlStore.transition(connection, id, Set.of(ExecutionState.STARTING), ExecutionState.FAILED, Phase.REPLICATION, error.message());
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(error), "failed");
            return null;
        });
        log.info("Migration execution {} FAILED; service {} ACTIVE, serving from the own database", id, settings.name());
    }

    // ---- cancelMigration ----

    public Accepted cancelMigration(Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            Optional<Accepted> repeated = repeated(connection, requestId, "cancelMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            MigrationExecution live = ControlStore.liveExecution(connection)
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s runs no migration; there is nothing to cancel".formatted(settings.name())));
            if (live.phase() == Phase.CUTOVER) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is in CUTOVER; it can no longer be cancelled".formatted(settings.name().executionName(live.id())));
            }
            ControlStore.transition(connection, live.id(), LIVE, ExecutionState.CANCELLING, live.phase(), "cancelling");
            Operation operation = newOperation(now, settings.name().name(), Verb.CANCEL, live.id(), "cancelling");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "cancelMigration", operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            log.info("Migration execution {} CANCELLING (operation {})", operation.execution(), operation.id());
            worker.submit(() -> runCancel(operation.execution(), operation.id()));
        }
        return accepted;
    }

    private void runCancel(String id, String operationId)
    {
        if (closed) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() != ExecutionState.CANCELLING) {
            finishAsItStands(operationId, execution);
            return;
        }
        try {
            progress(operationId, "stopping replication and deleting the transferred data");
            revertToOwn(execution);
        }
        catch (RuntimeException e) {
            Operation.OperationError error = errorOf(e);
            log.error("Cancel of migration execution {} failed: {}", id, error.message());
            store.inTransaction(connection -> {
                ControlStore.updateStateMessage(connection, id, "cancel failed: %s; call cancelMigration again".formatted(error.message()));
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(error), "failed");
                return null;
            });
            return;
        }
        store.inTransaction(connection -> {
            ControlStore.transition(connection, id, Set.of(ExecutionState.CANCELLING), ExecutionState.CANCELLED, execution.phase(),
                    "cancelled: the own database is a freshly initialised metastore again and the staging log is removed");
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            MigrationExecution now = ControlStore.execution(connection, id).orElseThrow();
            ControlStore.finishOperation(connection, operationId, Optional.of(Views.executionResponse(settings.name(), now, Optional.empty()).toString()), Optional.empty(), "cancelled");
            return null;
        });
        log.info("Migration execution {} CANCELLED; service {} ACTIVE, serving from the own database", id, settings.name());
    }

    /**
     * Stops replication and, if the front serves from this execution's source, deletes what was transferred,
     * starts an engine on the own database and switches the front to it. Each step can be repeated.
     */
    private void revertToOwn(MigrationExecution execution)
    {
        closeReplication();
        ServiceRecord service = store.service();
        Replication.Config config = replicationConfig(execution);
        if (service.backend() == ServiceRecord.Backend.SOURCE) {
            Replication.deleteTransferredData(config);
            Engine own = engines.startOwn();
            switchFront(ServiceRecord.Backend.OWN, Optional.empty(), own);
        }
        else {
            TransferredDataDeletion.deleteStagingDirectory(config.stagingDirectory());
        }
    }

    // ---- completeMigration ----

    public Accepted completeMigration(Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            Optional<Accepted> repeated = repeated(connection, requestId, "completeMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            MigrationExecution live = ControlStore.liveExecution(connection)
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s runs no migration; there is nothing to complete".formatted(settings.name())));
            String name = settings.name().executionName(live.id());
            if (live.state() != ExecutionState.RUNNING || live.phase() != Phase.REPLICATION) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is %s in phase %s; completeMigration needs it RUNNING in phase REPLICATION"
                        .formatted(name, live.state(), live.phase()));
            }
            Replication.Status status = replicationStatus(live.id())
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "replication of migration execution %s is not running yet; try again shortly".formatted(name)));
            if (status.stage() != Replication.Stage.STREAMING) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is still in %s: %s of %s rows copied (%s%%); complete it once the backfill is done"
                        .formatted(name, status.stage(), status.rowsCopied(), status.rowsTotal(), status.rowsTotal() == 0 ? 0 : status.rowsCopied() * 100 / status.rowsTotal()));
            }
            ControlStore.changePhase(connection, live.id(), ExecutionState.RUNNING, Phase.REPLICATION, Phase.CUTOVER, "cutover: switching to the own database");
            Operation operation = newOperation(now, settings.name().name(), Verb.COMPLETE, live.id(), "cutover starting");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "completeMigration", operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            log.info("Migration execution {} RUNNING, phase CUTOVER (operation {})", operation.execution(), operation.id());
            worker.submit(() -> runComplete(operation.execution(), operation.id()));
        }
        return accepted;
    }

    /**
     * How long a cutover waits, writes flowing, for a moment with no write in flight to hold writes at, and how
     * many times (with a verify of what changed between tries) before it holds them anyway.
     */
    private static final Duration HOLD_PATIENCE = Duration.ofSeconds(1);
    private static final int HOLD_ATTEMPTS = 5;

    /**
     * The least time between the fence and the last check for other writers on the source. Detecting a metastore
     * still running against the source needs it to commit in that window; the cutover's own steps after the fence
     * take about 50 ms, shorter than the gap between two commits of a busy metastore.
     */
    private static final Duration OTHER_WRITER_WINDOW = Duration.ofMillis(150);

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
     * DESIGN.md "Cutover": engine B warmed, writes held and drained, fence, drain, verify, finalize, check for other
     * writers, the switch recorded, the front on B, writes released, capture stopped. Anything failing before the
     * switch record goes back to REPLICATION serving from the source; after it, only forward.
     */
    private void runComplete(String id, String operationId)
    {
        if (closed) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() != ExecutionState.RUNNING || execution.phase() != Phase.CUTOVER) {
            finishAsItStands(operationId, execution);
            return;
        }
        Replication current = replication;
        Engine own = null;
        boolean held = false;
        long heldAt = 0;
        try {
            if (current == null || !id.equals(replicating)) {
                throw new CutoverAborted(ErrorCode.FAILED_PRECONDITION, "replication of migration execution %s is not running".formatted(id));
            }
            progress(operationId, "starting and warming an engine on the own database");
            StepTimer steps = new StepTimer();
            own = engines.startOwn();
            steps.lap("engine");
            // What can be done while writes flow is done before they are held: the foreign keys (validated over
            // every row), a verify of every table, and a second verify of what changed during the first. The verify
            // at the fence then compares only what changed since the second began.
            progress(operationId, "restoring foreign keys and verifying ahead of the fence");
            current.restoreForeignKeysWhileStreaming();
            steps.lap("foreign keys");
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
            current.prepareFence();
            steps.lap("connections");
            Duration bound = router.gate().holdBound();
            progress(operationId, "holding writes");
            // At a moment with no write in flight if one comes soon: then no write that arrives under the hold waits
            // for another to finish on the source first. Between tries, what changed meanwhile is verified, so that
            // the verify under the hold stays small.
            boolean idle = false;
            for (int attempt = 1; !idle && attempt <= HOLD_ATTEMPTS; attempt++) {
                idle = router.gate().holdWritesIfIdleWithin(HOLD_PATIENCE);
                if (!idle && attempt < HOLD_ATTEMPTS) {
                    current.verifyAhead();
                }
            }
            if (!idle) {
                router.gate().holdWrites();
                log.info("Migration execution {}: writes held with writes in flight (no moment without one in {} tries of {} ms)", id, HOLD_ATTEMPTS,
                        HOLD_PATIENCE.toMillis());
            }
            held = true;
            heldAt = System.nanoTime();
            steps.lap("hold");
            Optional<String> late = awaitWritesInFlight();
            if (late.isPresent()) {
                throw new CutoverAborted(ErrorCode.ABORTED, late.get());
            }
            steps.lap("in-flight");
            GtidPosition fence = current.sourcePosition();
            long fencedAt = System.nanoTime();
            steps.lap("fence");
            log.info("Migration execution {}: writes held, fence {}", id, fence);
            Duration left = bound.minus(Duration.ofNanos(System.nanoTime() - heldAt)).minus(bound.dividedBy(4));
            if (!current.drainTo(fence, left.isNegative() ? Duration.ZERO : left)) {
                throw new CutoverAborted(ErrorCode.ABORTED, "replication did not apply up to the fence %s within the write hold bound %s ms; lag %s ms"
                        .formatted(fence, bound.toMillis(), current.status().lagMillis().map(String::valueOf).orElse("unknown")));
            }
            steps.lap("drain");
            abortIfWrittenAfter(current, fence);
            steps.lap("check");
            // Verify and finalize run at once; the switch is recorded in finalize's transaction, which commits only if
            // verify found the own database identical: the raised id generators and the record commit together, or
            // neither does (an abort leaves the own database as apply made it, so the next completeMigration verifies
            // equal). From the commit on only forward.
            long[] generation = new long[1];
            try {
                current.verifyAndFinalize(connection -> {
                    steps.lap("verify+finalize");
                    // Verify found the two identical (or this would not run): its report is the one just made.
                    current.lastVerification().ifPresent(report -> verifications.put(id, new Views.Verification(Instant.now(), report)));
                    // The source is watched for other writers for at least OTHER_WRITER_WINDOW after the fence: a
                    // cutover quicker than another metastore's gap between two commits would not see it.
                    uninterrupted(() -> {
                        long wait = OTHER_WRITER_WINDOW.toNanos() - (System.nanoTime() - fencedAt);
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        abortIfWrittenAfter(current, fence);
                    });
                    steps.lap("check");
                    uninterrupted(() -> reached(CutoverStep.BEFORE_SWITCH_RECORD));
                    connection.setSchema(ControlStore.SCHEMA);
                    generation[0] = ControlStore.switchBackend(connection, ServiceRecord.Backend.OWN, Optional.empty());
                });
            }
            catch (Replication.DifferencesAtFence e) {
                verifications.put(id, new Views.Verification(Instant.now(), e.report()));
                // Another writer is the likelier cause, and the more useful one to name.
                abortIfWrittenAfter(current, fence);
                throw new CutoverAborted(ErrorCode.ABORTED, e.getMessage());
            }
            steps.lap("record");
            reached(CutoverStep.AFTER_SWITCH_RECORD);
            Engine previous = router.switchTo(own);
            own = null;
            reached(CutoverStep.DURING_RELEASE);
            WriteGate.Hold hold = router.gate().release();
            held = false;
            // The write pause (the and API.md's measure): from the first write held to the release; the gate was
            // closed longer when it waited for writes in flight before any write arrived.
            long pause = hold.writePause().toMillis();
            steps.lap("switch+release");
            log.info("Migration execution {}: cutover steps: {}", id, steps);
            log.info("Migration execution {}: the front serves from the own database now (generation {}); write pause {} ms ({} writes held; gate closed {} ms)",
                    id, generation[0], pause, hold.writesHeld(), hold.closed().toMillis());
            finishCutover(id, operationId, pause, previous);
        }
        catch (InterruptedException | Interrupted e) {
            Thread.currentThread().interrupt();
        }
        catch (RuntimeException e) {
            if (held) {
                router.gate().release();
            }
            if (own != null) {
                own.close();
            }
            ErrorCode code = e instanceof CutoverAborted aborted ? aborted.code : ControlPlane.errorCodeOf(e);
            String message = "cutover aborted, serving from the source again: " + e.getMessage();
            log.warn("Migration execution {}: {}", id, message);
            store.inTransaction(connection -> {
                ControlStore.changePhase(connection, id, ExecutionState.RUNNING, Phase.CUTOVER, Phase.REPLICATION, message);
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(error(code, message)), "aborted");
                return null;
            });
        }
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
        if (settings.pauseAt().equals(Optional.of(step))) {
            log.warn("Cutover paused at {} (crash-test setting); it waits here until the process is killed", step);
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /**
     * With writes held: waits for the writes that passed the gate before it closed, at most a quarter of the hold
     * bound (the rest is for the work under the hold); what went wrong if they did not finish.
     */
    private Optional<String> awaitWritesInFlight()
            throws InterruptedException
    {
        Duration bound = router.gate().holdBound().dividedBy(4);
        return router.gate().awaitWritesDrained(bound) ? Optional.empty() : Optional.of("writes in flight did not finish within %s ms".formatted(bound.toMillis()));
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

    private static void abortIfWrittenAfter(Replication current, GtidPosition fence)
            throws InterruptedException
    {
        SortedSet<String> foreign = current.tablesWrittenAfter(fence, Duration.ofSeconds(2));
        if (!foreign.isEmpty()) {
            throw new CutoverAborted(ErrorCode.ABORTED, "something else wrote the source after writes were held (another metastore still running against it?): tables %s. Stop it, then complete again"
                    .formatted(String.join(", ", foreign)));
        }
    }

    /** After the switch record: stop capture, close the source's engine, SUCCEEDED, service ACTIVE. */
    private void finishCutover(String id, String operationId, long pauseMillis, Engine previous)
    {
        closeReplication();
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
                    "migration complete: the own database is the source of truth");
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            MigrationExecution now = ControlStore.execution(connection, id).orElseThrow();
            ControlStore.finishOperation(connection, operationId, Optional.of(Views.executionResponse(settings.name(), now, Optional.empty()).toString()), Optional.empty(),
                    "succeeded");
            return null;
        });
        log.info("Migration execution {} SUCCEEDED; service {} ACTIVE, serving from the own database", id, settings.name());
    }

    // ---- delete ----

    public Accepted deleteExecution(String id, Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            Optional<Accepted> repeated = repeated(connection, requestId, "delete");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            MigrationExecution execution = ControlStore.execution(connection, id)
                    .orElseThrow(() -> new ControlException(ErrorCode.NOT_FOUND, "migration execution %s does not exist".formatted(settings.name().executionName(id))));
            if (!execution.state().terminal()) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is %s; only terminal executions (SUCCEEDED, FAILED, CANCELLED) can be deleted"
                        .formatted(settings.name().executionName(id), execution.state()));
            }
            ControlStore.transition(connection, id, TERMINAL, ExecutionState.DELETING, execution.phase(), execution.stateMessage());
            Operation operation = newOperation(now, settings.name().executionName(id), Verb.DELETE, id, "deleting");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "delete", operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (accepted.repeated()) {
            return accepted;
        }
        String operationId = accepted.operation().operation().id();
        finishDelete(id, operationId);
        return new Accepted(store.operation(operationId).orElseThrow(), false);
    }

    private void finishDelete(String id, String operationId)
    {
        store.inTransaction(connection -> {
            ControlStore.deleteExecution(connection, id);
            if (operationId != null) {
                ControlStore.finishOperation(connection, operationId, Optional.of(Views.emptyResponse().toString()), Optional.empty(), "deleted");
            }
            return null;
        });
        verifications.remove(id);
        log.info("Migration execution {} deleted", id);
    }

    // ---- replication ----

    private Replication startReplication(MigrationExecution execution)
    {
        closeReplication();
        Replication started = Replication.start(replicationConfig(execution));
        replicating = execution.id();
        replication = started;
        return started;
    }

    private void resumeReplication(String id)
    {
        if (closed) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() != ExecutionState.RUNNING && execution.state() != ExecutionState.AWAITING_USER_ACTION) {
            return;
        }
        log.info("Migration execution {}: resuming replication", id);
        startReplication(execution);
    }

    private void closeReplication()
    {
        Replication current = replication;
        replication = null;
        replicating = null;
        if (current != null) {
            current.close();
        }
    }

    /**
     * Once a second: replication stopped by an error moves the execution to AWAITING_USER_ACTION with the error
     * and is retried every retry interval; once it runs again the execution is RUNNING again.
     */
    private void watchReplication()
    {
        try {
            Replication current = replication;
            String id = replicating;
            if (current == null || id == null || closed) {
                return;
            }
            Optional<ReplicationException> failure = current.failure();
            MigrationExecution execution = store.execution(id).orElse(null);
            if (execution == null) {
                return;
            }
            if (failure.isPresent() && execution.state() == ExecutionState.RUNNING) {
                String message = "replication stopped: %s. %s; Ferry retries every %s s, or cancelMigration".formatted(failure.get().getMessage(),
                        failure.get().reason().userMustFix() ? "Fix the source" : "Check the own database and the staging location", settings.retryInterval().toSeconds());
                store.inTransaction(connection -> ControlStore.transition(connection, id, Set.of(ExecutionState.RUNNING), ExecutionState.AWAITING_USER_ACTION, execution.phase(), message));
                log.warn("Migration execution {} AWAITING_USER_ACTION: {}", id, message);
                nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
            }
            else if (failure.isPresent() && execution.state() == ExecutionState.AWAITING_USER_ACTION && System.nanoTime() - nextRetry.get() > 0) {
                nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
                worker.submit(() -> resumeReplication(id));
            }
            else if (failure.isEmpty() && execution.state() == ExecutionState.AWAITING_USER_ACTION
                    && (current.stage() == Replication.Stage.BACKFILL || current.stage() == Replication.Stage.STREAMING)) {
                store.inTransaction(connection -> ControlStore.transition(connection, id, Set.of(ExecutionState.AWAITING_USER_ACTION), ExecutionState.RUNNING, execution.phase(), ""));
                log.info("Migration execution {} RUNNING again: replication is in {}", id, current.stage());
            }
        }
        catch (RuntimeException e) {
            log.warn("Watching replication failed: {}", e.getMessage());
        }
    }

    private Replication.Config replicationConfig(MigrationExecution execution)
    {
        return new Replication.Config(execution.id(), source(execution), engines.ownDatabase(), settings.upgradeScripts(), settings.schemaVersion(),
                stagingDirectory(execution), settings.segmentBytes(), Backfill.Options.defaults(), Apply.Options.defaults());
    }

    /** {@code {bucket}/{rootPath}/{execution id}}; without a bucket, under the data directory's staging root. */
    Path stagingDirectory(MigrationExecution execution)
    {
        Path bucket = execution.config().cdc().bucket()
                .map(text -> text.startsWith("file:") ? Path.of(URI.create(text)) : settings.stagingRoot().resolve(text))
                .orElse(settings.stagingRoot());
        String root = execution.config().cdc().rootPath().replaceAll("^/+", "");
        return (root.isEmpty() ? bucket : bucket.resolve(root)).resolve(execution.id()).toAbsolutePath().normalize();
    }

    private SourceDatabase source(MigrationExecution execution)
    {
        ControlStore.SealedPasswords sealed = store.passwords(execution.id());
        MigrationConfig config = execution.config();
        return new SourceDatabase(config.connection().ipAddress(), config.connection().port(), config.connection().hiveDatabaseName(),
                config.connection().username(), secrets.decrypt(sealed.connection()), config.cdc().username(), secrets.decrypt(sealed.cdc()));
    }

    // ---- the front ----

    /** Records the switch durably, then points the router at {@code engine} and closes the previous engine. */
    private void switchFront(ServiceRecord.Backend backend, Optional<String> execution, Engine engine)
    {
        long generation;
        try {
            generation = store.inTransaction(connection -> ControlStore.switchBackend(connection, backend, execution));
        }
        catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        Engine previous = router.switchTo(engine);
        log.info("The front serves from {} now (generation {}); engine {} retired", backend == ServiceRecord.Backend.OWN ? "the own database" : "the source of migration execution " + execution.orElse(""),
                generation, previous.name());
        try {
            if (!previous.awaitIdle(Duration.ofSeconds(30))) {
                log.warn("Engine {} still had calls in flight after 30 s; closing it anyway", previous.name());
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        previous.close();
    }

    // ---- helpers ----

    /**
     * The Operation a repeated requestId started, if it was used before for the same method; a requestId reused
     * for another method is refused, rather than answered with an operation of another kind.
     */
    private Optional<Accepted> repeated(Connection connection, Optional<UUID> requestId, String method)
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
        return ControlStore.operation(connection, seen.get().operation()).map(found -> new Accepted(found, true));
    }

    private static Operation newOperation(Instant now, String target, Verb verb, String execution, String statusMessage)
    {
        String id = "operation-%s-%s".formatted(now.toEpochMilli(), UUID.randomUUID().toString().substring(0, 13));
        return new Operation(id, now, Optional.empty(), target, verb, execution, false, Optional.empty(), statusMessage, false);
    }

    private void progress(String operationId, String message)
    {
        store.inTransaction(connection -> {
            ControlStore.updateOperationStatus(connection, operationId, message);
            return null;
        });
    }

    private void finishOperation(String operationId, Optional<String> response, Optional<Operation.OperationError> error, String statusMessage)
    {
        store.inTransaction(connection -> {
            ControlStore.finishOperation(connection, operationId, response, error, statusMessage);
            return null;
        });
    }

    /** Finishes an operation whose work a restart found already done (or made moot) as the execution stands. */
    private void finishAsItStands(String operationId, MigrationExecution execution)
    {
        if (execution.state() == ExecutionState.FAILED) {
            finishOperation(operationId, Optional.empty(), Optional.of(error(ErrorCode.FAILED_PRECONDITION, execution.stateMessage())), "failed");
        }
        else {
            finishOperation(operationId, Optional.of(Views.executionResponse(settings.name(), execution, replicationStatus(execution.id())).toString()), Optional.empty(),
                    execution.state().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static Operation.OperationError error(ErrorCode code, String message)
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
                case SOURCE_ACCESS_DENIED, SOURCE_BINLOG_NOT_READY, SOURCE_PRIVILEGES_MISSING, SOURCE_SCHEMA_VERSION_MISMATCH, SOURCE_SCHEMA_INCOMPLETE,
                        SOURCE_BINLOG_PURGED, OWN_DATABASE_NOT_EMPTY, VERIFICATION_FAILED -> ErrorCode.FAILED_PRECONDITION;
                case INTERNAL -> ErrorCode.INTERNAL;
            };
            return error(code, replicationFailure.getMessage());
        }
        if (failure instanceof EngineException) {
            return error(ErrorCode.UNAVAILABLE, "cannot start an engine on the source database: " + failure.getMessage());
        }
        if (failure instanceof ControlStoreException) {
            return error(ErrorCode.UNAVAILABLE, failure.getMessage());
        }
        return error(ErrorCode.INTERNAL, failure.getMessage() == null ? failure.toString() : failure.getMessage());
    }

    private static Thread daemon(Runnable runnable, String name)
    {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Stops the work under way; a restart resumes it from the control store. Closes the engine the front uses. */
    @Override
    public void close()
    {
        closed = true;
        monitor.shutdownNow();
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeReplication();
        Router current = router;
        if (current != null) {
            current.activeEngine().close();
        }
    }
}
