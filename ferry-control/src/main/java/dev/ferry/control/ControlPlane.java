package dev.ferry.control;

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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.HiveVersionUpgrade;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.model.ServiceState;
import dev.ferry.control.model.Verb;
import dev.ferry.control.security.SecretBox;
import dev.ferry.control.store.ControlSession;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStore.StoredOperation;
import dev.ferry.control.store.ReplicaStore;
import dev.ferry.control.store.SwitchBarrier;
import dev.ferry.engine.Engine;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.front.Router;
import dev.ferry.replication.Replication;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.cleanup.TransferredDataDeletion;
import dev.ferry.replication.preconditions.Preconditions;
import dev.ferry.replication.preconditions.SourceFacts;
import dev.ferry.replication.source.SourceProxy;
import dev.ferry.replication.staging.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Runs managed migrations: the state machines of DESIGN.md over the control store, the front's backend and
 * replication. Requests are validated and their transition written in one transaction, which first locks the
 * service (concurrent requests run one after the other and the losers get FAILED_PRECONDITION), then the work runs
 * on one worker thread, so steps never interleave. Every transition is written before it takes effect outside, and a
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
     * @param stagingRoots the directories a migration's bucket must be inside
     * @param facts what the service view shows beyond the control store (the Thrift port is known once the front listens)
     * @param startTimeout how long startMigration waits for replication to connect before it fails
     * @param retryInterval how often replication stalled by the user's side is retried
     * @param sourceProxy the SOCKS5 proxy every connection to a migration's source goes through, if any
     * @param pauseAt for crash tests only: a cutover stops at this step and waits, so that the test can kill the
     * process exactly there
     * @param objectStore the buckets of the object store ({@code migration.object-store}) an {@code s3://} staging
     * bucket names, if one is configured
     */
    public record Settings(
            ServiceName name,
            Supplier<Views.ServiceFacts> facts,
            Path stagingRoot,
            List<Path> stagingRoots,
            Duration requestIdWindow,
            Duration startTimeout,
            Duration retryInterval,
            long segmentBytes,
            Optional<CutoverStep> pauseAt,
            Optional<SourceProxy> sourceProxy,
            String replicaId,
            String replicaHome,
            Duration replicaDeadAfter,
            Duration switchPrepareTimeout,
            Optional<Function<String, ObjectStore>> objectStore)
    {
        public Settings
        {
            requireNonNull(objectStore, "objectStore is null");
            requireNonNull(replicaId, "replicaId is null");
            requireNonNull(replicaHome, "replicaHome is null");
            requireNonNull(switchPrepareTimeout, "switchPrepareTimeout is null");
            requireNonNull(replicaDeadAfter, "replicaDeadAfter is null");
            requireNonNull(sourceProxy, "sourceProxy is null");
            requireNonNull(name, "name is null");
            requireNonNull(facts, "facts is null");
            requireNonNull(stagingRoot, "stagingRoot is null");
            stagingRoots = List.copyOf(stagingRoots);
            requireNonNull(requestIdWindow, "requestIdWindow is null");
            requireNonNull(startTimeout, "startTimeout is null");
            requireNonNull(retryInterval, "retryInterval is null");
            requireNonNull(pauseAt, "pauseAt is null");
        }

        /** Where a migration's staging log may go. */
        public StagingLocations staging()
        {
            return new StagingLocations(stagingRoot, stagingRoots, objectStore.isPresent());
        }
    }

    /**
     * The steps of a cutover around the switch record, and of an upgradeHiveVersion around its switch, where a crash
     * must leave exactly one consistent state.
     */
    public enum CutoverStep
    {
        BEFORE_SWITCH_RECORD,
        AFTER_SWITCH_RECORD,
        DURING_RELEASE,
        /** upgradeHiveVersion: writes held, the front on the new engine, the switch's transaction not yet run. */
        UPGRADE_BEFORE_SWITCH,
        /** upgradeHiveVersion: the switch committed, writes still held. */
        UPGRADE_AFTER_SWITCH,
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
    private final ReplicationSupervisor replications;
    private final Operations operations;
    private final Cutover cutover;
    private final HiveVersionUpgrades upgrades;
    private volatile Router router;
    private volatile boolean closed;
    private final SwitchFollower follower;
    // The operations this process runs (or ran): the runner adopts the others, accepted by other replicas.
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Executions whose staging log this replica could not reach when it would have taken them over (logged once). */
    private final Set<String> unreachableStagingLogged = ConcurrentHashMap.newKeySet();
    // The monitor thread's: the runner's published progress and its look for operations to adopt.
    private final ControlSession duties;

    public ControlPlane(ControlStore store, SecretBox secrets, Engines engines, Settings settings)
    {
        this.store = requireNonNull(store, "store is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.engines = requireNonNull(engines, "engines is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.replications = new ReplicationSupervisor(store, secrets, engines, settings, this::submit, () -> closed);
        this.operations = new Operations(store, settings, replications::status);
        this.cutover = new Cutover(store, settings, replications, operations, verifications, () -> router, this::submit, () -> closed);
        this.upgrades = new HiveVersionUpgrades(store, engines, settings, operations, () -> router, () -> closed);
        this.follower = new SwitchFollower(store, settings.replicaId(), () -> router, this::engineFor);
        this.duties = new ControlSession(store);
    }

    /** What this replica does with what its heartbeats read: follow the switches other replicas lead. */
    public Membership.Follower follower()
    {
        return follower;
    }

    /** A new engine on {@code backend}: the own database, or the source of {@code execution}. */
    private Engine engineFor(ServiceRecord.Backend backend, Optional<String> execution)
    {
        if (backend == ServiceRecord.Backend.OWN) {
            // Taken through its write paths first where the engine can be: its first writes come as the switch releases them.
            return engines.startOwnStandby();
        }
        String id = execution.orElseThrow(() -> new IllegalStateException("a switch to a source names no migration execution"));
        MigrationExecution migration = store.execution(id).orElseThrow(() -> new IllegalStateException("migration execution %s does not exist".formatted(id)));
        return engines.startSource(replications.source(migration));
    }

    public Settings settings()
    {
        return settings;
    }

    // ---- start-up ----

    /** The engine the front must start on: the one the durable backend record names. */
    public Engine recover()
    {
        // Before an engine reads the own database: an interrupted upgrade decides which schema version it has.
        upgrades.settleInterrupted();
        ServiceRecord service = store.service();
        if (service.backend() == ServiceRecord.Backend.SOURCE) {
            String id = service.backendExecution().orElseThrow(() -> new IllegalStateException("the control store says the front serves from a source but names no execution"));
            MigrationExecution execution = store.execution(id).orElseThrow(() -> new IllegalStateException("the control store's backend names migration execution %s, which does not exist".formatted(id)));
            log.info("Resuming: service {} is {} and serves from the source of migration execution {} ({}, generation {})",
                    settings.name(), service.state(), id, execution.state(), service.generation());
            try {
                return engines.startSource(replications.source(execution));
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
        // Under the service row's lock, as a takeover: see takeOverIfRunnerDead.
        String runner = store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            return ControlStore.runner(connection);
        });
        if (!runner.isEmpty() && !runner.equals(settings.replicaHome())) {
            // Two replicas must never run the same migration (replication into one own database twice).
            if (store.liveExecution().isPresent() || !store.unfinishedOperations().isEmpty()) {
                log.info("The migration's work runs on the replica of data directory {}: this replica ({}) serves and follows its switches", runner, settings.replicaId());
            }
            monitor.scheduleWithFixedDelay(replications::watch, 1, 1, TimeUnit.SECONDS);
            monitor.scheduleWithFixedDelay(this::runnerDuties, 1, 1, TimeUnit.SECONDS);
            return;
        }
        resumeAsRunner("abandoned: replica %s restarted on the data directory of the replica that led it".formatted(settings.replicaId()));
        monitor.scheduleWithFixedDelay(replications::watch, 1, 1, TimeUnit.SECONDS);
        monitor.scheduleWithFixedDelay(this::runnerDuties, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Resumes, on the replica that runs the migration's work, whatever its previous process (or, after a takeover,
     * the replica that ran it before) left under way: a switch barrier left open is aborted (only the runner leads
     * switches), unfinished operations run on, replication resumes.
     */
    private void resumeAsRunner(String abandonedBecause)
    {
        int abandoned = store.inTransaction(connection -> SwitchBarrier.abortOpen(connection, abandonedBecause));
        if (abandoned > 0) {
            log.info("Aborted the switch barrier left open by the replica that led it before: the other replicas release their writes");
        }
        List<Operation> unfinished = store.unfinishedOperations();
        for (Operation operation : unfinished) {
            started.add(operation.id());
            log.info("Resuming unfinished operation {} ({} of migration execution {})", operation.id(), operation.verb().wireName(), operation.execution());
            switch (operation.verb()) {
                case START -> submit(() -> runStart(operation.execution(), operation.id()));
                case CANCEL -> submit(() -> runCancel(operation.execution(), operation.id()));
                case DELETE -> submit(() -> finishDelete(operation.execution(), operation.id()));
                case COMPLETE -> cutover.resume(operation);
                // Settled by recover(), before the front's engine started.
                case UPGRADE -> { }
            }
        }
        ServiceRecord service = store.service();
        store.liveExecution().ifPresent(execution -> {
            boolean pendingStart = unfinished.stream().anyMatch(operation -> operation.verb() == Verb.START && operation.execution().equals(execution.id()));
            if (!pendingStart && (execution.state() == ExecutionState.RUNNING || execution.state() == ExecutionState.AWAITING_USER_ACTION)
                    && service.backendExecution().equals(Optional.of(execution.id()))) {
                submit(() -> replications.resume(execution.id()));
            }
        });
        for (MigrationExecution execution : store.executions()) {
            if (execution.state() == ExecutionState.DELETING && unfinished.stream().noneMatch(operation -> operation.execution().equals(execution.id()))) {
                submit(() -> finishDelete(execution.id(), null));
            }
        }
    }

    /**
     * On a replica that does not run the migration: has its follower start an engine on the own database once the
     * runner publishes that replication streams (or the cutover began), and keep it while the service serves from the
     * source; the runner has a standby engine of its own (ReplicationSupervisor).
     */
    private void tendOwnEngineAhead(String runner)
    {
        ServiceRecord service = duties.inTransaction(ControlStore::service);
        Optional<MigrationExecution> live = service.backend() == ServiceRecord.Backend.SOURCE && !runner.equals(settings.replicaHome())
                ? store.liveExecution().filter(execution -> execution.id().equals(service.backendExecution().orElse(""))) : Optional.empty();
        boolean wanted = live.isPresent() && (live.get().state() == ExecutionState.RUNNING || live.get().state() == ExecutionState.AWAITING_USER_ACTION)
                && (live.get().phase() == Phase.CUTOVER || publishedReplication(live.get().id())
                        .filter(published -> published.age().compareTo(PUBLISHED_PROGRESS_FRESH) < 0)
                        .map(published -> published.view().path("stage").asText().equals("STREAMING")).orElse(false));
        follower.ownEngineAhead(wanted, live.isPresent());
    }

    /**
     * On a replica that does not run the migration: when the runner is not live (unseen for
     * {@code replicas.dead-after}) while a migration or an operation is under way, this replica takes the work over
     * (one replica wins: the runner is changed only where it is still the dead one), if it reaches the migration's
     * staging log. Replication then takes the replication lease, which fences the old runner should it come back.
     *
     * @param runner the runner the control store names now
     * @return the runner now: this replica's data directory after a takeover, else {@code runner}
     */
    private String takeOverIfRunnerDead(String runner)
    {
        if (runner.isEmpty() || runner.equals(settings.replicaHome()) || closed) {
            return runner;
        }
        Optional<MigrationExecution> live = store.liveExecution();
        List<Operation> unfinished = duties.inTransaction(ControlStore::unfinishedOperations);
        if (live.isEmpty() && unfinished.isEmpty()) {
            return runner;
        }
        boolean runnerLive = duties.inTransaction(connection -> ReplicaStore.live(connection, settings.replicaDeadAfter()).stream()
                .anyMatch(replica -> replica.dataDirectory().equals(runner)));
        if (runnerLive) {
            return runner;
        }
        if (live.isPresent() && live.get().state() != ExecutionState.STARTING) {
            java.nio.file.Path staging = replications.stagingDirectory(live.get());
            // A staging log in an object store is every replica's; one in a directory, only where that directory is.
            Optional<String> unreachable;
            try {
                unreachable = replications.stagingMirror(live.get()).isPresent() || java.nio.file.Files.isDirectory(staging)
                        ? Optional.empty()
                        : Optional.of("its staging log %s is not a directory here. Give replicas a shared staging location (cdcConfig.bucket: an s3:// bucket, or a shared file system)"
                                .formatted(staging));
            }
            catch (ControlException e) {
                // The migration stages to an object store this replica has no configuration for.
                unreachable = Optional.of(e.getMessage());
            }
            if (unreachable.isPresent()) {
                if (unreachableStagingLogged.add(live.get().id())) {
                    log.warn("The migration's runner (data directory {}) is not live, but this replica ({}) cannot take migration execution {} over: {}, or start the runner again",
                            runner, settings.replicaId(), live.get().id(), unreachable.get());
                }
                return runner;
            }
        }
        // Under the service row's lock, which a starting replica's attach takes too: a runner restarted meanwhile is
        // either seen live here (it registered before its attach), or finds this replica named the runner.
        boolean taken = duties.inTransaction(connection -> {
            ControlStore.lockService(connection);
            boolean stillDead = ReplicaStore.live(connection, settings.replicaDeadAfter()).stream().noneMatch(replica -> replica.dataDirectory().equals(runner));
            return stillDead && ControlStore.takeOverRunner(connection, runner, settings.replicaHome());
        });
        if (!taken) {
            // Another replica took it over first: read on the next tick.
            return runner;
        }
        log.warn("The migration's runner (data directory {}) has not been seen for {} s: this replica ({}, data directory {}) takes the migration's work over",
                runner, settings.replicaDeadAfter().toSeconds(), settings.replicaId(), settings.replicaHome());
        resumeAsRunner("abandoned: the replica that led it (data directory %s) is not live; replica %s took the migration over".formatted(runner, settings.replicaId()));
        return settings.replicaHome();
    }

    /**
     * Every second, on the replica that runs the migration: publishes replication's progress, which the other
     * replicas show and check completeMigration against, and runs the completeMigration and cancelMigration they
     * accepted.
     */
    private void runnerDuties()
    {
        try {
            String runner = takeOverIfRunnerDead(duties.inTransaction(ControlStore::runner));
            tendOwnEngineAhead(runner);
            Optional<String> replicating = replications.replicating();
            if (replicating.isPresent()) {
                String id = replicating.get();
                Optional<Replication.Status> status = replications.status(id);
                if (status.isPresent()) {
                    ObjectNode view = Views.replicationProgress(status.get(), lastVerification(id));
                    duties.inTransaction(connection -> {
                        ControlStore.publishReplication(connection, id, view);
                        return null;
                    });
                }
            }
            List<Operation> unfinished = duties.inTransaction(connection -> settings.replicaHome().equals(ControlStore.runner(connection))
                    ? ControlStore.unfinishedOperations(connection) : List.<Operation>of());
            for (Operation operation : unfinished) {
                if ((operation.verb() == Verb.COMPLETE || operation.verb() == Verb.CANCEL) && started.add(operation.id())) {
                    log.info("Running operation {} ({} of migration execution {}), which another replica accepted", operation.id(), operation.verb().wireName(),
                            operation.execution());
                    submit(operation.verb() == Verb.COMPLETE ? () -> cutover.run(operation.execution(), operation.id()) : () -> runCancel(operation.execution(), operation.id()));
                }
            }
        }
        catch (RuntimeException e) {
            log.warn("Could not publish replication's progress or look for operations accepted by other replicas: {}", Text.escaped(String.valueOf(e.getMessage())));
        }
    }

    /** Replication's progress as the replica running the execution's migration last published it. */
    public Optional<ControlStore.PublishedReplication> publishedReplication(String executionId)
    {
        return store.inTransaction(connection -> ControlStore.publishedReplication(connection, executionId));
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
        return replications.status(executionId);
    }

    /** Replication's status, whichever execution it runs for. */
    public Optional<Replication.Status> replicationStatus()
    {
        return replications.status();
    }

    public Optional<Views.Verification> lastVerification(String executionId)
    {
        return Optional.ofNullable(verifications.get(executionId));
    }

    /**
     * The execution's apply lag as sampled while replication ran in this process (kept until the execution is
     * deleted; a restart starts a new history).
     */
    public LagHistory.Snapshot lagHistory(String executionId)
    {
        return replications.lagHistory(executionId);
    }

    public Optional<Router> router()
    {
        return Optional.ofNullable(router);
    }

    // ---- replicas ----

    /** The service's replicas, as the control store knows them. */
    public List<ReplicaRecord> replicas()
    {
        return new ReplicaStore(store).list(settings.replicaDeadAfter());
    }

    /**
     * Refuses {@code method} while another replica is live: the other replicas do not follow what it changes (an
     * upgrade of the own database's Hive version).
     */
    static void refuseWithOtherReplicas(Connection connection, Settings settings, String method)
            throws SQLException
    {
        List<ReplicaRecord> others = ReplicaStore.live(connection, settings.replicaDeadAfter()).stream()
                .filter(replica -> !replica.id().equals(settings.replicaId()))
                .toList();
        if (!others.isEmpty()) {
            throw new ControlException(ErrorCode.FAILED_PRECONDITION, ("%s changes the engine of every replica, and Ferry does not yet do that on several replicas "
                    + "together: %s also serve%s service %s. Stop %s, then retry (a replica stopped without a clean "
                    + "stop counts as live until it has been unseen for %s s)").formatted(method, ReplicaStore.describe(others), others.size() == 1 ? "s" : "", settings.name(),
                    others.size() == 1 ? "it" : "them", settings.replicaDeadAfter().toSeconds()));
        }
    }

    /**
     * Whether this replica runs the migration (the one startMigration was sent to, named by its data directory, which
     * survives its restarts): then it runs {@code method} itself; else the runner, which must be live, adopts the
     * operation (within a second). Refuses {@code method} when the runner is not live.
     */
    static boolean runnerHere(Connection connection, Settings settings, String method)
            throws SQLException
    {
        String runner = ControlStore.runner(connection);
        if (runner.isEmpty() || runner.equals(settings.replicaHome())) {
            return true;
        }
        boolean live = ReplicaStore.live(connection, settings.replicaDeadAfter()).stream().anyMatch(replica -> replica.dataDirectory().equals(runner));
        if (!live) {
            throw new ControlException(ErrorCode.FAILED_PRECONDITION, ("the migration runs on the replica of data directory %s, which is not live: another replica takes "
                    + "the migration over within a second once it has been unseen for %s s (if it reaches the migration's staging log), or start it again; then retry %s")
                    .formatted(runner, settings.replicaDeadAfter().toSeconds(), method));
        }
        return false;
    }

    /** How old the runner's published progress may be for another replica to accept completeMigration on it. */
    private static final Duration PUBLISHED_PROGRESS_FRESH = Duration.ofSeconds(10);

    // ---- startMigration ----

    public Accepted startMigration(Optional<UUID> requestId, MigrationConfig config)
    {
        requireNonNull(config, "config is null");
        MigrationConfig stored = config.withoutPasswords();
        ControlStore.SealedPasswords passwords = new ControlStore.SealedPasswords(secrets.encrypt(config.connection().password()), secrets.encrypt(config.cdc().password()));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            Optional<Accepted> repeated = operations.repeated(connection, requestId, "startMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            // This replica runs the migration's work: its operations, replication, and the switches, which the
            // other replicas follow.
            ControlStore.setRunner(connection, settings.replicaHome());
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
            Operation operation = Operations.newOperation(now, settings.name().name(), Verb.START, id, "checking the source");
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
            submit(() -> runStart(operation.execution(), operation.id()));
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
            operations.finishOperation(operationId, Optional.empty(), Optional.of(Operations.error(ErrorCode.ABORTED, "migration execution %s was cancelled before it started".formatted(id))), "cancelled");
            return;
        }
        if (execution.state() != ExecutionState.STARTING) {
            operations.finishAsItStands(operationId, execution);
            return;
        }
        try {
            SourceDatabase source = replications.source(execution);
            ServiceRecord service = store.service();
            List<String> warnings = List.of();
            if (!service.backendExecution().equals(Optional.of(id))) {
                operations.progress(operationId, "checking the source's preconditions");
                Preconditions preconditions = preconditions(source);
                SourceFacts facts = preconditions.check(source, engines.ownDatabase());
                warnings = facts.warnings();
                operations.progress(operationId, "source " + facts.dialect().describe() + " ready");
                replications.checkStaging(execution);
                operations.progress(operationId, "starting an engine on the source database");
                // The other replicas start theirs meanwhile.
                try (ReplicaSwitch barrier = ReplicaSwitch.announce(store, settings.replicaId(), settings.replicaDeadAfter(), ServiceRecord.Backend.SOURCE, Optional.of(id))) {
                    try {
                        Engine engine = engines.startSource(source);
                        try {
                            barrier.awaitReady(settings.switchPrepareTimeout());
                        }
                        catch (InterruptedException | RuntimeException e) {
                            engine.close();
                            throw e;
                        }
                        // Until the front serves from the source, a write to the own database would be lost under the
                        // backfill: writes are held (they then go to the source), and the own database is checked again.
                        router.gate().holdWrites();
                        try {
                            try {
                                Optional<String> late = Cutover.awaitWritesInFlight(router.gate());
                                if (late.isPresent()) {
                                    throw new ControlException(ErrorCode.ABORTED, "%s (to the own database); nothing was started".formatted(late.get()));
                                }
                                preconditions.check(source, engines.ownDatabase());
                            }
                            catch (InterruptedException | RuntimeException e) {
                                engine.close();
                                throw e;
                            }
                            switchFront(barrier, ServiceRecord.Backend.SOURCE, Optional.of(id), engine);
                        }
                        finally {
                            router.gate().release();
                        }
                    }
                    catch (InterruptedException | RuntimeException e) {
                        barrier.abort("startMigration failed on replica %s: %s".formatted(settings.replicaId(), e.getMessage()));
                        throw e;
                    }
                }
            }
            // The own database takes the source's schema version while it holds nothing: no engine runs on it now.
            engines.reinitializeOwnSchema(sourceSchemaVersion(source)).ifPresent(previous -> operations.progress(operationId,
                    "the own database was initialised anew with the source's metastore schema (it had %s)".formatted(previous)));
            operations.progress(operationId, "replication connecting");
            Replication started = replications.start(execution);
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
            // What does not stop a migration but should be known (an untested server version, a short binlog
            // retention) stays in the execution's state message while it runs.
            String stateMessage = warnings.isEmpty() ? "" : "warning: " + String.join("; warning: ", warnings);
            boolean running = store.inTransaction(connection -> {
                if (!ControlStore.transition(connection, id, Set.of(ExecutionState.STARTING), ExecutionState.RUNNING, Phase.REPLICATION, stateMessage)) {
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
                operations.finishOperation(operationId, Optional.empty(), Optional.of(Operations.error(ErrorCode.ABORTED, "migration execution %s was cancelled before it started".formatted(id))), "cancelled");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (RuntimeException e) {
            failStart(id, operationId, e);
        }
    }

    /**
     * The source's metastore schema version, which picks the engine for the source and the own database; the
     * default (the own database's) when it cannot be read, so that the preconditions say why.
     */
    private String sourceSchemaVersion(SourceDatabase source)
    {
        String version = Preconditions.sourceSchemaVersion(source).orElseGet(engines::ownSchemaVersion);
        if (!engines.supportsSchemaVersion(version)) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_SCHEMA_VERSION_UNSUPPORTED,
                    "the source database %s at %s:%s has Hive metastore schema version %s, which Ferry has no engine for; Ferry runs %s. Upgrade the source metastore to one of them with Hive's schema tool (schematool -upgradeSchemaFrom) first"
                            .formatted(source.database(), source.host(), source.port(), version, engines.supportedSchemaVersions()));
        }
        return version;
    }

    /** The preconditions of a source of its schema version, with the own database checked against the schema it has now. */
    private Preconditions preconditions(SourceDatabase source)
    {
        String version = sourceSchemaVersion(source);
        String ownVersion = engines.ownSchemaVersion();
        return Preconditions.forSchema(mysqlSchemaScript(version), version, mysqlSchemaScript(ownVersion));
    }

    private Path mysqlSchemaScript(String schemaVersion)
    {
        return engines.upgradeScripts(schemaVersion).resolve("mysql").resolve("hive-schema-%s.mysql.sql".formatted(schemaVersion));
    }

    private void failStart(String id, String operationId, RuntimeException cause)
    {
        if (closed) {
            return;
        }
        Operation.OperationError error = Operations.errorOf(cause);
        log.error("Migration execution {} could not start: {}", id, Text.escaped(error.message()));
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() == ExecutionState.CANCELLING) {
            // The cancel that is queued behind this start reverts what the start did.
            Operations.recordFailure(id, clean -> operations.finishOperation(operationId, Optional.empty(), Optional.of(Operations.cleaned(error, clean)), "failed; a cancel is under way"));
            return;
        }
        try {
            revertToOwn(execution);
        }
        catch (RuntimeException e) {
            log.error("Migration execution {}: could not return to the own database after a failed start: {}", id, Text.escaped(e.getMessage()));
            Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
                ControlStore.updateStateMessage(connection, id, clean.apply("the start failed (%s) and returning to the own database failed too (%s); cancelMigration retries it"
                        .formatted(error.message(), e.getMessage())));
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(Operations.cleaned(error, clean)), "failed");
                return null;
            }));
            return;
        }
        boolean[] failed = {false};
        Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
            // A cancel that came meanwhile (CANCELLING) is left to finish the execution and the service.
            failed[0] = ControlStore.transition(connection, id, Set.of(ExecutionState.STARTING), ExecutionState.FAILED, Phase.REPLICATION, clean.apply(error.message()));
            if (failed[0]) {
                ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            }
            ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(Operations.cleaned(error, clean)), failed[0] ? "failed" : "failed; a cancel is under way");
            return null;
        }));
        if (failed[0]) {
            log.info("Migration execution {} FAILED; service {} ACTIVE, serving from the own database", id, settings.name());
        }
    }

    // ---- cancelMigration ----

    public Accepted cancelMigration(Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            Optional<Accepted> repeated = operations.repeated(connection, requestId, "cancelMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            boolean here = runnerHere(connection, settings, "cancelMigration");
            MigrationExecution live = ControlStore.liveExecution(connection)
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s runs no migration; there is nothing to cancel".formatted(settings.name())));
            if (live.phase() == Phase.CUTOVER) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is in CUTOVER; it can no longer be cancelled".formatted(settings.name().executionName(live.id())));
            }
            // A cancel under way: its operation, rather than a second cancel of the same execution. One that failed is
            // done (the execution stays CANCELLING), and this call starts the cancel again.
            Optional<Operation> running = ControlStore.unfinishedOperations(connection).stream()
                    .filter(operation -> operation.verb() == Verb.CANCEL && operation.execution().equals(live.id())).findFirst();
            if (running.isPresent()) {
                if (requestId.isPresent()) {
                    ControlStore.recordRequest(connection, requestId.get(), "cancelMigration", running.get().id());
                }
                return new Accepted(new StoredOperation(running.get(), Optional.empty()), true);
            }
            ControlStore.transition(connection, live.id(), LIVE, ExecutionState.CANCELLING, live.phase(), "cancelling");
            Operation operation = Operations.newOperation(now, settings.name().name(), Verb.CANCEL, live.id(), "cancelling");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "cancelMigration", operation.id());
            }
            if (here) {
                // Before the commit: the look for operations to adopt must not take it.
                started.add(operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            if (started.contains(operation.id())) {
                log.info("Migration execution {} CANCELLING (operation {})", operation.execution(), operation.id());
                submit(() -> runCancel(operation.execution(), operation.id()));
            }
            else {
                log.info("Migration execution {} CANCELLING (operation {}); the replica running the migration runs the cancel", operation.execution(), operation.id());
            }
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
            operations.finishAsItStands(operationId, execution);
            return;
        }
        try {
            operations.progress(operationId, "stopping replication and deleting the transferred data");
            revertToOwn(execution);
        }
        catch (RuntimeException e) {
            Operation.OperationError error = Operations.errorOf(e);
            log.error("Cancel of migration execution {} failed: {}", id, Text.escaped(error.message()));
            Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
                ControlStore.updateStateMessage(connection, id, clean.apply("cancel failed: %s; call cancelMigration again".formatted(error.message())));
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(Operations.cleaned(error, clean)), "failed");
                return null;
            }));
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
        replications.close();
        ServiceRecord service = store.service();
        Replication.Config config = replications.config(execution);
        if (service.backend() == ServiceRecord.Backend.SOURCE) {
            Replication.deleteTransferredData(config);
            try (ReplicaSwitch barrier = ReplicaSwitch.announce(store, settings.replicaId(), settings.replicaDeadAfter(), ServiceRecord.Backend.OWN, Optional.empty())) {
                try {
                    Engine own = engines.startOwn();
                    try {
                        barrier.awaitReady(settings.switchPrepareTimeout());
                    }
                    catch (InterruptedException | RuntimeException e) {
                        own.close();
                        throw e;
                    }
                    switchFront(barrier, ServiceRecord.Backend.OWN, Optional.empty(), own);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    barrier.abort("Ferry stopped on replica %s".formatted(settings.replicaId()));
                    throw new ControlException(ErrorCode.ABORTED, "Ferry is stopping; call cancelMigration again after the restart", e);
                }
                catch (RuntimeException e) {
                    barrier.abort("cancelMigration failed on replica %s: %s".formatted(settings.replicaId(), e.getMessage()));
                    throw e;
                }
            }
        }
        else {
            TransferredDataDeletion.deleteStagingDirectory(config.stagingDirectory());
            // Nothing was staged before the front switched (at most a probe): an object store that cannot be reached
            // now (the reason the start failed, perhaps) must not keep the execution from ending.
            config.stagingMirror().ifPresent(mirror -> {
                try {
                    log.info("Migration execution {}: {} objects of the staging log deleted from {}", execution.id(), mirror.deleteAll(), mirror.uri());
                }
                catch (RuntimeException e) {
                    log.warn("Migration execution {}: could not delete what may be left under {} (nothing was staged): {}", execution.id(), mirror.uri(), Text.escaped(e.getMessage()));
                }
            });
        }
    }

    // ---- completeMigration ----

    public Accepted completeMigration(Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            Optional<Accepted> repeated = operations.repeated(connection, requestId, "completeMigration");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            boolean here = runnerHere(connection, settings, "completeMigration");
            MigrationExecution live = ControlStore.liveExecution(connection)
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s runs no migration; there is nothing to complete".formatted(settings.name())));
            String name = settings.name().executionName(live.id());
            if (live.state() != ExecutionState.RUNNING || live.phase() != Phase.REPLICATION) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is %s in phase %s; completeMigration needs it RUNNING in phase REPLICATION"
                        .formatted(name, live.state(), live.phase()));
            }
            if (here) {
                Replication.Status status = replicationStatus(live.id())
                        .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "replication of migration execution %s is not running yet; try again shortly".formatted(name)));
                requireStreaming(name, status.stage().name(), status.rowsCopied(), status.rowsTotal());
            }
            else {
                // The runner's published progress: the backfill must be done, as the runner itself would check.
                ControlStore.PublishedReplication published = ControlStore.publishedReplication(connection, live.id())
                        .filter(progress -> progress.age().compareTo(PUBLISHED_PROGRESS_FRESH) < 0)
                        .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION,
                                "the replica running migration execution %s has not reported replication's progress in the last %s s; try again shortly".formatted(name,
                                        PUBLISHED_PROGRESS_FRESH.toSeconds())));
                JsonNode backfill = published.view().path("backfill");
                requireStreaming(name, published.view().path("stage").asText("CONNECTING"), backfill.path("rowsCopied").asLong(), backfill.path("rowsTotal").asLong());
            }
            ControlStore.changePhase(connection, live.id(), ExecutionState.RUNNING, Phase.REPLICATION, Phase.CUTOVER, "cutover: switching to the own database");
            Operation operation = Operations.newOperation(now, settings.name().name(), Verb.COMPLETE, live.id(), "cutover starting");
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "completeMigration", operation.id());
            }
            if (here) {
                // Before the commit: the look for operations to adopt must not take it.
                started.add(operation.id());
            }
            return new Accepted(new StoredOperation(operation, Optional.empty()), false);
        });
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            if (started.contains(operation.id())) {
                log.info("Migration execution {} RUNNING, phase CUTOVER (operation {})", operation.execution(), operation.id());
                submit(() -> cutover.run(operation.execution(), operation.id()));
            }
            else {
                log.info("Migration execution {} RUNNING, phase CUTOVER (operation {}); the replica running the migration runs the cutover", operation.execution(), operation.id());
            }
        }
        return accepted;
    }

    /** completeMigration needs the backfill done: replication STREAMING. */
    private static void requireStreaming(String name, String stage, long rowsCopied, long rowsTotal)
    {
        if (!stage.equals(Replication.Stage.STREAMING.name())) {
            throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is still in %s: %s of %s rows copied (%s%%); complete it once the backfill is done"
                    .formatted(name, stage, rowsCopied, rowsTotal, rowsTotal == 0 ? 0 : rowsCopied * 100 / rowsTotal));
        }
    }

    // ---- upgradeHiveVersion ----

    /**
     * Upgrades the own database's metastore and the engine serving it to a newer Hive version (a release line such
     * as {@code 4.0}, or an exact version): refused while a migration is live, when the service runs the newest
     * version Ferry has, or when the version asked for is not newer.
     */
    public Accepted upgradeHiveVersion(Optional<UUID> requestId, String hiveVersion)
    {
        requireNonNull(hiveVersion, "hiveVersion is null");
        Accepted accepted = upgrades.accept(requestId, hiveVersion);
        if (!accepted.repeated()) {
            Operation operation = accepted.operation().operation();
            log.info("Hive version upgrade {} RUNNING, service {} UPDATING (operation {})", operation.execution(), settings.name(), operation.id());
            worker.submit(() -> upgrades.run(operation.execution(), operation.id()));
        }
        return accepted;
    }

    /** Every upgrade of the Hive version, oldest first. */
    public List<HiveVersionUpgrade> hiveVersionUpgrades()
    {
        return store.upgrades();
    }

    // ---- delete ----

    public Accepted deleteExecution(String id, Optional<UUID> requestId)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Accepted accepted = store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            Optional<Accepted> repeated = operations.repeated(connection, requestId, "delete");
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
            Operation operation = Operations.newOperation(now, settings.name().executionName(id), Verb.DELETE, id, "deleting");
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
        replications.forget(id);
        log.info("Migration execution {} deleted", id);
    }

    // ---- the front ----

    /**
     * Holds the other replicas' writes, records the switch durably with the barrier's commit, then points the router at
     * {@code engine} and closes the previous engine; the other replicas switch as they read the commit.
     */
    private void switchFront(ReplicaSwitch barrier, ServiceRecord.Backend backend, Optional<String> execution, Engine engine)
    {
        long generation;
        try {
            barrier.holdOthers(router.gate().holdBound(), router.gate().holdBound().dividedBy(4));
            generation = store.inTransaction(connection -> {
                barrier.commit(connection);
                return ControlStore.switchBackend(connection, backend, execution);
            });
        }
        catch (InterruptedException e) {
            engine.close();
            Thread.currentThread().interrupt();
            throw new ControlException(ErrorCode.ABORTED, "Ferry is stopping; nothing was switched", e);
        }
        catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        if (generation != barrier.generation()) {
            log.warn("The switch recorded generation {}, not the {} it announced: another switch came between", generation, barrier.generation());
        }
        Engine previous = router.switchTo(engine, generation);
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

    /**
     * Runs {@code task} on the worker thread; what it throws is logged (an executor would keep it in a Future no one
     * reads). Each task records its own failures in the control store.
     */
    private void submit(Runnable task)
    {
        if (worker.isShutdown()) {
            return;
        }
        worker.execute(() -> {
            try {
                task.run();
            }
            catch (RuntimeException | Error e) {
                log.error("A background task of the control plane failed: {}", Text.escaped(String.valueOf(e.getMessage())), e);
            }
        });
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
        follower.close();
        monitor.shutdownNow();
        try {
            monitor.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        duties.close();
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replications.close();
        replications.closeLease();
        Router current = router;
        if (current != null) {
            current.activeEngine().close();
        }
    }
}
