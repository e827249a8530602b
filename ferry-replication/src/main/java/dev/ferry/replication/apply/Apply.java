package dev.ferry.replication.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.WriteFence;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Applies the staging log to the own database in source order. Each PostgreSQL transaction applies one or more
 * whole source transactions and moves the checkpoint (staging position, last GTID) in the same commit, so after a
 * crash apply resumes exactly after the last committed source transaction: nothing lost, nothing applied twice.
 * An update or delete that finds no row means the own database has drifted from the source: apply stops with an
 * error naming the table and key rather than go on silently. A batch commits only while the store's write fence
 * holds; otherwise it is rolled back, its checkpoint unmoved, and apply stops with {@code FENCED}.
 */
public final class Apply
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Apply.class);

    /**
     * @param transactionsPerCommit source transactions grouped into one PostgreSQL transaction, at most
     * @param idlePoll how long apply waits for capture to stage more before looking again (it is woken at once
     *     when capture stages; this bounds the wait when the staging log is written by another process)
     */
    public record Options(int transactionsPerCommit, Duration idlePoll)
    {
        public static Options defaults()
        {
            return new Options(256, Duration.ofMillis(100));
        }
    }

    /** Told about every committed batch, on apply's thread; must be quick. */
    public interface Observer
    {
        void committed(List<SourceTransaction> transactions);
    }

    /** The committed checkpoint. */
    public record Checkpoint(StagingPosition position, SourcePosition applied, long transactions, long changes) {}

    private final String migration;
    private final SchemaMapping mapping;
    private final ReplicationStore store;
    private final StagingLog staging;
    private final SnapshotFilter filter;
    private final Options options;
    private volatile Consumer<Checkpoint> onCheckpoint = committed -> {};
    /** The newest checkpoint whose after-checkpoint action has not run yet: one run covers every checkpoint before it. */
    private final AtomicReference<Checkpoint> pendingAfterCheckpoint = new AtomicReference<>();
    private ExecutorService afterCheckpointRunner;
    private final AtomicReference<Checkpoint> checkpoint = new AtomicReference<>();
    private final AtomicLong lastCommitMillis = new AtomicLong();
    private final AtomicReference<ReplicationException> failure = new AtomicReference<>();
    private final Object progress = new Object();
    private volatile boolean running;
    /** Held while a batch is applied: {@link #halt()} takes it, so that no batch is applied once halt returns. */
    private final Object applying = new Object();
    private volatile Observer observer = transactions -> {};
    private Thread thread;

    public Apply(String migration, SchemaMapping mapping, ReplicationStore store, StagingLog staging, SnapshotFilter filter, Options options)
    {
        this.migration = requireNonNull(migration, "migration is null");
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.store = requireNonNull(store, "store is null");
        this.staging = requireNonNull(staging, "staging is null");
        this.filter = requireNonNull(filter, "filter is null");
        this.options = requireNonNull(options, "options is null");
    }

    public void start()
    {
        try (Connection connection = store.connect()) {
            checkpoint.set(readCheckpoint(connection));
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE, "cannot read the apply checkpoint: " + e.getMessage(), e);
        }
        running = true;
        afterCheckpointRunner = Executors.newSingleThreadExecutor(runnable -> {
            Thread cleanup = new Thread(runnable, "apply-after-checkpoint-" + migration);
            cleanup.setDaemon(true);
            return cleanup;
        });
        thread = new Thread(this::loop, "apply-" + migration);
        thread.setDaemon(true);
        thread.start();
        log.info("Apply of migration {} started at staging position {} (GTID {})", migration, checkpoint.get().position(), checkpoint.get().applied());
    }

    private Checkpoint readCheckpoint(Connection connection)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT segment, segment_offset, gtid, transactions, changes FROM ferry_replication.apply_checkpoint WHERE migration = ?")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return new Checkpoint(StagingPosition.START, SourcePosition.EMPTY, 0, 0);
                }
                return new Checkpoint(new StagingPosition(rows.getLong(1), rows.getLong(2)), SourcePosition.parse(rows.getString(3)), rows.getLong(4), rows.getLong(5));
            }
        }
    }

    private void loop()
    {
        try (Connection connection = store.connect()) {
            ChangePipeline pipeline = new ChangePipeline(connection);
            while (running) {
                List<StagingLog.Entry> entries = staging.read(checkpoint.get().position(), options.transactionsPerCommit());
                if (entries.isEmpty()) {
                    staging.awaitBeyond(checkpoint.get().position(), options.idlePoll().toMillis());
                    continue;
                }
                synchronized (applying) {
                    if (!running) {
                        break;
                    }
                    applyBatch(connection, pipeline, entries);
                }
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (ReplicationException e) {
            fail(e);
        }
        catch (SQLException | RuntimeException e) {
            fail(new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE,
                    "apply of migration %s stopped at staging position %s: %s".formatted(migration, checkpoint.get().position(), e.getMessage()), e));
        }
    }

    private void fail(ReplicationException e)
    {
        failure.set(e);
        running = false;
        log.error("Apply of migration {} stopped: {}", migration, e.getMessage());
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    private void applyBatch(Connection connection, ChangePipeline pipeline, List<StagingLog.Entry> entries)
            throws SQLException
    {
        Checkpoint before = checkpoint.get();
        SourcePosition applied = before.applied();
        long changes = 0;
        try {
            for (StagingLog.Entry entry : entries) {
                String gtid = entry.transaction().gtid();
                for (RowChange change : entry.transaction().changes()) {
                    TableMapping table = mapping.table(change.table());
                    if (!filter.alreadyCopied(table, change, gtid)) {
                        pipeline.add(table, change, gtid);
                        changes++;
                    }
                }
                if (!gtid.isEmpty()) {
                    applied = applied.advancedTo(gtid);
                }
            }
            StagingPosition next = entries.get(entries.size() - 1).next();
            pipeline.add("""
                    INSERT INTO ferry_replication.apply_checkpoint (migration, segment, segment_offset, gtid, transactions, changes)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (migration) DO UPDATE SET segment = excluded.segment, segment_offset = excluded.segment_offset,
                      gtid = excluded.gtid, transactions = excluded.transactions, changes = excluded.changes, updated = now()""",
                    List.of(migration, next.segment(), next.offset(), applied.toString(), before.transactions() + entries.size(), before.changes() + changes));
            WriteFence fence = store.fence();
            Optional<WriteFence.Query> fenceQuery = fence.query();
            if (fenceQuery.isPresent()) {
                // Sent with the batch's last statements: the fence costs apply no round trip of its own.
                pipeline.addFence(fenceQuery.get());
            }
            pipeline.flush();
            if (fenceQuery.isEmpty()) {
                fence.check(connection);
            }
            connection.commit();
            checkpoint.set(new Checkpoint(next, applied, before.transactions() + entries.size(), before.changes() + changes));
            lastCommitMillis.set(entries.get(entries.size() - 1).transaction().commitMillis());
            observer.committed(entries.stream().map(StagingLog.Entry::transaction).toList());
            afterCheckpoint(checkpoint.get());
            synchronized (progress) {
                progress.notifyAll();
            }
        }
        catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }

    /**
     * Sets what runs after checkpoints commit (the removal of applied staging segments). It runs on a thread of its
     * own, not apply's: removing a segment reads it, forces a file and the directory, which took apply's next commit
     * 100-140 ms late when it ran in line (docs/BENCHMARKS.md). It is given the newest checkpoint when it runs, so
     * checkpoints committed while it runs are covered by one more run, not one each. A failure there is logged and
     * does not stop apply.
     */
    public void onCheckpoint(Consumer<Checkpoint> action)
    {
        onCheckpoint = requireNonNull(action, "action is null");
    }

    private void afterCheckpoint(Checkpoint committed)
    {
        if (pendingAfterCheckpoint.getAndSet(committed) == null) {
            try {
                afterCheckpointRunner.execute(this::runAfterCheckpoint);
            }
            catch (RejectedExecutionException e) {
                // Apply is closing: the next start removes what this run would have.
                log.debug("Apply of migration {}: after checkpoint {} skipped, apply is closing", migration, committed.position());
            }
        }
    }

    private void runAfterCheckpoint()
    {
        Checkpoint committed = pendingAfterCheckpoint.getAndSet(null);
        if (committed == null) {
            return;
        }
        try {
            onCheckpoint.accept(committed);
        }
        catch (RuntimeException e) {
            log.warn("Apply of migration {}: after checkpoint {}: {}", migration, committed.position(), e.getMessage());
        }
    }

    /** Sets who is told about committed batches (metrics, benchmarks). */
    public void observe(Observer newObserver)
    {
        observer = requireNonNull(newObserver, "newObserver is null");
    }

    public Checkpoint checkpoint()
    {
        return checkpoint.get();
    }

    /** Milliseconds between now and the source commit of the last applied transaction, or empty before any. */
    public Optional<Long> lagMillis(long nowMillis)
    {
        long last = lastCommitMillis.get();
        return last == 0 ? Optional.empty() : Optional.of(Math.max(0, nowMillis - last));
    }

    public Optional<ReplicationException> failure()
    {
        return Optional.ofNullable(failure.get());
    }

    /** Waits until the staging log is applied up to the given staging position; false on timeout. */
    public boolean awaitApplied(StagingPosition position, Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (checkpoint.get().position().compareTo(position) < 0) {
                if (failure.get() != null) {
                    throw failure.get();
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                progress.wait(Math.max(1, remaining / 1_000_000));
            }
            return true;
        }
    }

    /**
     * Applies no further batch from now on, without waiting for apply's thread to end ({@link #close()} does): a
     * cutover past its switch record calls it before the front serves from the own database, so that nothing the
     * source records after the fence (another writer's change) can reach the database clients now write, while the
     * slower teardown waits until the writes the switch released are done.
     */
    public void halt()
    {
        synchronized (applying) {
            // Once it is held here, no batch is being applied, and the loop applies none after it.
            running = false;
        }
    }

    @Override
    public void close()
    {
        running = false;
        if (thread != null) {
            try {
                thread.join(30_000);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (afterCheckpointRunner != null) {
            // Lets a removal under way finish: the staging log may be closed right after.
            afterCheckpointRunner.shutdown();
            try {
                if (!afterCheckpointRunner.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("Apply of migration {}: the after-checkpoint action did not finish in 30 s", migration);
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.info("Apply of migration {} stopped at {}", migration, checkpoint.get());
    }
}
