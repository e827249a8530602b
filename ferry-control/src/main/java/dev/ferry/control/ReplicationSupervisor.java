package dev.ferry.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Phase;
import dev.ferry.control.security.SecretBox;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.CoordinatorLease;
import dev.ferry.engine.Engine;
import dev.ferry.replication.Replication;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.preconditions.Preconditions;
import dev.ferry.replication.staging.ObjectStore;
import dev.ferry.replication.staging.StagingMirror;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Replication supervision: the one replication of the running migration (at most one at a time), started, resumed
 * and stopped here; watched once a second (an error moves the execution to AWAITING_USER_ACTION and is retried
 * every retry interval, unless it is not retriable, which stops replication here; once it runs again the execution
 * is RUNNING again); its lag sampled into a bounded history;
 * once it streams, the engine on the own database that the cutover will switch to started as a standby.
 */
final class ReplicationSupervisor
{
    private static final Logger log = LoggerFactory.getLogger(ReplicationSupervisor.class);
    /** The lag is sampled as often as replication is watched; 720 samples are 12 minutes at that rate, and thinned after. */
    static final Duration LAG_SAMPLE_INTERVAL = Duration.ofSeconds(1);
    private static final int LAG_HISTORY_SAMPLES = 720;

    private final ControlStore store;
    private final SecretBox secrets;
    private final Engines engines;
    private final ControlPlane.Settings settings;
    private final Consumer<Runnable> worker;
    private final BooleanSupplier closed;
    private final Map<String, LagHistory> lagHistories = new ConcurrentHashMap<>();
    private final AtomicLong nextRetry = new AtomicLong();
    private final StandbyEngine standby;
    private volatile Replication replication;
    private volatile String replicating;
    /** An execution whose replication could not resume here, tried again every retry interval; null when none. */
    private volatile String pendingResume;
    /** The replication lease of the replicas that share the control store: who may replicate (issue 16). */
    private final CoordinatorLease lease;
    /** The epoch this process holds the lease with; 0 when it does not hold it. */
    private volatile long leaseEpoch;
    /** Until when, by this process's clock ({@link System#nanoTime}), it may take itself to hold the lease. */
    private volatile long leaseValidUntil;

