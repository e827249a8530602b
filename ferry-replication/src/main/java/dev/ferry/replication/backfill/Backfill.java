package dev.ferry.replication.backfill;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Copies every HMS table from the source to the own database. Several workers each take a table, open a consistent
 * snapshot of the source for it and the binlog position that snapshot reflects (the {@link SourceDialect} knows how),
 * and copy it in row-key chunks with PostgreSQL {@code COPY}; a chunk's rows and its record
 * (last key, row count, snapshot GTID) commit in one PostgreSQL transaction, so a restart after a crash resumes at
 * the first chunk not committed, with a new snapshot. Apply later skips, per chunk, the changes its snapshot
 * already holds. Foreign keys of the own database are set aside for the migration (tables are copied from
 * different snapshots) and restored, validated, by finalize.
 */
public final class Backfill
{
    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    private static final int COPY_BUFFER_BYTES = 256 * 1024;
    /** Room for the row that crosses {@link #COPY_BUFFER_BYTES}, so that most blocks never grow. */
    private static final int BUFFER_SLACK_BYTES = 16 * 1024;
    /** Segments a reader may be ahead of its writer: about 2 MB of COPY data. */
    private static final int PIPE_SEGMENTS = 8;

    /** @param workers tables copied at once; @param chunkRows rows per chunk and PostgreSQL transaction */
    public record Options(int workers, int chunkRows)
    {
        public Options
        {
            if (workers < 1 || chunkRows < 1) {
                throw new IllegalArgumentException("workers and chunkRows must be positive: " + workers + ", " + chunkRows);
            }
        }

        /**
         * Three workers: each is a reader and a writer thread, and three keep PostgreSQL's COPY busy while the
         * source reads (measured on 2 cores: 78% of raw COPY with three, 64% with two; docs/BENCHMARKS.md). Each
         * holds one snapshot transaction open on the source while it copies a table.
         */
        public static Options defaults()
        {
            return new Options(3, 10_000);
        }
    }

    /** Live progress of one table. */
    public record TableStatus(String table, long rowsCopied, Optional<Long> rowsTotal, boolean done) {}

    private final String migration;
    private final SourceDatabase source;
    private final SourceDialect dialect;
    private final OwnDatabaseTarget target;
    private final SchemaMapping mapping;
    private final ReplicationStore store;
    private final Options options;
    private final Map<String, AtomicLong> copied = new ConcurrentHashMap<>();
    private final Map<String, Long> totals = new ConcurrentHashMap<>();
    private final Map<String, Boolean> done = new ConcurrentHashMap<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    public Backfill(String migration, SourceDatabase source, SourceDialect dialect, OwnDatabaseTarget target, SchemaMapping mapping, ReplicationStore store, Options options)
    {
        this.migration = requireNonNull(migration, "migration is null");
        this.source = requireNonNull(source, "source is null");
        this.dialect = requireNonNull(dialect, "dialect is null");
        this.target = requireNonNull(target, "target is null");
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.store = requireNonNull(store, "store is null");
        this.options = requireNonNull(options, "options is null");
    }

