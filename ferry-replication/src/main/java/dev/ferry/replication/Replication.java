package dev.ferry.replication;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.apply.SnapshotFilter;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.capture.Capture;
import dev.ferry.replication.cleanup.DeletionReport;
import dev.ferry.replication.cleanup.TransferredDataDeletion;
import dev.ferry.replication.finalize.FinalizeReport;
import dev.ferry.replication.finalize.IdGeneratorFinalizer;
import dev.ferry.replication.preconditions.Preconditions;
import dev.ferry.replication.preconditions.SourceFacts;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingMirror;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.replication.verify.ChangedRows;
import dev.ferry.replication.verify.Difference;
import dev.ferry.replication.verify.VerificationReport;
import dev.ferry.replication.verify.Verifier;
import dev.ferry.replication.verify.VerifyOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * One migration's data path, as the control plane drives it: start (backfill, capture into the staging log,
 * apply), status, drain to a source position, stop. Restartable: started again after a crash, it resumes the
 * backfill at its next chunk, capture at its committed offset and apply at its checkpoint.
 */
public final class Replication
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Replication.class);
    /** How long a cutover's foreign key restore waits for apply to pass the newest backfill snapshot. */
    static final Duration FOREIGN_KEYS_WAIT_FOR_APPLY = Duration.ofMinutes(5);
    /** How often the maintenance looks whether apply has passed the newest backfill snapshot. */
    private static final Duration FOREIGN_KEYS_POLL = Duration.ofMillis(200);

    public enum Stage
    {
        CONNECTING,
        BACKFILL,
        STREAMING,
        DRAINING,
        VERIFYING,
        STOPPED,
    }

    /**
     * @param stagingDirectory this migration's staging log: {@code {bucket}/{rootPath}/{migration id}}
     * @param upgradeScripts Hive's {@code scripts/metastore/upgrade}, for the schema mapping
     * @param fence checked in every own-database transaction of replication before it commits (backfill chunks,
     *     apply batches, the foreign keys, finalize, the deletion of a cancel); {@link WriteFence#NONE} for one process
     * @param applicationName what replication's own-database connections call themselves in
     *     {@code pg_stat_activity}; when given, {@code own} carries it
     * @param stagingMirror where the staging log is kept when it lives in an object store; {@code stagingDirectory}
     *     is then its cache on this replica
     */
    public record Config(
            String migration,
            SourceDatabase source,
            OwnDatabaseTarget own,
            Path upgradeScripts,
            String schemaVersion,
            Path stagingDirectory,
            long segmentBytes,
            Backfill.Options backfill,
            Apply.Options apply,
            Maintenance maintenance,
            WriteFence fence,
            Optional<String> applicationName,
            Optional<StagingMirror> stagingMirror)
    {
        /** A replication with the default {@link Maintenance}. */
        public Config(String migration, SourceDatabase source, OwnDatabaseTarget own, Path upgradeScripts, String schemaVersion, Path stagingDirectory, long segmentBytes,
                Backfill.Options backfill, Apply.Options apply)
        {
            this(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, Maintenance.defaults());
        }

        /** A replication of one process alone: no write fence, the driver's application name. */
        public Config(String migration, SourceDatabase source, OwnDatabaseTarget own, Path upgradeScripts, String schemaVersion, Path stagingDirectory, long segmentBytes,
                Backfill.Options backfill, Apply.Options apply, Maintenance maintenance)
        {
            this(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, maintenance, WriteFence.NONE, Optional.empty());
        }

        /** A replication whose staging log is in a directory only. */
        public Config(String migration, SourceDatabase source, OwnDatabaseTarget own, Path upgradeScripts, String schemaVersion, Path stagingDirectory, long segmentBytes,
                Backfill.Options backfill, Apply.Options apply, Maintenance maintenance, WriteFence fence, Optional<String> applicationName)
        {
            this(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, maintenance, fence, applicationName, Optional.empty());
        }

        public Config
        {
            requireNonNull(migration, "migration is null");
            requireNonNull(source, "source is null");
            requireNonNull(own, "own is null");
            requireNonNull(upgradeScripts, "upgradeScripts is null");
            requireNonNull(schemaVersion, "schemaVersion is null");
            requireNonNull(stagingDirectory, "stagingDirectory is null");
            requireNonNull(backfill, "backfill is null");
            requireNonNull(apply, "apply is null");
            requireNonNull(maintenance, "maintenance is null");
            requireNonNull(fence, "fence is null");
            requireNonNull(applicationName, "applicationName is null");
            requireNonNull(stagingMirror, "stagingMirror is null");
            // Every own-database connection of replication is opened from own: given the name there, none is missed.
            if (applicationName.isPresent()) {
                own = own.withApplicationName(applicationName.get());
            }
        }

        public Config withFence(WriteFence newFence)
        {
            return new Config(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, maintenance, newFence, applicationName, stagingMirror);
        }

        /** With own-database connections named {@code name} (for a replica: {@code ferry/<replica id>/replication}). */
        public Config withApplicationName(String name)
        {
            return new Config(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, maintenance, fence, Optional.of(name), stagingMirror);
        }

        /** With the staging log kept in an object store, {@code stagingDirectory} its cache here. */
        public Config withStagingMirror(Optional<StagingMirror> mirror)
        {
            return new Config(migration, source, own, upgradeScripts, schemaVersion, stagingDirectory, segmentBytes, backfill, apply, maintenance, fence, applicationName, mirror);
        }

        /** Where the staging log is, for messages: its object-store place, or its directory. */
        public String stagingLocation()
        {
            return stagingMirror.map(StagingMirror::uri).orElse(stagingDirectory.toString());
        }
    }

    /**
     * What replication does by itself while it streams, so that completeMigration finds it done: the foreign keys
     * restored, every table verified (a full pass at most every {@code fullInterval}), and what changed since
     * verified again every {@code interval}. A pass takes at most {@code share} of the time it runs (it pauses
     * after each chunk for as long as the chunk took, at 0.5), one table at a time: the workload keeps the rest.
     */
    public record Maintenance(Duration interval, Duration fullInterval, double share)
    {
        public Maintenance
        {
            requireNonNull(interval, "interval is null");
            requireNonNull(fullInterval, "fullInterval is null");
            if (interval.isNegative() || interval.isZero() || fullInterval.isNegative() || fullInterval.isZero()) {
                throw new IllegalArgumentException("verify intervals must be positive: %s, %s".formatted(interval, fullInterval));
            }
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("the share of a background verify must be above 0 and at most 1: " + share);
            }
        }

        public static Maintenance defaults()
        {
            return new Maintenance(Duration.ofSeconds(30), Duration.ofHours(6), 0.5);
        }
    }

    /** The last verify of every table: when it ended, what it compared and how much differed while writes flowed. */
    public record FullVerification(Instant ended, int tables, long sourceRows, int differences, Duration elapsed) {}

    /** What the control plane shows and exports as metrics. */
    public record Status(
            Stage stage,
            List<Backfill.TableStatus> tables,
            long rowsCopied,
            long rowsTotal,
            String capturedPosition,
            String appliedPosition,
            Optional<Long> lagMillis,
            long transactionsApplied,
            long eventsApplied,
            Optional<String> lastError,
            Optional<FullVerification> lastFullVerification,
            long stagingBytes)
    {
        public Status
        {
            tables = List.copyOf(tables);
            requireNonNull(lastFullVerification, "lastFullVerification is null");
        }
    }

    private final Config config;
    private final SchemaMapping mapping;
    private final Verifier verifier;
    /** The maintenance's verifier: one table at a time, paced. */
    private final Verifier pacedVerifier;
    private final ReplicationStore store;
    /** How long a check of a connection prepared for the fence waits for its answer. */
    private static final int FENCE_CONNECTION_CHECK_SECONDS = 5;

    /** One verify ahead or foreign key restore at a time: the maintenance's, or a cutover's. */
    private final ReentrantLock verifyLock = new ReentrantLock();
    private final AtomicReference<FullVerification> lastFullVerification = new AtomicReference<>();
    /** Set while a cutover runs: the maintenance does not start a pass, and the one under way runs unpaced. */
    private volatile boolean maintenancePaused;
    private volatile Thread maintenance;
    private final AtomicReference<Stage> stage = new AtomicReference<>(Stage.CONNECTING);
    private final AtomicReference<ReplicationException> error = new AtomicReference<>();
    private final AtomicReference<VerificationReport> lastVerification = new AtomicReference<>();
    private final AtomicReference<Baseline> baseline = new AtomicReference<>();
    private final AtomicReference<FenceConnections> fenceConnections = new AtomicReference<>();
    /** Whether {@link #restoreForeignKeysWhileStreaming()} restored every foreign key set aside, in this process. */
    private volatile boolean foreignKeysRestored;
    /**
     * What the staging log must keep besides what apply has not applied (see {@link #removeApplied}): where a
     * verify pass under way began, and where apply stood when a cutover paused the maintenance. Guarded by itself,
     * with {@link #baseline}'s changes of floor.
     */
    private final Object retention = new Object();
    private StagingPosition passFrom;
    private StagingPosition cutoverFrom;
    private final Thread runner;
    /** Made once the dialect is known: the first thing {@link #run()} learns from the source. */
    private volatile Backfill backfill;
    private volatile SourceDialect dialect;
    /** A CDC-user session for binlog positions (fences), kept open: opening one takes longer than the query. */
    private Connection positionSession;
    private StagingLog staging;
    private volatile Capture capture;
    private volatile Apply apply;
    private volatile boolean stopping;
    /**
     * Where the staging log ended once capture had read past every backfill snapshot: apply past it has applied
     * every transaction up to the newest snapshot. Null until then.
     */
    private volatile StagingPosition pastBackfill;
    private volatile SourcePosition newestSnapshot;
    private volatile boolean pastBackfillUnknown;

    private Replication(Config config)
    {
        this.config = config;
        this.mapping = SchemaMapping.derive(config.upgradeScripts(), config.schemaVersion());
        this.verifier = new Verifier(mapping, config.source(), config.own(), VerifyOptions.defaults());
        this.pacedVerifier = new Verifier(mapping, config.source(), config.own(), VerifyOptions.defaults().withParallelism(1), this::pace);
        this.store = new ReplicationStore(config.own(), config.fence());
        this.runner = new Thread(this::run, "replication-" + config.migration());
        this.runner.setDaemon(true);
    }

    /** Starts, or resumes, the migration's replication in the background. */
    public static Replication start(Config config)
    {
        Replication replication = new Replication(config);
        replication.runner.start();
        return replication;
    }

    private void run()
    {
        try {
            store.ensureSchema();
            SourceDialect detected;
            if (!alreadyStarted()) {
                // A resumed migration has filled the own database already; the checks are for the first start.
                SourceFacts facts = Preconditions.forSchema(config.upgradeScripts().resolve("mysql").resolve("hive-schema-%s.mysql.sql".formatted(config.schemaVersion())),
                        config.schemaVersion()).check(config.source(), config.own());
                log.info("Replication of migration {}: source {} passed every precondition", config.migration(), facts.dialect().describe());
                detected = facts.dialect();
            }
            else {
                detected = detectDialect();
            }
            dialect = detected;
            Backfill created = new Backfill(config.migration(), config.source(), detected, config.own(), mapping, store, config.backfill());
            backfill = created;
            if (stopping) {
                created.stop();
            }
            BinlogEnd start = created.prepare();
            checkPositionKind(detected, start);
            staging = StagingLog.open(config.stagingDirectory(), config.segmentBytes(), config.stagingMirror());
            WriteFence fence = config.fence();
            staging.guard(fence::heldLocally, () -> new ReplicationException(ReplicationException.Reason.FENCED,
                    "the replication lease of this replica is past its expiry by its own clock (was it paused?): it stops writing the staging log, "
                            + "which another replica may write now"));
            capture = new Capture(config.migration(), config.source(), detected, mapping, staging);
            capture.start(start);
            transition(Stage.CONNECTING, Stage.BACKFILL);
            created.run();
            if (stopping) {
                return;
            }
            analyzeOwnDatabase();
            SnapshotFilter filter;
            try (Connection connection = store.connect()) {
                filter = SnapshotFilter.of(store.snapshots(connection, config.migration()));
            }
            Apply started = new Apply(config.migration(), mapping, store, staging, filter, config.apply());
            started.onCheckpoint(this::removeApplied);
            started.start();
            // Published only once started: status() reads its checkpoint.
            apply = started;
            transition(Stage.BACKFILL, Stage.STREAMING);
            Thread maintaining = new Thread(this::maintain, "replication-maintenance-" + config.migration());
            maintaining.setDaemon(true);
            maintenance = maintaining;
            maintaining.start();
        }
        catch (ReplicationException e) {
            fail(e);
        }
        catch (SQLException | RuntimeException e) {
            fail(new ReplicationException(ReplicationException.Reason.INTERNAL, "replication of migration %s failed: %s".formatted(config.migration(), e.getMessage()), e));
        }
    }

    /**
     * Gives the own database's planner statistics for what the backfill copied. Without them PostgreSQL takes a
     * first-key lookup on a table with a composite key (PARTITION_PARAMS by PART_ID, ...) for a large share of the
     * table and scans it whole: the verify at the fence read 160 partitions' parameters in 20-100 ms instead of a
     * few, and the engine on the own database would plan its first queries after the switch the same way.
     * Autovacuum would analyse the tables too, but not before a cutover that follows the backfill closely. ANALYZE
     * does not block apply's writes; a failure only costs speed, so it is logged and replication goes on.
     */
    private void analyzeOwnDatabase()
    {
        long started = System.nanoTime();
        String tables = mapping.tables().values().stream().map(TableMapping::targetIdentifier).collect(Collectors.joining(", "));
        try (Connection connection = store.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            statement.execute("ANALYZE " + tables);
            log.info("Replication of migration {}: own database analysed after the backfill ({} tables) in {} ms", config.migration(), mapping.tables().size(),
                    (System.nanoTime() - started) / 1_000_000);
        }
        catch (SQLException e) {
            log.warn("Replication of migration {}: could not analyse the own database after the backfill (its queries may be slow until autovacuum does): {}",
                    config.migration(), e.getMessage());
        }
    }

    private boolean alreadyStarted()
            throws SQLException
    {
        try (Connection connection = store.connect()) {
            return store.captureStart(connection, config.migration()).isPresent();
        }
    }

    private SourceDialect detectDialect()
    {
        try (Connection connection = JdbcConnections.sourceCdc(config.source())) {
            return SourceDialect.detect(connection);
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE, "cannot tell what server the source %s runs: %s".formatted(config.source(), e.getMessage()), e);
        }
    }

    /**
     * A migration that started while the source had GTIDs resumes only with GTIDs, and one without only without: the
     * positions it recorded name transactions one way.
     */
    private void checkPositionKind(SourceDialect detected, BinlogEnd start)
    {
        try {
            sourcePosition().includesAll(start.position());
        }
        catch (IllegalArgumentException e) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_GTID_MODE,
                    "migration %s started at source position %s, which %s cannot continue from: the source's GTID mode changed since; set it back or cancel the migration and start it again"
                            .formatted(config.migration(), start.position(), detected.describe()), e);
        }
    }

    private void fail(ReplicationException e)
    {
        error.set(e);
        log.error("Replication of migration {} stopped in stage {}: {}", config.migration(), stage.get(), e.getMessage());
    }

    private void transition(Stage expected, Stage next)
    {
        if (!stage.compareAndSet(expected, next)) {
            throw new IllegalStateException("cannot move replication of migration %s from %s to %s: it is %s"
                    .formatted(config.migration(), expected, next, stage.get()));
        }
        log.info("Replication of migration {}: {} -> {}", config.migration(), expected, next);
    }

    public Stage stage()
    {
        return stage.get();
    }

    /** The first error that stopped replication, from any of its parts. */
    public Optional<ReplicationException> failure()
    {
        if (error.get() != null) {
            return Optional.of(error.get());
        }
        Optional<ReplicationException> captureFailure = capture == null ? Optional.empty() : capture.failure();
        if (captureFailure.isPresent()) {
            return captureFailure;
        }
        return apply == null ? Optional.empty() : apply.failure();
    }

    public Status status()
    {
        Backfill current = backfill;
        List<Backfill.TableStatus> tables = current == null ? List.of() : current.status();
        long copied = tables.stream().mapToLong(Backfill.TableStatus::rowsCopied).sum();
        long total = tables.stream().mapToLong(table -> table.rowsTotal().orElse(0L)).sum();
        Capture currentCapture = capture;
        Apply currentApply = apply;
        return new Status(
                stage.get(),
                tables,
                copied,
                total,
                currentCapture == null ? "" : currentCapture.stagedPosition().toString(),
                currentApply == null ? "" : currentApply.checkpoint().applied().toString(),
                currentApply == null ? Optional.empty() : currentApply.lagMillis(System.currentTimeMillis()),
                currentApply == null ? 0 : currentApply.checkpoint().transactions(),
                currentApply == null ? 0 : currentApply.checkpoint().changes(),
                failure().map(ReplicationException::getMessage),
                Optional.ofNullable(lastFullVerification.get()),
                stagingBytes());
    }

    /**
     * Bytes of the staging log's segments on disk: what capture staged and apply has not applied, or the verify or
     * a cutover still reads, up to a segment more (applied segments are removed).
     */
    public long stagingBytes()
    {
        StagingLog current = staging;
        try {
            return current == null ? 0 : current.bytesOnDisk();
        }
        catch (UncheckedIOException e) {
            return 0;
        }
    }

    /** The source's current position, which includes every transaction committed so far: a fence to drain to. */
    public synchronized SourcePosition sourcePosition()
    {
        SourceDialect current = dialect;
        if (current == null) {
            throw new IllegalStateException("replication of migration %s has not connected to the source yet".formatted(config.migration()));
        }
        for (int attempt = 1; ; attempt++) {
            try {
                if (positionSession == null || positionSession.isClosed()) {
                    positionSession = JdbcConnections.sourceCdc(config.source());
                }
                return current.currentPosition(positionSession);
            }
            catch (SQLException e) {
                closePositionSession();
                if (attempt == 2) {
                    throw new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE, "cannot read the binlog position of %s: %s".formatted(config.source(), e.getMessage()), e);
                }
            }
        }
    }

    private synchronized void closePositionSession()
    {
        if (positionSession != null) {
            try {
                positionSession.close();
            }
            catch (SQLException e) {
                log.debug("Could not close the session for binlog positions: {}", e.getMessage());
            }
            positionSession = null;
        }
    }

    /**
     * Waits until every source transaction up to the fence is captured and applied; false on timeout. Only in
     * STREAMING: the caller holds writes, so the fence does not move.
     */
    public boolean drainTo(SourcePosition fence, Duration timeout)
            throws InterruptedException
    {
        transition(Stage.STREAMING, Stage.DRAINING);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!capture.covers(fence)) {
                failure().ifPresent(failure -> {
                    throw failure;
                });
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(5);
            }
            return apply.awaitApplied(staging.end(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        finally {
            stage.compareAndSet(Stage.DRAINING, Stage.STREAMING);
        }
    }

    /**
     * The HMS tables written on the source after {@code fence}, as capture staged them: what another writer (a
     * metastore still running against the source) changed while Ferry held writes. Waits up to {@code timeout}
     * for capture to stage up to the source's current position; empty when nothing was written after the fence.
     */
    public SortedSet<String> tablesWrittenAfter(SourcePosition fence, Duration timeout)
            throws InterruptedException
    {
        SourcePosition now = sourcePosition();
        if (fence.includesAll(now)) {
            return new TreeSet<>();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean covered = capture.covers(now);
        while (!covered && System.nanoTime() < deadline) {
            Thread.sleep(5);
            covered = capture.covers(now);
        }
        SortedSet<String> tables = new TreeSet<>();
        forEachStaged(staging.start(), entry -> {
            String transaction = entry.transaction().gtid();
            if (transaction.isEmpty() || !fence.includes(transaction)) {
                entry.transaction().changes().forEach(change -> tables.add(change.table()));
            }
        });
        if (tables.isEmpty() && !covered) {
            // Written, but not (yet) read: say so rather than name nothing. Read and staged nothing: the source moved
            // for other databases or statements outside the metastore's tables, which is no other writer.
            tables.add("(source position moved from %s to %s)".formatted(fence, now));
        }
        return tables;
    }

    /**
     * A verify that ran while writes still flowed: where apply stood when it began, and the differences it found.
     * Everything that can differ from it on is in the staging log after {@code from}, or among the differences.
     */
    private record Baseline(StagingPosition from, List<Difference> differences) {}

    /** Every staging log entry from {@code from} on, in order. */
    private void forEachStaged(StagingPosition from, Consumer<StagingLog.Entry> action)
    {
        StagingPosition position = from;
        for (List<StagingLog.Entry> entries = staging.read(position, 1000); !entries.isEmpty(); entries = staging.read(position, 1000)) {
            for (StagingLog.Entry entry : entries) {
                action.accept(entry);
                position = entry.next();
            }
        }
    }

    /**
     * Verifies while writes still flow, so that the verify at the fence ({@link #verify()}) compares only what
     * changed since: the first call compares every table, each later one what changed since the previous one began
     * and what differed in it. Its differences are expected (both sides move while it reads); they only widen the
     * next verify. Only in STREAMING.
     */
    public VerificationReport verifyAhead()
    {
        verifyLock.lock();
        try {
            // On the fence's connections once a cutover opened them: a pass then costs its reads only, not two new
            // sessions (more than 100 ms on a busy machine, longer than the reads of a pass of a few hundred rows).
            return verifyAhead(verifier, fenceConnections.get());
        }
        finally {
            verifyLock.unlock();
        }
    }

    private VerificationReport verifyAhead(Verifier with, FenceConnections connections)
    {
        Apply current = apply;
        if (stage.get() != Stage.STREAMING || current == null) {
            throw new IllegalStateException("cannot verify ahead of the fence for migration %s: replication is %s, not STREAMING".formatted(config.migration(), stage.get()));
        }
        StagingPosition from;
        synchronized (retention) {
            from = current.checkpoint().position();
            passFrom = from;
        }
        try {
            VerificationReport report = compare(with, connections);
            baseline.set(new Baseline(from, report.differences()));
            return report;
        }
        finally {
            synchronized (retention) {
                passFrom = null;
            }
        }
    }

    /**
     * After apply checkpointed: removes the staging log's segments that nothing reads any more. Apply reads from its
     * checkpoint on; the verify from the baseline's start ({@link #compare}) or the start of a pass under way; a
     * cutover from where apply stood when it paused the maintenance (the check for other writers reads what was
     * staged after the fence). Whole segments only, never the one being written.
     */
    private void removeApplied(Apply.Checkpoint checkpoint)
    {
        synchronized (retention) {
            StagingPosition floor = checkpoint.position();
            Baseline last = baseline.get();
            for (StagingPosition kept : new StagingPosition[] {last == null ? null : last.from(), passFrom, cutoverFrom}) {
                if (kept != null && kept.compareTo(floor) < 0) {
                    floor = kept;
                }
            }
            int removed = staging.removeBefore(floor.segment(), checkpoint.applied().toString());
            if (removed > 0) {
                log.debug("Migration {}: {} applied staging segments removed (before segment {})", config.migration(), removed, floor.segment());
            }
        }
    }

    /**
     * The maintenance, from the start of streaming on: restores the foreign keys, then verifies ahead every
     * {@code interval}, every table again once the last full pass is older than {@code fullInterval}. A failure is
     * logged and the next round tries again, unless it is not retriable ({@code FENCED}): that ends the maintenance
     * and is replication's failure. A cutover pauses it ({@link #pauseMaintenance()}).
     */
    private void maintain()
    {
        Maintenance settings = config.maintenance();
        boolean keysRestored = false;
        while (!stopping) {
            if (failure().filter(failure -> !failure.reason().retriable()).isPresent()) {
                // FENCED, in apply or here: another replica runs the migration, and maintains it.
                return;
            }
            if (!keysRestored && !maintenancePaused && !appliedPastBackfillQuietly()) {
                // The keys wait for apply to pass the newest backfill snapshot (see appliedPastBackfill); nothing
                // else runs before them, and the wait is looked at again soon rather than after a whole interval
                // (unless the own database could not tell).
                try {
                    Thread.sleep(pastBackfillUnknown ? settings.interval().toMillis() : FOREIGN_KEYS_POLL.toMillis());
                }
                catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            if (!maintenancePaused) {
                verifyLock.lock();
                try {
                    if (!maintenancePaused && !stopping) {
                        if (!keysRestored) {
                            restoreForeignKeysWhileStreaming();
                            keysRestored = true;
                        }
                        FullVerification full = lastFullVerification.get();
                        boolean whole = full == null || Duration.between(full.ended(), Instant.now()).compareTo(settings.fullInterval()) >= 0;
                        if (whole) {
                            baseline.set(null);
                        }
                        VerificationReport report = verifyAhead(pacedVerifier, null);
                        if (whole) {
                            FullVerification done = new FullVerification(Instant.now(), report.tables().size(),
                                    report.tables().stream().mapToLong(table -> table.sourceRows()).sum(), report.differences().size(), report.elapsed());
                            lastFullVerification.set(done);
                            log.info("Migration {}: every table verified in the background while streaming: {} (differences while writes flow are compared again later)",
                                    config.migration(), report.summary());
                        }
                        // For the cutover, off its path: opened once, checked after each round.
                        prepareFence();
                    }
                }
                catch (ReplicationException e) {
                    if (!e.reason().retriable()) {
                        // Another replica runs the migration now: nothing here is tried again.
                        fail(e);
                        return;
                    }
                    retryLater(settings, e);
                }
                catch (IllegalStateException e) {
                    retryLater(settings, e);
                }
                finally {
                    verifyLock.unlock();
                }
            }
            try {
                Thread.sleep(settings.interval().toMillis());
            }
            catch (InterruptedException e) {
                return;
            }
        }
    }

    private void retryLater(Maintenance settings, RuntimeException e)
    {
        if (!stopping) {
            log.warn("Migration {}: background verify, foreign key restore or opening the fence's connections failed, tried again in {} s: {}", config.migration(),
                    settings.interval().toSeconds(), e.getMessage());
        }
    }

    /** The maintenance's pace: a pause as long as the chunk took (at a share of 0.5), none while a cutover waits. */
    private void pace(long chunkNanos)
            throws InterruptedException
    {
        if (maintenancePaused || stopping) {
            return;
        }
        double share = config.maintenance().share();
        long pause = (long) (chunkNanos * (1 - share) / share);
        if (pause > 0) {
            Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        }
    }

    /**
     * For a cutover: the maintenance starts nothing new, and what it is doing (a foreign key restore, a verify
     * pass, unpaced from now on) is finished before this returns, so that the cutover's own verifies follow it.
     */
    public void pauseMaintenance()
    {
        maintenancePaused = true;
        Apply current = apply;
        if (current != null) {
            synchronized (retention) {
                cutoverFrom = current.checkpoint().position();
            }
        }
        verifyLock.lock();
        verifyLock.unlock();
    }

    /** After a cutover went back to streaming. */
    public void resumeMaintenance()
    {
        maintenancePaused = false;
        synchronized (retention) {
            cutoverFrom = null;
        }
    }

    /**
     * Compares the source and the own database: every table, or, after {@link #verifyAhead()}, the rows changed
     * since it began and the ranges that differed in it. Meaningful at a fence: writes are held and the drain is
     * done, so neither side moves while it reads.
     */
    public VerificationReport verify()
    {
        return verify(null);
    }

    /** {@link #verify()}, on the fence's connections when a cutover opened them. */
    private VerificationReport verify(FenceConnections connections)
    {
        Stage previous = stage.getAndSet(Stage.VERIFYING);
        try {
            VerificationReport report = compare(verifier, connections);
            lastVerification.set(report);
            log.info("Verification of migration {}: {}", config.migration(), report.summary());
            return report;
        }
        finally {
            stage.compareAndSet(Stage.VERIFYING, previous);
        }
    }

    private VerificationReport compare(Verifier with, FenceConnections connections)
    {
        Baseline last = baseline.get();
        if (last == null) {
            return with.verifyAll();
        }
        ChangedRows.Builder changed = ChangedRows.builder(mapping).addAll(last.differences());
        forEachStaged(last.from(), entry -> entry.transaction().changes().forEach(changed::add));
        return connections == null
                ? with.verifyChanged(changed.build())
                : with.verifyChanged(changed.build(), connections.verifySource(), connections.verifyOwn());
    }

    /**
     * Re-creates the foreign keys set aside for the migration while apply runs, validating every reference. Safe
     * once the backfill is done: apply then replays the source's transactions in order, and the source enforces the
     * same keys.
     */
    public int restoreForeignKeysWhileStreaming()
    {
        if (foreignKeysRestored) {
            // Restored in this process already (by the maintenance, as a cutover then finds them): nothing sets a key
            // aside after the backfill, so there is none to look for; a session of the own database would cost more.
            return 0;
        }
        try {
            if (!awaitAppliedPastBackfill(FOREIGN_KEYS_WAIT_FOR_APPLY)) {
                throw new ReplicationException(ReplicationException.Reason.VERIFICATION_FAILED,
                        "cannot restore the own database's foreign keys for migration %s yet: apply has not reached the newest backfill snapshot (%s) in %s s"
                                .formatted(config.migration(), newestBackfillSnapshot(), FOREIGN_KEYS_WAIT_FOR_APPLY.toSeconds()));
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplicationException(ReplicationException.Reason.VERIFICATION_FAILED,
                    "interrupted while waiting for apply to pass the backfill before restoring the foreign keys of migration " + config.migration(), e);
        }
        verifyLock.lock();
        try (Connection connection = store.connect()) {
            int foreignKeys = store.restoreForeignKeysWhileApplying(connection, config.migration());
            log.info("Migration {}: {} foreign keys restored and validated while streaming", config.migration(), foreignKeys);
            // Every key set aside is back (each one's record goes as it is validated), and nothing sets one aside
            // after the backfill: the verify at the fence has none left to look for.
            foreignKeysRestored = true;
            return foreignKeys;
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.VERIFICATION_FAILED,
                    "cannot restore the own database's foreign keys for migration %s: %s".formatted(config.migration(), e.getMessage()), e);
        }
        finally {
            verifyLock.unlock();
        }
    }

    /**
     * Whether apply has applied every source transaction up to the newest backfill snapshot. Each table (after a
     * crash, each part of a table) was copied from its own snapshot, and apply skips what a row's snapshot already
     * holds; so until apply passes the newest snapshot, the own database can hold a state the source never had: a
     * partition applied from a table copied before it was added, whose storage descriptor (in SDS, copied after the
     * partition was added and dropped again) is not there. The tables agree with each other only from that point on,
     * so the foreign keys are restored only then.
     */
    private boolean appliedPastBackfill()
    {
        StagingPosition target = pastBackfill;
        if (target == null) {
            if (!capture.covers(newestBackfillSnapshot())) {
                return false;
            }
            target = staging.end();
            pastBackfill = target;
            log.info("Migration {}: capture has read past the newest backfill snapshot; the foreign keys are restored once apply reaches staging position {}",
                    config.migration(), target);
        }
        return apply.checkpoint().position().compareTo(target) >= 0;
    }

    /** {@link #appliedPastBackfill()}, false (and logged) when the own database cannot say. */
    private boolean appliedPastBackfillQuietly()
    {
        try {
            pastBackfillUnknown = false;
            return appliedPastBackfill();
        }
        catch (ReplicationException e) {
            pastBackfillUnknown = true;
            log.warn("Migration {}: cannot tell whether apply has passed the backfill yet: {}", config.migration(), e.getMessage());
            return false;
        }
    }

    /** Waits for {@link #appliedPastBackfill()}; false on timeout; throws replication's failure. */
    private boolean awaitAppliedPastBackfill(Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!appliedPastBackfill()) {
            failure().ifPresent(failure -> {
                throw failure;
            });
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** The union of every backfill chunk's and table tail's snapshot position, read once. */
    private SourcePosition newestBackfillSnapshot()
    {
        SourcePosition newest = newestSnapshot;
        if (newest != null) {
            return newest;
        }
        try (Connection connection = store.connect()) {
            SourcePosition union = SourcePosition.EMPTY;
            for (List<ReplicationStore.ChunkSnapshot> chunks : store.snapshots(connection, config.migration()).values()) {
                for (ReplicationStore.ChunkSnapshot chunk : chunks) {
                    union = union.union(SourcePosition.parse(chunk.snapshotGtid()));
                }
            }
            newestSnapshot = union;
            return union;
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE,
                    "cannot read the backfill snapshots of migration %s: %s".formatted(config.migration(), e.getMessage()), e);
        }
    }

    private int restoreForeignKeys()
    {
        try (Connection connection = store.connect()) {
            int foreignKeys = store.restoreForeignKeys(connection, config.migration());
            store.commit(connection);
            log.info("Migration {}: {} foreign keys restored and validated", config.migration(), foreignKeys);
            return foreignKeys;
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.VERIFICATION_FAILED,
                    "cannot restore the own database's foreign keys for migration %s: %s".formatted(config.migration(), e.getMessage()), e);
        }
    }

    /**
     * Makes the own database ready to be the source of truth: re-creates the foreign keys still set aside for the
     * migration (validating every reference) and raises every id generator to at least the source's.
     */
    public FinalizeReport finalizeOwnDatabase()
    {
        restoreForeignKeys();
        // Finalize writes the own database outside apply: a verify ahead no longer covers what it changed.
        baseline.set(null);
        return new IdGeneratorFinalizer(config.source(), config.own(), mapping, config.fence()).finalizeGenerators();
    }

    /**
     * The verify at the fence ({@link #verify()}) and finalize at once, for a cutover that holds writes through
     * both: finalize reads the source's generators and raises the own database's in its transaction while verify
     * compares the rows apply left, on other connections (it sees only committed rows, so not finalize's), and then
     * restores any foreign keys still set aside. Once verify is done, {@code beforeCommit} runs in finalize's transaction if it found the two identical; if it found
     * differences, finalize rolls back and this throws {@link DifferencesAtFence}. Either way the report is
     * {@link #lastVerification()}. Writes must be held and drained to the fence, as for {@link #verify()}.
     */
    public FinalizeReport verifyAndFinalize(IdGeneratorFinalizer.BeforeCommit beforeCommit)
    {
        FenceConnections connections = fenceConnections.getAndSet(null);
        BackgroundTask<VerificationReport> verification = BackgroundTask.start("ferry-verify-at-fence-" + config.migration(), () -> {
            VerificationReport report = verify(connections);
            if (report.identical() && !foreignKeysRestored) {
                // Normally none are left (restoreForeignKeysWhileStreaming ran): then not even looked for under the
                // hold, where a new session and the look-up cost 30-40 ms. Beside finalize, not before.
                restoreForeignKeys();
            }
            return report;
        });
        try {
            IdGeneratorFinalizer finalizer = new IdGeneratorFinalizer(config.source(), config.own(), mapping, config.fence());
            IdGeneratorFinalizer.BeforeCommit whenVerified = connection -> {
                VerificationReport report = verification.join();
                if (!report.identical()) {
                    throw new DifferencesAtFence(report);
                }
                beforeCommit.run(connection);
            };
            return connections == null ? finalizer.finalizeGenerators(whenVerified) : finalizer.finalizeGenerators(connections.finalizeOwn(), whenVerified);
        }
        finally {
            // Also when finalize failed before it waited: verify must not outlive the step it belongs to. Verify
            // read the baseline when it began; only now may it go (see finalizeOwnDatabase).
            verification.awaitEnd();
            baseline.set(null);
            if (connections != null) {
                connections.close();
            }
        }
    }

    /**
     * Fences the source for a cutover (see {@link SourceDialect#fence}): from the reader's session that
     * {@link #prepareFence()} opened (a new one otherwise), which the fence then owns. Empty when the reader may not
     * lock the metastore's tables: the cutover then watches for other writers instead.
     *
     * @throws ReplicationException {@code SOURCE_UNREACHABLE} when another transaction held a write on the
     *     metastore's tables for longer than {@code wait} (another metastore still running against the source?)
     */
    public Optional<SourceDialect.SourceFence> fenceSource(Duration wait)
    {
        FenceConnections prepared = fenceConnections.get();
        Connection session = prepared != null && prepared.lockSource() != null ? takeLockSession(prepared) : JdbcConnections.source(config.source());
        List<String> tables = mapping.tables().values().stream()
                .map(table -> "`%s`.%s".formatted(config.source().database().replace("`", "``"), table.sourceIdentifier()))
                .toList();
        try {
            Optional<SourceDialect.SourceFence> fence = dialect.fence(session, tables, wait);
            if (fence.isEmpty()) {
                session.close();
                log.warn("Migration {}: the reader may not LOCK TABLES on the source's metastore database: the cutover cannot fence the source", config.migration());
            }
            return fence;
        }
        catch (SQLException e) {
            try {
                session.close();
            }
            catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE,
                    "cannot fence the source's metastore tables within %s ms (a transaction of another session holds a write on them: another metastore still running against the source?): %s"
                            .formatted(wait.toMillis(), e.getMessage()), e);
        }
    }

    private Connection takeLockSession(FenceConnections prepared)
    {
        fenceConnections.compareAndSet(prepared, new FenceConnections(prepared.verifySource(), prepared.verifyOwn(), prepared.finalizeOwn(), null));
        return prepared.lockSource();
    }

    /**
     * Opens the connections the verify and finalize at the fence ({@link #verifyAndFinalize}) use, and has each
     * read what it will read there once, so that neither opens a connection nor loads a new PostgreSQL session's
     * catalog entries while writes are held; keeps those already open while each still answers. The maintenance
     * calls it after each round while the migration streams, so that a cutover, which calls it before it verifies
     * ahead, finds them open (opening them took 0.5-1.5 s of a busy machine's CPU in completeMigration, where the
     * slowest client calls fell); without it verify and finalize open their own.
     *
     * @return whether it opened them now (false: those open were kept)
     */
    public boolean prepareFence()
    {
        verifyLock.lock();
        try {
            FenceConnections open = fenceConnections.get();
            if (open != null && open.usable()) {
                return false;
            }
            long started = System.nanoTime();
            openFence();
            log.info("Migration {}: the fence's connections opened and warmed in {} ms", config.migration(), (System.nanoTime() - started) / 1_000_000);
            return true;
        }
        finally {
            verifyLock.unlock();
        }
    }

    private void openFence()
    {
        Connection verifySource = JdbcConnections.source(config.source());
        Connection verifyOwn = null;
        Connection finalizeOwn = null;
        Connection lockSource = null;
        try {
            lockSource = JdbcConnections.source(config.source());
            verifyOwn = JdbcConnections.own(config.own());
            finalizeOwn = JdbcConnections.own(config.own());
            try (Statement statement = verifyOwn.createStatement()) {
                // Parsing a statement over every table loads each one's catalog entries; it reads no row.
                statement.executeQuery(mapping.tables().values().stream().map(table -> "SELECT 1 FROM " + table.targetIdentifier() + " WHERE false")
                        .collect(Collectors.joining(" UNION ALL "))).close();
            }
            new IdGeneratorFinalizer(config.source(), config.own(), mapping, config.fence()).warm(finalizeOwn);
        }
        catch (SQLException | RuntimeException e) {
            new FenceConnections(verifySource, verifyOwn, finalizeOwn, lockSource).close();
            throw e instanceof ReplicationException replication ? replication
                    : new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE, "cannot prepare the own database's connections for the fence: " + e.getMessage(), e);
        }
        FenceConnections previous = fenceConnections.getAndSet(new FenceConnections(verifySource, verifyOwn, finalizeOwn, lockSource));
        if (previous != null) {
            previous.close();
        }
    }

    /** What {@link #prepareFence()} opened; any may be null when opening failed part way. */
    private record FenceConnections(Connection verifySource, Connection verifyOwn, Connection finalizeOwn, Connection lockSource)
            implements AutoCloseable
    {
        /** Every connection open and answering (a round trip each): not closed by a server's timeout, a restart or a cutover. */
        boolean usable()
        {
            for (Connection connection : new Connection[] {verifySource, verifyOwn, finalizeOwn, lockSource}) {
                try {
                    if (connection == null || !connection.isValid(FENCE_CONNECTION_CHECK_SECONDS)) {
                        return false;
                    }
                }
                catch (SQLException e) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close()
        {
            for (Connection connection : new Connection[] {verifySource, verifyOwn, finalizeOwn, lockSource}) {
                if (connection != null) {
                    try {
                        connection.close();
                    }
                    catch (SQLException e) {
                        log.warn("Could not close a connection prepared for the fence: {}", e.getMessage());
                    }
                }
            }
        }
    }

    /** The verify at the fence found differences: {@link #verifyAndFinalize} rolled finalize back. */
    public static final class DifferencesAtFence
            extends ReplicationException
    {
        private final transient VerificationReport report;

        DifferencesAtFence(VerificationReport report)
        {
            super(Reason.VERIFICATION_FAILED, "verification found differences: " + report.summary());
            this.report = report;
        }

        public VerificationReport report()
        {
            return report;
        }
    }

    /**
     * Cancel: stops replication, returns the own database to a freshly initialised metastore (the engine on it
     * must be stopped; its first start adds the default database again), restores its foreign keys, deletes the
     * staging log and forgets the migration.
     */
    public DeletionReport deleteTransferredData()
    {
        close();
        return deleteTransferredData(config);
    }

    /**
     * Cancel of a migration whose replication is not running (after a restart, or a start that failed): returns
     * the own database to a freshly initialised metastore, restores its foreign keys, deletes the staging log and
     * forgets the migration. The engine on the own database must be stopped.
     */
    public static DeletionReport deleteTransferredData(Config config)
    {
        DeletionReport report = TransferredDataDeletion.of(config.upgradeScripts(), config.schemaVersion(), config.own(), Duration.ofSeconds(30), config.fence())
                .deleteAll(config.stagingDirectory());
        config.stagingMirror().ifPresent(mirror -> log.info("Migration {}: {} objects of the staging log deleted from {}", config.migration(), mirror.deleteAll(), mirror.uri()));
        ReplicationStore store = new ReplicationStore(config.own(), config.fence());
        try (Connection connection = store.connect()) {
            store.ensureSchema();
            store.restoreForeignKeys(connection, config.migration());
            store.forget(connection, config.migration());
            store.commit(connection);
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE,
                    "cannot restore the own database's foreign keys after deleting migration %s: %s".formatted(config.migration(), e.getMessage()), e);
        }
        log.info("Migration {}: transferred data deleted, staging log {} removed", config.migration(), config.stagingLocation());
        return report;
    }

    /** The last verification's report, if any. */
    public Optional<VerificationReport> lastVerification()
    {
        return Optional.ofNullable(lastVerification.get());
    }

    /**
     * Applies nothing more to the own database from now on (see {@link Apply#halt()}); the parts stop with
     * {@link #close()}. For a cutover past its switch record, drained to the fence.
     */
    public void stopApplying()
    {
        if (apply != null) {
            apply.halt();
        }
    }

    /** Stops every part; the migration can be resumed by starting it again. */
    @Override
    public void close()
    {
        if (stage.get() == Stage.STOPPED) {
            return;
        }
        stopping = true;
        Backfill current = backfill;
        if (current != null) {
            current.stop();
        }
        Thread maintaining = maintenance;
        if (maintaining != null) {
            maintaining.interrupt();
            try {
                maintaining.join(60_000);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            runner.join(60_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (apply != null) {
            apply.close();
        }
        if (capture != null) {
            capture.close();
        }
        if (staging != null) {
            staging.close();
        }
        FenceConnections prepared = fenceConnections.getAndSet(null);
        if (prepared != null) {
            prepared.close();
        }
        closePositionSession();
        stage.set(Stage.STOPPED);
        log.info("Replication of migration {} stopped", config.migration());
    }
}