    /**
     * @param worker runs a step on the control plane's worker thread
     * @param closed whether the control plane is closing: nothing new is started
     */
    ReplicationSupervisor(ControlStore store, SecretBox secrets, Engines engines, ControlPlane.Settings settings, Consumer<Runnable> worker, BooleanSupplier closed)
    {
        this.store = requireNonNull(store, "store is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.engines = requireNonNull(engines, "engines is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.worker = requireNonNull(worker, "worker is null");
        this.closed = requireNonNull(closed, "closed is null");
        this.standby = new StandbyEngine(engines::startOwnStandby);
        this.lease = store.lease(settings.replicaId(), settings.replicaDeadAfter());
    }

    /** The replication running for this execution, if one is. */
    Optional<Replication> running(String executionId)
    {
        Replication current = replication;
        return current != null && executionId.equals(replicating) ? Optional.of(current) : Optional.empty();
    }

    /** Replication's status, for the execution it is running for. */
    Optional<Replication.Status> status(String executionId)
    {
        return running(executionId).map(Replication::status);
    }

    /** The execution replication runs for in this process, if it runs. */
    Optional<String> replicating()
    {
        return replication == null ? Optional.empty() : Optional.ofNullable(replicating);
    }

    /** Replication's status, whichever execution it runs for. */
    Optional<Replication.Status> status()
    {
        Replication current = replication;
        return current == null ? Optional.empty() : Optional.of(current.status());
    }

    /** The execution's apply lag as sampled while replication ran in this process. */
    LagHistory.Snapshot lagHistory(String executionId)
    {
        LagHistory history = lagHistories.get(executionId);
        return history == null ? new LagHistory.Snapshot(List.of(), LAG_SAMPLE_INTERVAL) : history.snapshot();
    }

    /** Forgets an execution's lag history (the execution is deleted). */
    void forget(String executionId)
    {
        lagHistories.remove(executionId);
    }

    /**
     * Stops what runs, then starts (or resumes) replication for the execution. A standby engine of the execution is
     * kept: a retry after an error restarts replication, not the engine; one of another execution is closed.
     */
    Replication start(MigrationExecution execution)
    {
        stopReplication();
        standby.discardUnlessOf(execution.id());
        long epoch = acquireLease(execution.id());
        Replication started = Replication.start(config(execution).withFence(lease.fence(epoch).whileHeldLocally(this::holdsLease))
                .withApplicationName(lease.applicationName("replication")));
        replicating = execution.id();
        replication = started;
        return started;
    }

    /** Resumes replication for an execution that runs, after a restart or a retry. */
    void resume(String id)
    {
        if (closed.getAsBoolean()) {
            return;
        }
        MigrationExecution execution = store.execution(id).orElseThrow();
        if (execution.state() != ExecutionState.RUNNING && execution.state() != ExecutionState.AWAITING_USER_ACTION) {
            return;
        }
        log.info("Migration execution {}: resuming replication", id);
        try {
            start(execution);
            pendingResume = null;
        }
        catch (RuntimeException e) {
            // Replication cannot start here now (the lease is another replica's, the source is unreachable): the
            // execution says so, and it is tried again every retry interval.
            pendingResume = id;
            nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
            String message = "replication could not resume: %s; Ferry retries every %s s, or cancelMigration".formatted(e.getMessage(), settings.retryInterval().toSeconds());
            Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
                if (!ControlStore.transition(connection, id, Set.of(ExecutionState.RUNNING), ExecutionState.AWAITING_USER_ACTION, execution.phase(), clean.apply(message))) {
                    ControlStore.updateStateMessage(connection, id, clean.apply(message));
                }
                return null;
            }));
            log.warn("Migration execution {}: {}", id, Text.escaped(message));
        }
    }

    /**
     * The engine on the own database for the execution's cutover: the standby started while it streamed, or one
     * started now. The caller owns it.
     */
    Engine ownEngineForCutover(String executionId)
            throws InterruptedException
    {
        return standby.take(executionId);
    }

    /** The engine of an aborted cutover, which served nothing, kept for the execution's next cutover. */
    void giveBackOwnEngine(String executionId, Engine engine)
    {
        standby.giveBack(executionId, engine);
    }

    /**
     * Takes the replication lease, or renews it if this process holds it; waits for another holder's lease to expire
     * (a replica that died keeps it until then, or until its sessions are gone).
     *
     * @return the epoch this process holds it with
     */
    private long acquireLease(String id)
    {
        long deadline = System.nanoTime() + settings.replicaDeadAfter().multipliedBy(2).plusSeconds(5).toNanos();
        while (true) {
            long before = System.nanoTime();
            Optional<Long> epoch = lease.tryAcquire();
            if (epoch.isPresent()) {
                leaseValidUntil = before + settings.replicaDeadAfter().toNanos();
                if (leaseEpoch != epoch.get()) {
                    log.info("Migration execution {}: this replica ({}) holds the replication lease, epoch {}", id, settings.replicaId(), epoch.get());
                }
                leaseEpoch = epoch.get();
                return epoch.get();
            }
            if (System.nanoTime() - deadline > 0 || closed.getAsBoolean()) {
                String holder = lease.holder().map(seen -> "%s (epoch %s, %s)".formatted(seen.holder(), seen.epoch(), seen.expired() ? "expired" : "until " + seen.expireTime()))
                        .orElse("nobody");
                throw new IllegalStateException("another replica holds the replication lease: %s; this replica (%s) runs replication once it is free"
                        .formatted(holder, settings.replicaId()));
            }
            try {
                Thread.sleep(250);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the replication lease", e);
            }
        }
    }

    /** The monitor thread's: renewals that failed in a row, and when the last warning about them was logged. */
    private int renewFailures;
    private long lastRenewWarning;

    /** Whether this process holds the lease by its own clock: it renewed it less than the lease's ttl ago. */
    private boolean holdsLease()
    {
        return leaseEpoch != 0 && System.nanoTime() - leaseValidUntil < 0;
    }

    /**
     * Renews the lease while replication runs here (once a second, from {@link #watch}); gives it up once it does not,
     * so that another replica can take it at once. A renewal that finds the lease taken stops replication here.
     */
    private void keepLease()
    {
        long epoch = leaseEpoch;
        if (epoch == 0) {
            return;
        }
        if (replication == null) {
            worker.accept(this::releaseLeaseIfIdle);
            return;
        }
        long before = System.nanoTime();
        try {
            if (lease.renew(epoch)) {
                leaseValidUntil = before + settings.replicaDeadAfter().toNanos();
                if (renewFailures > 0) {
                    log.info("Renewed the replication lease (epoch {}) again, after {} failed renewals", epoch, renewFailures);
                    renewFailures = 0;
                }
                return;
            }
        }
        catch (RuntimeException e) {
            // Once a second while the control store is unreachable: the first failure, then one line every 10 s.
            renewFailures++;
            if (renewFailures == 1 || before - lastRenewWarning >= TimeUnit.SECONDS.toNanos(10)) {
                lastRenewWarning = before;
                log.warn("Could not renew the replication lease (epoch {}{}): {}; it holds for {} ms more by this replica's clock", epoch,
                        renewFailures == 1 ? "" : ", %s failed renewals in a row".formatted(renewFailures), Text.escaped(String.valueOf(e.getMessage())),
                        Math.max(0, TimeUnit.NANOSECONDS.toMillis(leaseValidUntil - System.nanoTime())));
            }
            return;
        }
        renewFailures = 0;
        log.warn("The replication lease (epoch {}) was taken by another replica: replication stops in this process", epoch);
        leaseEpoch = 0;
        worker.accept(this::stopReplication);
    }

    /** On the worker, where replication starts: gives the lease up unless replication started again meanwhile. */
    private void releaseLeaseIfIdle()
    {
        long epoch = leaseEpoch;
        if (replication != null || epoch == 0) {
            return;
        }
        leaseEpoch = 0;
        try {
            lease.release(epoch);
        }
        catch (RuntimeException e) {
            log.warn("Could not give up the replication lease (epoch {}): {}; it expires by itself", epoch, Text.escaped(String.valueOf(e.getMessage())));
        }
    }

    /** Stops replication, if it runs, and closes the standby engine; it can be resumed. Gives the lease up. */
    void close()
    {
        pendingResume = null;
        stopReplication();
        standby.discard();
        releaseLeaseIfIdle();
    }

    /** Ends the lease's session: the process stops. */
    void closeLease()
    {
        lease.close();
    }

    private void stopReplication()
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
    void watch()
    {
        try {
            keepLease();
            Replication current = replication;
            String id = replicating;
            String pending = pendingResume;
            if (current == null && pending != null && !closed.getAsBoolean() && System.nanoTime() - nextRetry.get() > 0) {
                nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
                worker.accept(() -> {
                    if (replication == null && pending.equals(pendingResume)) {
                        resume(pending);
                    }
                });
                return;
            }
            if (current == null || id == null || closed.getAsBoolean()) {
                return;
            }
            current.status().lagMillis().ifPresent(lag -> lagHistories.computeIfAbsent(id, execution -> new LagHistory(LAG_HISTORY_SAMPLES, LAG_SAMPLE_INTERVAL))
                    .record(Instant.now(), lag));
            Optional<ReplicationException> failure = current.failure();
            MigrationExecution execution = store.execution(id).orElse(null);
            if (execution == null) {
                return;
            }
            if (failure.isPresent() && !failure.get().reason().retriable()) {
                // FENCED: another replica runs the migration now (issue 16). The execution's state is that replica's
                // to record; this process stops its replication and does not start it again.
                worker.accept(() -> stopForGood(current, id, failure.get()));
                return;
            }
            if (failure.isPresent() && execution.state() == ExecutionState.RUNNING) {
                String message = "replication stopped: %s. %s; Ferry retries every %s s, or cancelMigration".formatted(failure.get().getMessage(),
                        failure.get().reason().userMustFix() ? "Fix the source" : "Check the own database and the staging location", settings.retryInterval().toSeconds());
                Operations.recordFailure(id, clean -> store.inTransaction(connection -> ControlStore.transition(connection, id, Set.of(ExecutionState.RUNNING),
                        ExecutionState.AWAITING_USER_ACTION, execution.phase(), clean.apply(message))));
                log.warn("Migration execution {} AWAITING_USER_ACTION: {}", id, Text.escaped(message));
                nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
            }
            else if (failure.isPresent() && execution.state() == ExecutionState.AWAITING_USER_ACTION && System.nanoTime() - nextRetry.get() > 0) {
                nextRetry.set(System.nanoTime() + settings.retryInterval().toNanos());
                worker.accept(() -> resume(id));
            }
            else if (failure.isEmpty() && execution.state() == ExecutionState.AWAITING_USER_ACTION
                    && (current.stage() == Replication.Stage.BACKFILL || current.stage() == Replication.Stage.STREAMING)) {
                store.inTransaction(connection -> ControlStore.transition(connection, id, Set.of(ExecutionState.AWAITING_USER_ACTION), ExecutionState.RUNNING, execution.phase(), ""));
                log.info("Migration execution {} RUNNING again: replication is in {}", id, current.stage());
            }
            else if (failure.isEmpty() && execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.REPLICATION
                    && current.stage() == Replication.Stage.STREAMING) {
                // The backfill is done: the own database holds the whole copy, which the engine's start reads.
                standby.prepare(id);
            }
        }
        catch (RuntimeException e) {
            log.warn("Watching replication failed: {}", Text.escaped(e.getMessage()));
        }
    }

    /** On the worker, where replication starts too: stops {@code failed} unless another replication replaced it since. */
    private void stopForGood(Replication failed, String id, ReplicationException failure)
    {
        if (replication != failed) {
            return;
        }
        log.warn("Migration execution {}: replication stopped in this process and is not retried: {}", id, Text.escaped(failure.getMessage()));
        stopReplication();
    }

    Replication.Config config(MigrationExecution execution)
    {
        // The own database's schema version is the source's once the front serves from the source; before, a cancel
        // deletes what its own version holds.
        String schemaVersion = ownSchemaVersion(execution);
        return new Replication.Config(execution.id(), source(execution), engines.ownDatabase(), engines.upgradeScripts(schemaVersion), schemaVersion,
                stagingDirectory(execution), settings.segmentBytes(), Backfill.Options.defaults(), Apply.Options.defaults()).withStagingMirror(stagingMirror(execution));
    }

    /**
     * The own database's schema version; while a backfill copies the source's {@code VERSION} table it may be empty
     * (a cancel then stops the backfill there), and the own database was given the source's schema version at the
     * start, so that is the version then.
     */
    private String ownSchemaVersion(MigrationExecution execution)
    {
        try {
            return engines.ownSchemaVersion();
        }
        catch (IllegalStateException e) {
            return Preconditions.sourceSchemaVersion(source(execution)).orElseThrow(() -> e);
        }
    }

    /**
     * {@code {bucket}/{rootPath}/{execution id}}; without a bucket, under the data directory's staging root. For a
     * bucket in the object store, the log's cache on this replica: {@code {staging root}/object-store-cache/{execution id}}.
     */
    Path stagingDirectory(MigrationExecution execution)
    {
        StagingLocations staging = settings.staging();
        if (objectLocation(execution).isPresent()) {
            return staging.defaultRoot().resolve("object-store-cache").resolve(execution.id()).toAbsolutePath().normalize();
        }
        Path bucket = execution.config().cdc().bucket().map(staging::resolve).orElse(staging.defaultRoot());
        String root = execution.config().cdc().rootPath().replaceAll("^/+", "");
        return (root.isEmpty() ? bucket : bucket.resolve(root)).resolve(execution.id()).toAbsolutePath().normalize();
    }

    /** For an {@code s3://} bucket: the objects {@code {bucket path}/{rootPath}/{execution id}/} of the object store. */
    Optional<StagingMirror> stagingMirror(MigrationExecution execution)
    {
        return objectLocation(execution).map(location -> {
            ObjectStore bucket = settings.objectStore()
                    .orElseThrow(() -> new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s stages to %s, but no object store is configured (migration.object-store in ferry.yaml)"
                            .formatted(execution.id(), execution.config().cdc().bucket().orElseThrow())))
                    .apply(location.bucket());
            String root = execution.config().cdc().rootPath().replaceAll("^/+|/+$", "");
            String prefix = Stream.of(location.path(), root, execution.id()).filter(part -> !part.isEmpty()).collect(Collectors.joining("/"));
            return new StagingMirror(bucket, prefix + "/");
        });
    }

    /**
     * Checks, before anything switches, that this replica can write the migration's staging log where it goes: in the
     * object store, a probe object written, read back and deleted; in a directory, the directory created and a probe
     * file written and deleted. Throws FAILED_PRECONDITION naming the place and the store's or file system's answer.
     */
    void checkStaging(MigrationExecution execution)
    {
        Optional<StagingMirror> mirror = stagingMirror(execution);
        String probeName = ".ferry-probe-" + settings.replicaId().replaceAll("[^A-Za-z0-9._-]", "_");
        byte[] probe = ("written by Ferry replica %s to check it can stage here; deleted at once%n".formatted(settings.replicaId())).getBytes(StandardCharsets.UTF_8);
        if (mirror.isPresent()) {
            String key = mirror.get().prefix() + probeName;
            try {
                mirror.get().store().put(key, probe);
                if (!mirror.get().store().get(key).map(read -> Arrays.equals(read, probe)).orElse(false)) {
                    throw new IllegalStateException("the object written could not be read back");
                }
                mirror.get().store().delete(key);
            }
            catch (RuntimeException e) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "cannot stage to %s (cdcConfig.bucket): %s; nothing was started"
                        .formatted(mirror.get().uri(), e.getMessage()), e);
            }
            return;
        }
        Path directory = stagingDirectory(execution);
        try {
            Files.createDirectories(directory);
            Path file = directory.resolve(probeName);
            Files.write(file, probe);
            Files.delete(file);
        }
        catch (IOException | RuntimeException e) {
            throw new ControlException(ErrorCode.FAILED_PRECONDITION, "cannot stage to %s (cdcConfig.bucket): %s; nothing was started".formatted(directory, e), e);
        }
    }

    private Optional<StagingLocations.ObjectLocation> objectLocation(MigrationExecution execution)
    {
        return execution.config().cdc().bucket().flatMap(bucket -> settings.staging().objectLocation(bucket));
    }

    SourceDatabase source(MigrationExecution execution)
    {
        ControlStore.SealedPasswords sealed = store.passwords(execution.id());
        MigrationConfig config = execution.config();
        return new SourceDatabase(config.connection().ipAddress(), config.connection().port(), config.connection().hiveDatabaseName(),
                config.connection().username(), secrets.decrypt(sealed.connection()), config.cdc().username(), secrets.decrypt(sealed.cdc()), config.connection().tls(), settings.sourceProxy());
    }

}