    /**
     * Prepares a migration's backfill the first time (records where capture starts, sets the own database's
     * foreign keys aside and empties its HMS tables of the seed rows, which the source's rows replace) and
     * returns where capture must start. Later calls return the recorded start and change nothing.
     */
    public BinlogEnd prepare()
    {
        try (Connection own = store.connect()) {
            Optional<BinlogEnd> recorded = store.captureStart(own, migration);
            if (recorded.isPresent()) {
                return recorded.get();
            }
            BinlogEnd start = currentBinlogPosition();
            try (Statement statement = own.createStatement()) {
                store.insertMigration(own, migration, start);
                store.setForeignKeysAside(own, migration);
                statement.execute("TRUNCATE " + String.join(", ", mapping.tables().values().stream().map(TableMapping::targetIdentifier).toList()));
                store.insertTables(own, migration, new ArrayList<>(mapping.tables().keySet()));
            }
            store.commit(own);
            log.info("Backfill of migration {} prepared: capture starts at {}:{} (position {}), own database emptied of seed rows",
                    migration, start.file(), start.offset(), start.position());
            return start;
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE,
                    "cannot prepare the own database for migration %s: %s".formatted(migration, e.getMessage()), e);
        }
    }

    private BinlogEnd currentBinlogPosition()
    {
        try (Connection connection = JdbcConnections.sourceCdc(source)) {
            return dialect.binlogEnd(connection);
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_BINLOG_OFF,
                    "cannot read the binlog position of %s: %s".formatted(source, e.getMessage()), e);
        }
    }

    /** Copies every table not yet done, blocking until all are; safe to call again after a crash. */
    public void run()
    {
        prepare();
        long started = System.nanoTime();
        Map<String, ReplicationStore.TableProgress> progress;
        try (Connection own = store.connect()) {
            progress = store.tableProgress(own, migration);
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE, "cannot read backfill progress: " + e.getMessage(), e);
        }
        LinkedBlockingQueue<ReplicationStore.TableProgress> work = new LinkedBlockingQueue<>();
        Map<String, Long> estimates = estimatedRows();
        progress.values().stream()
                .peek(table -> {
                    copied.put(table.table(), new AtomicLong(table.rowsCopied()));
                    table.rowsTotal().ifPresent(total -> totals.put(table.table(), total));
                    done.put(table.table(), table.done());
                })
                .filter(table -> !table.done())
                .sorted(Comparator.comparingLong((ReplicationStore.TableProgress table) -> estimates.getOrDefault(table.table(), 0L)).reversed())
                .forEach(work::add);
        log.info("Backfill of migration {}: {} of {} tables to copy with {} workers", migration, work.size(), progress.size(), options.workers());
        ExecutorService workers = Executors.newFixedThreadPool(options.workers(), runnable -> {
            Thread thread = new Thread(runnable, "backfill-" + migration);
            thread.setDaemon(true);
            return thread;
        });
        // One reader per worker: it scans the table its worker copies, while the worker writes.
        ExecutorService readers = Executors.newFixedThreadPool(options.workers(), runnable -> {
            Thread thread = new Thread(runnable, "backfill-read-" + migration);
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < options.workers(); i++) {
                results.add(workers.submit(() -> {
                    // One connection to each database per worker, for every table it copies.
                    try (Connection reader = connectSource(); Connection own = store.connect(); WorkerSessions sessions = new WorkerSessions()) {
                        for (ReplicationStore.TableProgress table = work.poll(); table != null && !stopping.get(); table = work.poll()) {
                            copyTable(reader, sessions, own, readers, mapping.table(table.table()), table, estimates.getOrDefault(table.table(), 0L));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.set(true);
            throw new ReplicationException(ReplicationException.Reason.INTERNAL, "backfill interrupted");
        }
        catch (ExecutionException e) {
            stopping.set(true);
            if (e.getCause() instanceof ReplicationException replication) {
                throw replication;
            }
            throw new ReplicationException(ReplicationException.Reason.INTERNAL, "backfill failed: " + e.getCause(), e.getCause());
        }
        finally {
            workers.shutdownNow();
            readers.shutdownNow();
        }
        long rows = copied.values().stream().mapToLong(AtomicLong::get).sum();
        double seconds = Math.max(1, System.nanoTime() - started) / 1e9;
        if (stopping.get()) {
            log.info("Backfill of migration {} stopped after {} rows; it resumes at the next chunk", migration, rows);
            return;
        }
        log.info("Backfill of migration {} done: {} rows in {} s ({} rows/s)", migration, rows, Math.round(seconds), Math.round(rows / seconds));
    }

    /** Asks the workers to stop after their current chunk. */
    public void stop()
    {
        stopping.set(true);
    }

    private Map<String, Long> estimatedRows()
    {
        Map<String, Long> estimates = new LinkedHashMap<>();
        try (Connection connection = connectSource();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?")) {
            statement.setString(1, source.database());
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    estimates.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        catch (SQLException e) {
            throw sourceFailure("cannot read table sizes", e);
        }
        return estimates;
    }

    /**
     * Copies one table: a reader thread scans the table in the snapshot and renders its rows as binary COPY data
     * while this thread writes them, so that reading chunk N+1 overlaps PostgreSQL's work on chunk N. Its total for
     * progress is the source's estimate (InnoDB's, from information_schema) until the table is done, then the exact
     * number of rows copied: counting first would read every table twice.
     */
    private void copyTable(Connection reader, WorkerSessions sessions, Connection own, ExecutorService readers, TableMapping table, ReplicationStore.TableProgress progress,
            long estimate)
            throws SQLException, IOException, InterruptedException
    {
        long started = System.nanoTime();
        String snapshotPosition = openSnapshot(reader, sessions, table);
        if (progress.rowsTotal().isEmpty()) {
            totals.put(table.name(), Math.max(estimate, copied.get(table.name()).get()));
        }
        ChunkPipe pipe = new ChunkPipe(PIPE_SEGMENTS);
        Future<?> reading = readers.submit(() -> read(reader, table, progress, pipe));
        try {
            write(own, table, progress, snapshotPosition, pipe);
        }
        finally {
            // Stops the reader if the writer failed or stopped early; otherwise the reader has already finished.
            pipe.cancel();
            awaitReader(reading);
        }
        try (Statement statement = reader.createStatement()) {
            statement.execute("COMMIT");
        }
        if (done.getOrDefault(table.name(), false)) {
            // Marking the table done recorded its exact total, the rows of its chunks.
            long rows = copied.get(table.name()).get();
            totals.put(table.name(), rows);
            log.info("Backfill of {}: {} rows in {} ms", table.name(), rows, (System.nanoTime() - started) / 1_000_000);
        }
    }

    private static void awaitReader(Future<?> reading)
            throws InterruptedException
    {
        try {
            reading.get();
        }
        catch (ExecutionException e) {
            // The reader hands its failures to the writer through the pipe; nothing is left to report here.
            log.debug("Backfill reader ended with {}", e.getCause().toString());
        }
    }

    private String openSnapshot(Connection reader, WorkerSessions sessions, TableMapping table)
            throws SQLException
    {
        try {
            return dialect.openSnapshot(reader, "%s.%s".formatted(quoted(source.database()), table.sourceIdentifier()), sessions).toString();
        }
        catch (SQLException e) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE,
                    "cannot open a consistent snapshot of %s on the source %s: %s".formatted(table.name(), source, e.getMessage()), e);
        }
    }

    private static String quoted(String identifier)
    {
        return "`" + identifier.replace("`", "``") + "`";
    }

    /**
     * The connections a worker's snapshots may need besides its reader's (a lock session as the reader and a binlog
     * session as the CDC user), opened on first need and kept for the worker's next tables.
     */
    private final class WorkerSessions
            implements SourceDialect.SnapshotSessions, AutoCloseable
    {
        private Connection lock;
        private Connection binlog;

        @Override
        public Connection lockSession()
        {
            if (lock == null) {
                lock = connectSource();
            }
            return lock;
        }

        @Override
        public Connection binlogSession()
        {
            if (binlog == null) {
                binlog = JdbcConnections.sourceCdc(source);
            }
            return binlog;
        }

        @Override
        public void close()
                throws SQLException
        {
            try {
                if (lock != null) {
                    lock.close();
                }
            }
            finally {
                if (binlog != null) {
                    binlog.close();
                }
            }
        }
    }

    /**
     * The reader's side of one table: one key-ordered, streamed scan (from after the last committed chunk), cut into
     * chunks as it goes: one index walk per table instead of one query per chunk, which composite-key predicates
     * would turn into repeated scans. A table without a row key is one chunk, read unordered. Hands every outcome,
     * failures included, to the writer through the pipe.
     */
    private Void read(Connection reader, TableMapping table, ReplicationStore.TableProgress progress, ChunkPipe pipe)
            throws InterruptedException
    {
        try {
            boolean keyed = !table.rowKey().isEmpty();
            Optional<List<Object>> after = keyed ? progress.lastKey().map(RowKeys::decode) : Optional.empty();
            String sql = keyed
                    ? "SELECT %s FROM %s%s ORDER BY %s".formatted(sourceColumns(table), table.sourceIdentifier(),
                            after.isPresent() ? " WHERE " + keyAfter(table) : "",
                            String.join(", ", table.rowKey().stream().map(name -> table.column(name).sourceIdentifier()).toList()))
                    : "SELECT %s FROM %s".formatted(sourceColumns(table), table.sourceIdentifier());
            try (PreparedStatement statement = reader.prepareStatement(sql)) {
                statement.setFetchSize(options.chunkRows());
                if (after.isPresent()) {
                    bindKeyAfter(statement, after.get());
                }
                try (ResultSet results = statement.executeQuery()) {
                    render(results, table, keyed ? options.chunkRows() : Long.MAX_VALUE, pipe);
                }
            }
        }
        catch (CancellationException e) {
            // The writer stopped or failed, and says why itself.
        }
        catch (SQLException | RuntimeException e) {
            try {
                pipe.put(new ChunkPipe.Failed(e));
            }
            catch (CancellationException cancelled) {
                log.debug("Backfill reader of {} failed after its writer stopped", table.name(), e);
            }
        }
        catch (InterruptedException | Error e) {
            // Nothing more will come: the writer must not wait for it.
            pipe.cancel();
            throw e;
        }
        return null;
    }

    /** Renders the rows of a scan into the pipe, in blocks of about {@value #COPY_BUFFER_BYTES} bytes, chunk by chunk. */
    private void render(ResultSet results, TableMapping table, long chunkRows, ChunkPipe pipe)
            throws SQLException, InterruptedException
    {
        boolean keyed = !table.rowKey().isEmpty();
        CopyBinaryEncoder encoder = new CopyBinaryEncoder(table, COPY_BUFFER_BYTES + BUFFER_SLACK_BYTES);
        boolean more = results.next();
        if (!more) {
            pipe.put(new ChunkPipe.ChunkEnd(0, Optional.empty(), true));
            return;
        }
        while (more) {
            if (stopping.get()) {
                pipe.put(new ChunkPipe.Stopped());
                return;
            }
            long rows = 0;
            encoder.startCopy();
            do {
                encoder.append(results);
                rows++;
                if (encoder.length() >= COPY_BUFFER_BYTES) {
                    int length = encoder.length();
                    pipe.put(new ChunkPipe.Data(encoder.take(COPY_BUFFER_BYTES + BUFFER_SLACK_BYTES), length));
                }
                more = results.next();
            }
            while (more && rows < chunkRows);
            encoder.endCopy();
            if (encoder.length() > 0) {
                int length = encoder.length();
                pipe.put(new ChunkPipe.Data(encoder.take(COPY_BUFFER_BYTES + BUFFER_SLACK_BYTES), length));
            }
            pipe.put(new ChunkPipe.ChunkEnd(rows, keyed ? Optional.of(encoder.lastKey()) : Optional.empty(), !more));
        }
    }

    /**
     * The writer's side of one table: COPY of each chunk's data, then, in the same PostgreSQL transaction, the
     * chunk's record (and, for the last chunk, the table's completion), so that a restart resumes at the first chunk
     * not committed. A table without a row key has one chunk record, even when empty. A chunk commits only while the
     * store's write fence holds: otherwise it is rolled back and the copy stops with {@code FENCED}.
     */
    private void write(Connection own, TableMapping table, ReplicationStore.TableProgress progress, String snapshotPosition, ChunkPipe pipe)
            throws SQLException, IOException, InterruptedException
    {
        boolean keyed = !table.rowKey().isEmpty();
        String copySql = "COPY %s (%s) FROM STDIN %s".formatted(table.targetIdentifier(),
                String.join(", ", table.columns().stream().map(ColumnMapping::targetIdentifier).toList()), CopyBinaryEncoder.COPY_OPTIONS);
        int chunk = keyed ? progress.chunks() : 0;
        CopyIn copyIn = null;
        try {
            while (true) {
                ChunkPipe.Segment segment = pipe.take();
                if (segment instanceof ChunkPipe.Data data) {
                    if (copyIn == null) {
                        copyIn = own.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
                    }
                    copyIn.writeToCopy(data.bytes(), 0, data.length());
                }
                else if (segment instanceof ChunkPipe.ChunkEnd end) {
                    if (copyIn != null) {
                        copyIn.endCopy();
                        copyIn = null;
                    }
                    if (end.rows() > 0 || !keyed) {
                        chunk++;
                        store.insertChunk(own, migration, table.name(), chunk, end.lastKey().map(RowKeys::encode), end.rows(), snapshotPosition);
                    }
                    if (end.last()) {
                        store.markTableDone(own, migration, table.name(), snapshotPosition);
                    }
                    store.commit(own);
                    copied.get(table.name()).addAndGet(end.rows());
                    if (end.last()) {
                        done.put(table.name(), true);
                        return;
                    }
                    if (stopping.get()) {
                        return;
                    }
                }
                else if (segment instanceof ChunkPipe.Stopped) {
                    return;
                }
                else if (segment instanceof ChunkPipe.Failed failed) {
                    if (failed.cause() instanceof SQLException sql) {
                        throw sql;
                    }
                    throw (RuntimeException) failed.cause();
                }
            }
        }
        finally {
            if (copyIn != null && copyIn.isActive()) {
                copyIn.cancelCopy();
            }
        }
    }

    private static String sourceColumns(TableMapping table)
    {
        return String.join(", ", table.columns().stream().map(ColumnMapping::sourceIdentifier).toList());
    }

    /** {@code (k1, k2) > (?, ?)} spelled out so MariaDB uses the key's index range. */
    private static String keyAfter(TableMapping table)
    {
        List<String> key = table.rowKey().stream().map(name -> table.column(name).sourceIdentifier()).toList();
        List<String> disjuncts = new ArrayList<>();
        for (int i = 0; i < key.size(); i++) {
            List<String> terms = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                terms.add(key.get(j) + " = ?");
            }
            terms.add(key.get(i) + " > ?");
            disjuncts.add("(" + String.join(" AND ", terms) + ")");
        }
        return String.join(" OR ", disjuncts);
    }

    private static void bindKeyAfter(PreparedStatement statement, List<Object> after)
            throws SQLException
    {
        int parameter = 1;
        for (int i = 0; i < after.size(); i++) {
            for (int j = 0; j <= i; j++) {
                statement.setObject(parameter++, after.get(j));
            }
        }
    }

    private Connection connectSource()
    {
        return JdbcConnections.source(source);
    }

    private ReplicationException sourceFailure(String what, SQLException e)
    {
        return new ReplicationException(ReplicationException.Reason.SOURCE_UNREACHABLE, "%s to the source %s: %s".formatted(what, source, e.getMessage()), e);
    }

    /** Progress per table, live. */
    public List<TableStatus> status()
    {
        List<TableStatus> statuses = new ArrayList<>();
        for (String table : mapping.tables().keySet()) {
            AtomicLong rows = copied.get(table);
            statuses.add(new TableStatus(table, rows == null ? 0 : rows.get(), Optional.ofNullable(totals.get(table)), done.getOrDefault(table, false)));
        }
        return statuses;
    }
}
