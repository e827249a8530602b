package dev.ferry.replication.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.replication.GtidPosition;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
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
 * Reads the source's binlog from the backfill's start position with the Debezium embedded engine (MariaDB
 * connector), groups row changes by source transaction, and appends each whole transaction to the staging log.
 * Debezium's offset is committed only after the staging log has the transaction on disk; after a crash, capture
 * resumes from the last committed offset and skips the transactions the staging log already has (by GTID), so
 * none is lost or staged twice.
 */
public final class Capture
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Capture.class);
    private static final String TOPIC_PREFIX = "ferry";
    private static final String OFFSETS_FILE = "capture.offsets";

    private final String migration;
    private final SourceDatabase source;
    private final SchemaMapping mapping;
    private final StagingLog staging;
    private final AtomicReference<GtidPosition> staged = new AtomicReference<>(GtidPosition.EMPTY);
    private final AtomicLong transactionsStaged = new AtomicLong();
    private final AtomicLong changesStaged = new AtomicLong();
    private final AtomicLong lastCommitMillis = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<RowChange> open = new ArrayList<>();
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

    public Capture(String migration, SourceDatabase source, SchemaMapping mapping, StagingLog staging)
    {
        this.migration = requireNonNull(migration, "migration is null");
        this.source = requireNonNull(source, "source is null");
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.staging = requireNonNull(staging, "staging is null");
    }

    /** Starts reading the binlog at the start position the first time, at the committed offset later. */
    public void start(ReplicationStore.CaptureStart start)
    {
        Path offsets = staging.directory().resolve(OFFSETS_FILE);
        String engineName = "ferry-capture-" + migration;
        if (!offsets.toFile().exists()) {
            DurableOffsetStore.seed(offsets, engineName, TOPIC_PREFIX, start.binlogFile(), start.binlogPosition(), start.gtid());
        }
        staged.set(recoverStagedPosition(start));
        Properties properties = new Properties();
        properties.setProperty("name", engineName);
        properties.setProperty("connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
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
        log.info("Capture of migration {} started from {} (staged up to GTID {})", migration, DurableOffsetStore.describe(offsets), staged.get());
    }

    private GtidPosition recoverStagedPosition(ReplicationStore.CaptureStart start)
    {
        GtidPosition position = GtidPosition.parse(start.gtid());
        StagingPosition from = StagingPosition.START;
        for (List<StagingLog.Entry> batch = staging.read(from, 1024); !batch.isEmpty(); batch = staging.read(from, 1024)) {
            for (StagingLog.Entry entry : batch) {
                position = position.advancedTo(entry.transaction().gtid());
                transactionsStaged.incrementAndGet();
            }
            from = batch.get(batch.size() - 1).next();
        }
        return position;
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException
    {
        List<SourceTransaction> complete = new ArrayList<>();
        int lastComplete = -1;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord record = records.get(i).record();
            if (!(record.value() instanceof Struct value)) {
                continue;
            }
            if (record.topic().equals(TOPIC_PREFIX + ".transaction")) {
                String status = value.getString("status");
                if (status.equals("BEGIN")) {
                    openTransaction = value.getString("id");
                    open.clear();
                    openFile = null;
                }
                else if (status.equals("END")) {
                    if (openTransaction != null && openTransaction.equals(value.getString("id"))) {
                        complete.add(new SourceTransaction(openTransaction, openFile == null ? "" : openFile, openPosition, openCommitMillis, open));
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
                // A change outside a transaction: stage it on its own.
                String gtid = sourceInfo.getString("gtid");
                complete.add(new SourceTransaction(gtid == null ? "" : gtid, openFile, openPosition, openCommitMillis, open));
                open.clear();
                openFile = null;
                lastComplete = i;
            }
        }
        List<SourceTransaction> fresh = new ArrayList<>();
        GtidPosition position = staged.get();
        for (SourceTransaction transaction : complete) {
            if (!transaction.gtid().isEmpty() && position.includes(transaction.gtid())) {
                continue;
            }
            if (!transaction.gtid().isEmpty()) {
                position = position.advancedTo(transaction.gtid());
            }
            if (!transaction.changes().isEmpty()) {
                fresh.add(transaction);
            }
        }
        if (!fresh.isEmpty()) {
            staging.append(fresh);
            transactionsStaged.addAndGet(fresh.size());
            changesStaged.addAndGet(fresh.stream().mapToLong(transaction -> transaction.changes().size()).sum());
            lastCommitMillis.set(fresh.get(fresh.size() - 1).commitMillis());
        }
        staged.set(position);
        // Offsets move only past transactions that are on disk; a transaction still open is read again after a
        // restart.
        for (int i = 0; i <= lastComplete; i++) {
            committer.markProcessed(records.get(i));
        }
        committer.markBatchFinished();
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

    /** The last GTID staged: everything up to it is on disk. */
    public GtidPosition stagedPosition()
    {
        return staged.get();
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
            try {
                engine.close();
            }
            catch (IOException e) {
                log.warn("Could not stop capture of migration {} cleanly: {}", migration, e.getMessage());
            }
        }
        executor.shutdown();
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
}
