package dev.ferry.replication.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.replication.source.BinlogCoordinates;
import dev.ferry.replication.source.SourceConnections;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.source.SourcePosition;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Reads the source's binlog from the backfill's start position with the Debezium embedded engine (the dialect's
 * connector: MariaDB's or MySQL's), groups row changes by source transaction, and appends each whole transaction to
 * the staging log. Debezium's offset is committed only after the staging log has the transaction on disk; after a
 * crash, capture resumes from the last committed offset and skips the transactions the staging log already has (by
 * their GTID, or their binlog coordinates without GTIDs), so none is lost or staged twice.
 *
 * <p>Its staged position covers every transaction read so far, those with no change to a metastore table included:
 * each transaction's name, and what the offsets of transaction starts and heartbeats say is complete.
 */
public final class Capture
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Capture.class);
    private static final String TOPIC_PREFIX = "ferry";
    private static final String HEARTBEAT_TOPIC = "__debezium-heartbeat." + TOPIC_PREFIX;
    private static final String OFFSETS_FILE = "capture.offsets";

    private final String migration;
    private final SourceDatabase source;
    private final SourceDialect dialect;
    private final SchemaMapping mapping;
    private final StagingLog staging;
    private final AtomicReference<SourcePosition> staged = new AtomicReference<>(SourcePosition.EMPTY);
    /** The name of the last transaction read, with or without changes to stage. */
    private final AtomicReference<String> lastTransaction = new AtomicReference<>();
    /** Where the last transaction read ends, once a drain asked: by its name. */
    private final AtomicReference<Map.Entry<String, Optional<BinlogCoordinates>>> lastTransactionEnd = new AtomicReference<>();
    private Connection binlogSession;
    private final AtomicLong transactionsStaged = new AtomicLong();
    private final AtomicLong changesStaged = new AtomicLong();
    private final AtomicLong lastCommitMillis = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<RowChange> open = new ArrayList<>();
    private static final int CLOSE_PATIENCE_SECONDS = 30;

    private final ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "capture");
        thread.setDaemon(true);
        return thread;
    });
    private String openTransaction;
    private String openFile;
    private long openPosition;
    private long openCommitMillis;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

    public Capture(String migration, SourceDatabase source, SourceDialect dialect, SchemaMapping mapping, StagingLog staging)
    {
        this.migration = requireNonNull(migration, "migration is null");
        this.source = requireNonNull(source, "source is null");
        this.dialect = requireNonNull(dialect, "dialect is null");
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.staging = requireNonNull(staging, "staging is null");
    }

    /** Starts reading the binlog at the start position the first time, at the committed offset later. */
    public void start(BinlogEnd start)
    {
        Path offsets = staging.directory().resolve(OFFSETS_FILE);
        String engineName = "ferry-capture-" + migration;
        if (!offsets.toFile().exists()) {
            DurableOffsetStore.seed(offsets, engineName, TOPIC_PREFIX, dialect.seedOffset(start));
        }
        staged.set(recoverStagedPosition(start));
        // With the staging log in an object store, the offsets go there too: a replica that takes capture over
        // resumes where they say rather than at the migration's start (which the binlogs may no longer hold).
        DurableOffsetStore.afterWrite(offsets, () -> {
            try {
                staging.keepFile(OFFSETS_FILE);
            }
            catch (RuntimeException e) {
                log.warn("Capture of migration {}: could not keep its offsets in {} (a replica that takes capture over re-reads more of the binlog): {}", migration,
                        staging.describe(), e.getMessage());
            }
        });
        Properties properties = new Properties();
        properties.setProperty("name", engineName);
        properties.setProperty("connector.class", dialect.connectorClass());
        properties.setProperty("offset.storage", DurableOffsetStore.class.getName());
        properties.setProperty(DurableOffsetStore.FILE_PROPERTY, offsets.toString());
        // Offsets only save re-reading the binlog after a restart (transactions already staged are skipped by
        // GTID), so they are flushed once a second rather than fsynced with every batch.
        properties.setProperty("offset.flush.interval.ms", "1000");
        properties.setProperty("database.hostname", source.host());
        properties.setProperty("database.port", Integer.toString(source.port()));
        properties.setProperty("database.user", source.cdcUser());
        properties.setProperty("database.password", source.cdcPassword());
        properties.setProperty("database.server.id", Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 1_000_000)));
        properties.setProperty("database.include.list", source.database());
        properties.setProperty("topic.prefix", TOPIC_PREFIX);
        // Backfill copies the data; Debezium only needs the tables' structure, read again at each start.
        properties.setProperty("snapshot.mode", "recovery");
        properties.setProperty("snapshot.locking.mode", "none");
        properties.setProperty("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
        properties.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
        properties.setProperty("include.schema.changes", "false");
        properties.setProperty("provide.transaction.metadata", "true");
        properties.setProperty("tombstones.on.delete", "false");
        properties.setProperty("poll.interval.ms", "5");
        properties.setProperty("bigint.unsigned.handling.mode", "precise");
        properties.setProperty("binary.handling.mode", "bytes");
        properties.setProperty("decimal.handling.mode", "double");
        properties.setProperty("max.batch.size", "4096");
        // A heartbeat carries the offset past transactions and statements outside the captured tables (DDL, other
        // databases), so the staged position reaches a fence that follows them.
        properties.setProperty("heartbeat.interval.ms", "1000");
        SourceConnections.debeziumOptions(source, dialect.version().flavor()).forEach(properties::setProperty);
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using(OffsetCommitPolicy.periodic(properties))
                .using((success, message, error) -> {
                    if (!success) {
                        failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
                        log.error("Capture of migration {} stopped: {}", migration, message);
                    }
                })
                .notifying(this::handleBatch)
                .build();
        executor.execute(engine);
        log.info("Capture of migration {} from {} started from {} (staged up to {})", migration, dialect.describe(), DurableOffsetStore.describe(offsets), staged.get());
    }

    private SourcePosition recoverStagedPosition(BinlogEnd start)
    {
        SourcePosition position = start.position();
        // Applied segments removed from the log: what they held, recorded when they were removed, not read again.
        Optional<StagingLog.Removed> removed = staging.removed();
        if (removed.isPresent()) {
            if (!removed.get().position().isEmpty()) {
                position = position.union(SourcePosition.parse(removed.get().position()));
            }
            if (!removed.get().lastTransaction().isEmpty()) {
                lastTransaction.set(removed.get().lastTransaction());
            }
            transactionsStaged.set(removed.get().transactions());
        }
        StagingPosition from = staging.start();
        for (List<StagingLog.Entry> batch = staging.read(from, 1024); !batch.isEmpty(); batch = staging.read(from, 1024)) {
            for (StagingLog.Entry entry : batch) {
                if (!entry.transaction().gtid().isEmpty()) {
                    position = position.advancedTo(entry.transaction().gtid());
                    lastTransaction.set(entry.transaction().gtid());
                }
                transactionsStaged.incrementAndGet();
            }
            from = batch.get(batch.size() - 1).next();
        }
        return position;
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException
    {
        List<SourceTransaction> fresh = new ArrayList<>();
        SourcePosition position = staged.get();
        String last = lastTransaction.get();
        int lastComplete = -1;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord record = records.get(i).record();
            if (!(record.value() instanceof Struct value)) {
                continue;
            }
            if (record.topic().equals(HEARTBEAT_TOPIC)) {
                if (openTransaction == null) {
                    position = position.union(dialect.offsetPosition(record.sourceOffset()));
                    lastComplete = i;
                }
                continue;
            }
            if (record.topic().equals(TOPIC_PREFIX + ".transaction")) {
                String status = value.getString("status");
                String id = dialect.transactionId(value.getString("id"));
                if (status.equals("BEGIN")) {
                    // Every transaction before this one has been read.
                    position = position.union(dialect.offsetPosition(record.sourceOffset()));
                    openTransaction = id;
                    open.clear();
                    openFile = null;
                }
                else if (status.equals("END")) {
                    if (openTransaction != null && openTransaction.equals(id)) {
                        if (!position.includes(id)) {
                            position = position.advancedTo(id);
                            if (!open.isEmpty()) {
                                fresh.add(new SourceTransaction(id, openFile == null ? "" : openFile, openPosition, openCommitMillis, open));
                            }
                        }
                        last = id;
                    }
                    open.clear();
                    openTransaction = null;
                    lastComplete = i;
                }
                continue;
            }
            Struct sourceInfo = value.getStruct("source");
            String table = sourceInfo.getString("table");
            if (table == null || !mapping.tables().containsKey(table)) {
                continue;
            }
            if (openFile == null) {
                openFile = sourceInfo.getString("file");
                openPosition = sourceInfo.getInt64("pos");
            }
            openCommitMillis = sourceInfo.getInt64("ts_ms");
            open.add(change(mapping.table(table), value));
            if (openTransaction == null) {
                // A change outside a transaction we saw begin: one Debezium emits again after a restart inside a
                // transaction already staged (skipped here by its name), or a change without transaction metadata,
                // staged on its own.
                String id = transactionOf(record, sourceInfo);
                if (id.isEmpty() || !position.includes(id)) {
                    fresh.add(new SourceTransaction(id, openFile, openPosition, openCommitMillis, open));
                    if (!id.isEmpty()) {
                        position = position.advancedTo(id);
                    }
                }
                open.clear();
                openFile = null;
                lastComplete = i;
            }
        }
        if (!fresh.isEmpty()) {
            staging.append(fresh);
            transactionsStaged.addAndGet(fresh.size());
            changesStaged.addAndGet(fresh.stream().mapToLong(transaction -> transaction.changes().size()).sum());
            lastCommitMillis.set(fresh.get(fresh.size() - 1).commitMillis());
        }
        staged.set(position);
        lastTransaction.set(last);
        // Offsets move only past transactions that are on disk; a transaction still open is read again after a
        // restart.
        for (int i = 0; i <= lastComplete; i++) {
            committer.markProcessed(records.get(i));
        }
        committer.markBatchFinished();
    }

    /** The name of the transaction a change belongs to: from its offset's transaction id, else its GTID; empty if neither. */
    private String transactionOf(SourceRecord record, Struct sourceInfo)
    {
        Object id = record.sourceOffset().get("transaction_id");
        if (id != null) {
            return dialect.transactionId(id.toString());
        }
        String gtid = sourceInfo.getString("gtid");
        return gtid == null ? "" : gtid;
    }

    private static RowChange change(TableMapping table, Struct value)
    {
        RowChange.Operation operation = switch (value.getString("op")) {
            case "c", "r" -> RowChange.Operation.INSERT;
            case "u" -> RowChange.Operation.UPDATE;
            case "d" -> RowChange.Operation.DELETE;
            default -> throw new IllegalStateException("unknown Debezium operation " + value.getString("op") + " on " + table.name());
        };
        return new RowChange(table.name(), operation, values(table, value.getStruct("before")), values(table, value.getStruct("after")));
    }

    private static List<Object> values(TableMapping table, Struct row)
    {
        if (row == null) {
            return List.of();
        }
        List<Object> values = new ArrayList<>(table.columns().size());
        for (ColumnMapping column : table.columns()) {
            Field field = row.schema().field(column.name());
            if (field == null) {
                throw new IllegalStateException("binlog row of %s has no column %s".formatted(table.name(), column.name()));
            }
            values.add(column.conversion().canonical(row.get(field)));
        }
        return values;
    }

    /** Every transaction this position includes has been read, and staged if it changed a metastore table. */
    public SourcePosition stagedPosition()
    {
        return staged.get();
    }

    /**
     * Whether every transaction {@code target} includes has been read and staged. Without GTIDs, capture learns that
     * a transaction was the last before a position only from the next one; when nothing follows (writes are held at
     * a fence), it asks the source where the last transaction read ends, once per transaction.
     */
    public boolean covers(SourcePosition target)
    {
        if (staged.get().includesAll(target)) {
            return true;
        }
        String last = lastTransaction.get();
        if (!(target instanceof BinlogCoordinates) || last == null) {
            return false;
        }
        Map.Entry<String, Optional<BinlogCoordinates>> known = lastTransactionEnd.get();
        if (known == null || !known.getKey().equals(last)) {
            known = Map.entry(last, transactionEnd(last));
            lastTransactionEnd.set(known);
        }
        return known.getValue().isPresent() && known.getValue().get().includesAll(target) && staged.get().includes(last);
    }

    private synchronized Optional<BinlogCoordinates> transactionEnd(String transaction)
    {
        try {
            if (binlogSession == null || binlogSession.isClosed()) {
                binlogSession = JdbcConnections.sourceCdc(source);
            }
            return dialect.transactionEnd(binlogSession, BinlogCoordinates.parse(transaction));
        }
        catch (SQLException e) {
            log.warn("Capture of migration {}: cannot read where transaction {} ends in the source's binlog: {}", migration, transaction, e.getMessage());
            return Optional.empty();
        }
    }

    public long transactionsStaged()
    {
        return transactionsStaged.get();
    }

    public long changesStaged()
    {
        return changesStaged.get();
    }

    /** When the last staged transaction committed on the source, in epoch milliseconds; 0 before any. */
    public long lastCommitMillis()
    {
        return lastCommitMillis.get();
    }

    /** Why capture stopped on its own, if it did; binlog purged shows as {@link ReplicationException.Reason#SOURCE_BINLOG_PURGED}. */
    public Optional<ReplicationException> failure()
    {
        Throwable error = failure.get();
        if (error == null) {
            return Optional.empty();
        }
        String message = String.valueOf(error.getMessage());
        ReplicationException.Reason reason = message.contains("purged") || message.contains("Could not find first log file")
                ? ReplicationException.Reason.SOURCE_BINLOG_PURGED : ReplicationException.Reason.SOURCE_UNREACHABLE;
        return Optional.of(new ReplicationException(reason, "capture from %s stopped: %s".formatted(source, message), error));
    }

    @Override
    public void close()
    {
        if (engine != null) {
            closeEngine();
        }
        DurableOffsetStore.forget(staging.directory().resolve(OFFSETS_FILE));
        executor.shutdown();
        synchronized (this) {
            if (binlogSession != null) {
                try {
                    binlogSession.close();
                }
                catch (SQLException e) {
                    log.debug("Could not close capture's binlog session: {}", e.getMessage());
                }
            }
        }
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Capture of migration {} stopped: {} transactions staged", migration, transactionsStaged.get());
    }

    /**
     * Debezium's AsyncEmbeddedEngine refuses to close while its tasks are starting ("Cannot stop engine while tasks are
     * starting, this may lead to leaked resource"), which is the first second or so of a capture: a cancelMigration
     * right after the backfill failed on it. Waits for the start to finish, at most {@value #CLOSE_PATIENCE_SECONDS} s.
     */
    private void closeEngine()
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_PATIENCE_SECONDS);
        while (true) {
            try {
                engine.close();
                return;
            }
            catch (IOException e) {
                log.warn("Could not stop capture of migration {} cleanly: {}", migration, e.getMessage());
                return;
            }
            catch (IllegalStateException e) {
                if (!String.valueOf(e.getMessage()).startsWith("Cannot stop engine while tasks are starting") || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for capture of migration %s to finish starting before it stops".formatted(migration), e);
            }
        }
    }
}
