package dev.ferry.replication.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.replication.ReplicationException.Reason.INTERNAL;
import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_PRIVILEGES_MISSING;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_INCOMPLETE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;
import static java.util.Objects.requireNonNull;

/**
 * Compares every HMS table of the source with the own database: row counts and an order-independent checksum of
 * the rows, each value normalised through its column's {@link Conversion} so that MySQL's bit(1), int and blob
 * compare equal to PostgreSQL's boolean, bigint and bytea.
 *
 * <p>A table is read in chunks by key: the source decides where each chunk ends (the key of every
 * {@code chunkSize}-th row), and both sides then read exactly the rows in that key range, so the chunks line up
 * and a difference is reported as the key ranges it lies in. Tables without a key, or whose first key column is
 * a name the source compares case-insensitively (so that its order cannot be reproduced on PostgreSQL), are read
 * in one pass. Memory stays bounded whatever the table size: rows are streamed and only sums are kept.
 *
 * <p>Verify at a fence: the caller guarantees that neither database is written while it runs (cutover holds
 * writes and waits until apply has passed the fence position). Chunks are read by separate plain statements,
 * without a snapshot spanning them, so a write during verify can show up as a difference that is not one.
 */
public final class Verifier
{
    private static final Logger log = LoggerFactory.getLogger(Verifier.class);

    /** First-key values read in one statement by {@link #verifyChanged}. */
    private static final int KEY_BATCH = 1_000;

    private final SchemaMapping mapping;
    private final SourceDatabase source;
    private final OwnDatabaseTarget own;
    private final VerifyOptions options;
    private final Pacer pacer;
    /** The source's column collations, read once: a migration's schema does not change while it verifies. */
    private final AtomicReference<Map<String, String>> collations = new AtomicReference<>();

    /**
     * One verifier may compare many times (a cutover's verifies ahead and at the fence); it reads the source's
     * column collations on first need and keeps them.
     */
    public Verifier(SchemaMapping mapping, SourceDatabase source, OwnDatabaseTarget own, VerifyOptions options)
    {
        this(mapping, source, own, options, Pacer.NONE);
    }

    /** A verifier that lets {@code pacer} pause it after every chunk of a whole-table comparison. */
    public Verifier(SchemaMapping mapping, SourceDatabase source, OwnDatabaseTarget own, VerifyOptions options, Pacer pacer)
    {
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.source = requireNonNull(source, "source is null");
        this.own = requireNonNull(own, "own is null");
        this.options = requireNonNull(options, "options is null");
        this.pacer = requireNonNull(pacer, "pacer is null");
    }

    /** Compares every table of the schema mapping. */
    public VerificationReport verifyAll()
    {
        return verify(mapping.tables().keySet());
    }

    /** Compares the named tables. */
    public VerificationReport verify(Collection<String> tableNames)
    {
        long started = System.nanoTime();
        List<TableMapping> tables = tableNames.stream().sorted().map(mapping::table).toList();
        Map<String, String> collations = sourceCollations();
        Queue<TableMapping> pending = new ConcurrentLinkedQueue<>(tables);
        List<TableVerification> results = new ArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        int workers = Math.min(options.parallelism(), Math.max(1, tables.size()));
        AtomicInteger workerNumber = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(workers, runnable -> {
            Thread thread = new Thread(runnable, "ferry-verify-" + workerNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<List<TableVerification>>> futures = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                futures.add(executor.submit(() -> work(pending, collations, failed)));
            }
            ReplicationException failure = null;
            for (Future<List<TableVerification>> future : futures) {
                try {
                    results.addAll(future.get());
                }
                catch (ExecutionException e) {
                    failed.set(true);
                    if (failure == null) {
                        failure = e.getCause() instanceof ReplicationException replication
                                ? replication
                                : new ReplicationException(INTERNAL, "verify failed: " + e.getCause(), e.getCause());
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.set(true);
            throw new ReplicationException(INTERNAL, "verify was interrupted", e);
        }
        finally {
            executor.shutdownNow();
        }
        VerificationReport report = VerificationReport.of(results, Duration.ofNanos(System.nanoTime() - started));
        log.info("Verify of {} against {}: {}", source, own, report.summary());
        return report;
    }

    /**
     * Compares only what {@code changed} names: the touched rows by first-key value (in batches, each batch narrowed
     * to single values when it differs), the earlier differences' key ranges, and whole tables. Sound only together
     * with the earlier verify that {@code changed} was collected against (see {@link ChangedRows}).
     */
    public VerificationReport verifyChanged(ChangedRows changed)
    {
        Connection sourceConnection = JdbcConnections.source(source);
        try {
            Connection ownConnection = JdbcConnections.own(own);
            try {
                return verifyChanged(changed, sourceConnection, ownConnection);
            }
            finally {
                closeQuietly(ownConnection);
            }
        }
        finally {
            closeQuietly(sourceConnection);
        }
    }

    private static void closeQuietly(Connection connection)
    {
        try {
            connection.close();
        }
        catch (SQLException e) {
            log.warn("Could not close a verify connection: {}", e.getMessage());
        }
    }

    /**
     * Like {@link #verifyChanged(ChangedRows)}, on connections the caller opened (and closes): a cutover opens them
     * before it holds writes, so that the verify under the hold does not wait for new connections.
     */
    public VerificationReport verifyChanged(ChangedRows changed, Connection sourceConnection, Connection ownConnection)
    {
        long started = System.nanoTime();
        Map<String, TableVerification> results = new HashMap<>();
        SortedSet<String> wholeTables = new TreeSet<>(changed.wholeTables());
        changed.ranges().stream().filter(difference -> difference.range().columns().isEmpty()).forEach(difference -> wholeTables.add(difference.table()));
        Map<String, String> collations = wholeTables.isEmpty() ? Map.of() : sourceCollations();
        AtomicBoolean failed = new AtomicBoolean();
        ExecutorService sourceSide = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-verify-source");
            thread.setDaemon(true);
            return thread;
        });
        try {
            ChunkReader sourceReader = reader(sourceConnection, Side.SOURCE);
            ChunkReader ownReader = reader(ownConnection, Side.OWN);
            for (String name : wholeTables) {
                TableMapping table = mapping.table(name);
                results.put(name, narrowed(table, verifyTable(table, chunkKey(table, collations), sourceReader, ownReader, failed), sourceReader, ownReader));
            }
            for (Map.Entry<String, SortedSet<Long>> entry : changed.keys().entrySet()) {
                if (!wholeTables.contains(entry.getKey())) {
                    merge(results, verifyKeys(mapping.table(entry.getKey()), List.copyOf(entry.getValue()), sourceReader, ownReader, sourceSide));
                }
            }
            for (Difference difference : changed.ranges()) {
                if (!wholeTables.contains(difference.table()) && !comparedByKey(difference, changed.keys().get(difference.table()))) {
                    TableMapping table = mapping.table(difference.table());
                    List<ColumnMapping> key = difference.range().columns().stream().map(table::column).toList();
                    Checksum sourceChecksum = read(table, key, difference.range(), sourceReader, Side.SOURCE);
                    Checksum ownChecksum = read(table, key, difference.range(), ownReader, Side.OWN);
                    List<Difference> differences = sourceChecksum.equals(ownChecksum)
                            ? List.of()
                            : List.of(new Difference(table.name(), difference.range(), sourceChecksum.rows(), ownChecksum.rows()));
                    merge(results, narrowed(table, new TableVerification(table.name(), difference.range().columns(), 1, sourceChecksum.rows(), ownChecksum.rows(),
                            sourceChecksum.hex(), ownChecksum.hex(), differences), sourceReader, ownReader));
                }
            }
        }
        finally {
            sourceSide.shutdownNow();
        }
        VerificationReport report = VerificationReport.of(List.copyOf(results.values()), Duration.ofNanos(System.nanoTime() - started));
        log.info("Verify of what changed ({}) of {} against {}: {}", changed.summary(), source, own, report.summary());
        return report;
    }

    /**
     * Whether a range is one value of the table's first key that the changed keys compare already: a row that
     * differed in the last verify and changed since is compared once, and reported once.
     */
    private static boolean comparedByKey(Difference difference, SortedSet<Long> keys)
    {
        KeyRange range = difference.range();
        return keys != null && range.columns().size() == 1 && range.after().size() == 1 && range.through().size() == 1
                && range.after().get(0) instanceof Number after && range.through().get(0) instanceof Number through
                && through.longValue() == after.longValue() + 1 && keys.contains(through.longValue());
    }

    /**
     * The result with each differing key range narrowed to the values of the table's first key column (an integer)
     * whose rows differ, read again: a verify ahead of the fence then leaves single values, not whole ranges, for the
     * next one to compare (a range the writers keep appending to would otherwise be read whole at the fence). A
     * range whose rows read equal now stays as it was. Tables without an integer first key are left as they are.
     */
    private TableVerification narrowed(TableMapping table, TableVerification result, ChunkReader sourceReader, ChunkReader ownReader)
    {
        if (result.differences().isEmpty() || table.rowKey().isEmpty() || table.column(table.rowKey().get(0)).conversion() != Conversion.INTEGER) {
            return result;
        }
        ColumnMapping first = table.column(table.rowKey().get(0));
        List<Difference> differences = new ArrayList<>();
        for (Difference difference : result.differences()) {
            List<ColumnMapping> key = difference.range().columns().stream().map(table::column).toList();
            Map<Long, Checksum> sourceRows = readByValue(table, key, difference.range(), first, sourceReader, Side.SOURCE);
            Map<Long, Checksum> ownRows = readByValue(table, key, difference.range(), first, ownReader, Side.OWN);
            SortedSet<Long> values = new TreeSet<>(sourceRows.keySet());
            values.addAll(ownRows.keySet());
            List<Difference> narrowed = new ArrayList<>();
            for (Long value : values) {
                Checksum sourceChecksum = sourceRows.getOrDefault(value, Checksum.EMPTY);
                Checksum ownChecksum = ownRows.getOrDefault(value, Checksum.EMPTY);
                if (!sourceChecksum.equals(ownChecksum)) {
                    narrowed.add(new Difference(table.name(), new KeyRange(List.of(first.name()), List.of(value - 1), List.of(value)), sourceChecksum.rows(), ownChecksum.rows()));
                }
            }
            differences.addAll(narrowed.isEmpty() ? List.of(difference) : narrowed);
        }
        return new TableVerification(result.table(), result.chunkKey(), result.chunks(), result.sourceRows(), result.ownRows(), result.sourceChecksum(),
                result.ownChecksum(), differences);
    }

    private Map<Long, Checksum> readByValue(TableMapping table, List<ColumnMapping> key, KeyRange range, ColumnMapping first, ChunkReader reader, Side side)
    {
        try {
            return reader.readByValue(table, key, range, first);
        }
        catch (SQLException e) {
            throw failure(side, "cannot read table %s, %s, in the %s database".formatted(table.name(), range, side.description()), e);
        }
    }

    private static void merge(Map<String, TableVerification> results, TableVerification next)
    {
        results.merge(next.table(), next, (first, second) -> {
            List<Difference> differences = new ArrayList<>(first.differences());
            differences.addAll(second.differences());
            boolean same = first.checksumsMatch() && second.checksumsMatch();
            // The checksums of separate reads do not add up to one of the table; say only whether all matched.
            return new TableVerification(first.table(), first.chunkKey(), first.chunks() + second.chunks(), first.sourceRows() + second.sourceRows(),
                    first.ownRows() + second.ownRows(), same ? "" : first.sourceChecksum() + "+" + second.sourceChecksum(),
                    same ? "" : first.ownChecksum() + "+" + second.ownChecksum(), differences);
        });
    }

    private TableVerification verifyKeys(TableMapping table, List<Long> values, ChunkReader sourceReader, ChunkReader ownReader, ExecutorService sourceSide)
    {
        ColumnMapping column = table.column(table.rowKey().get(0));
        List<String> keyNames = List.of(column.name());
        Checksum sourceTotal = Checksum.EMPTY;
        Checksum ownTotal = Checksum.EMPTY;
        List<Difference> differences = new ArrayList<>();
        int batches = 0;
        for (int from = 0; from < values.size(); from += KEY_BATCH) {
            List<Long> batch = values.subList(from, Math.min(values.size(), from + KEY_BATCH));
            // Both sides at once: under the write hold, this read is the pause.
            Future<Checksum> sourceRead = sourceSide.submit(() -> readKeys(table, column, batch, sourceReader, Side.SOURCE));
            Checksum ownBatch = readKeys(table, column, batch, ownReader, Side.OWN);
            Checksum sourceBatch = result(sourceRead);
            batches++;
            sourceTotal = sourceTotal.plus(sourceBatch);
            ownTotal = ownTotal.plus(ownBatch);
            if (!sourceBatch.equals(ownBatch)) {
                for (Long value : batch) {
                    Checksum sourceRow = readKeys(table, column, List.of(value), sourceReader, Side.SOURCE);
                    Checksum ownRow = readKeys(table, column, List.of(value), ownReader, Side.OWN);
                    if (!sourceRow.equals(ownRow)) {
                        differences.add(new Difference(table.name(), new KeyRange(keyNames, List.of(value - 1), List.of(value)), sourceRow.rows(), ownRow.rows()));
                    }
                }
            }
        }
        return new TableVerification(table.name(), keyNames, batches, sourceTotal.rows(), ownTotal.rows(), sourceTotal.hex(), ownTotal.hex(), differences);
    }

    private static Checksum result(Future<Checksum> read)
    {
        try {
            return read.get();
        }
        catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new ReplicationException(INTERNAL, "verify failed: " + e.getCause(), e.getCause());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplicationException(INTERNAL, "verify was interrupted", e);
        }
    }

    private Checksum readKeys(TableMapping table, ColumnMapping column, List<Long> values, ChunkReader reader, Side side)
    {
        try {
            return reader.readKeys(table, column, values);
        }
        catch (SQLException e) {
            throw failure(side, "cannot read %s rows of table %s by %s in the %s database".formatted(values.size(), table.name(), column.name(), side.description()), e);
        }
    }

    private List<TableVerification> work(Queue<TableMapping> pending, Map<String, String> collations, AtomicBoolean failed)
    {
        List<TableVerification> results = new ArrayList<>();
        try (Connection sourceConnection = JdbcConnections.source(source);
                Connection ownConnection = JdbcConnections.own(own)) {
            ChunkReader sourceReader = reader(sourceConnection, Side.SOURCE);
            ChunkReader ownReader = reader(ownConnection, Side.OWN);
            for (TableMapping table = pending.poll(); table != null && !failed.get(); table = pending.poll()) {
                results.add(verifyTable(table, chunkKey(table, collations), sourceReader, ownReader, failed));
            }
        }
        catch (RuntimeException e) {
            // Stops the other workers at their next chunk.
            failed.set(true);
            throw e;
        }
        catch (SQLException e) {
            // Closing a connection failed; every table it read has been compared.
            log.warn("Could not close a verify connection: {}", e.getMessage());
        }
        return results;
    }

    private ChunkReader reader(Connection connection, Side side)
    {
        try {
            return new ChunkReader(connection, side, options.fetchSize());
        }
        catch (SQLException e) {
            throw failure(side, "cannot prepare a connection to the %s database for reading".formatted(side.description()), e);
        }
    }

    private TableVerification verifyTable(TableMapping table, List<ColumnMapping> key, ChunkReader sourceReader, ChunkReader ownReader, AtomicBoolean failed)
    {
        long started = System.nanoTime();
        List<String> keyNames = key.stream().map(ColumnMapping::name).toList();
        Checksum sourceTotal = Checksum.EMPTY;
        Checksum ownTotal = Checksum.EMPTY;
        List<Difference> differences = new ArrayList<>();
        int chunks = 0;
        List<Object> after = List.of();
        while (!failed.get()) {
            long chunkStarted = System.nanoTime();
            List<Object> through = key.isEmpty() ? List.of() : chunkEnd(table, key, after, sourceReader);
            KeyRange range = key.isEmpty() ? KeyRange.wholeTable() : new KeyRange(keyNames, after, through);
            Checksum sourceChunk = read(table, key, range, sourceReader, Side.SOURCE);
            Checksum ownChunk = read(table, key, range, ownReader, Side.OWN);
            chunks++;
            sourceTotal = sourceTotal.plus(sourceChunk);
            ownTotal = ownTotal.plus(ownChunk);
            if (!sourceChunk.equals(ownChunk)) {
                Difference difference = new Difference(table.name(), range, sourceChunk.rows(), ownChunk.rows());
                int last = differences.size() - 1;
                if (last >= 0 && !difference.range().after().isEmpty() && differences.get(last).range().through().equals(difference.range().after())) {
                    differences.set(last, differences.get(last).extendedTo(difference));
                }
                else {
                    differences.add(difference);
                }
            }
            if (through.isEmpty()) {
                break;
            }
            after = through;
            pace(System.nanoTime() - chunkStarted);
        }
        TableVerification verification = new TableVerification(table.name(), keyNames, chunks, sourceTotal.rows(), ownTotal.rows(),
                sourceTotal.hex(), ownTotal.hex(), differences);
        log.debug("Verified {}: {} source rows, {} own rows in {} chunks, {} differences, {} ms", table.name(), sourceTotal.rows(), ownTotal.rows(),
                chunks, differences.size(), (System.nanoTime() - started) / 1_000_000);
        return verification;
    }

    private void pace(long chunkNanos)
    {
        try {
            pacer.afterChunk(chunkNanos);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplicationException(INTERNAL, "verify was interrupted", e);
        }
    }

    private List<Object> chunkEnd(TableMapping table, List<ColumnMapping> key, List<Object> after, ChunkReader sourceReader)
    {
        try {
            return sourceReader.chunkEnd(table, key, after, options.chunkSize());
        }
        catch (SQLException e) {
            throw failure(Side.SOURCE, "cannot read the keys of table %s in the source database".formatted(table.name()), e);
        }
    }

    private Checksum read(TableMapping table, List<ColumnMapping> key, KeyRange range, ChunkReader reader, Side side)
    {
        try {
            return reader.read(table, key, range);
        }
        catch (SQLException e) {
            throw failure(side, "cannot read table %s, %s, in the %s database".formatted(table.name(), range, side.description()), e);
        }
    }

    private ReplicationException failure(Side side, String what, SQLException e)
    {
        return switch (side) {
            case SOURCE -> new ReplicationException(sourceReason(e), "%s %s:%s/%s: %s".formatted(what, source.host(), source.port(), source.database(), e.getMessage()), e);
            case OWN -> new ReplicationException(OWN_DATABASE_UNAVAILABLE, "%s %s: %s".formatted(what, own.jdbcUrl(), e.getMessage()), e);
        };
    }

    /** What a failed read on the source means for the user: MySQL's SQL states and error numbers. */
    private static ReplicationException.Reason sourceReason(SQLException e)
    {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("42S02") || e.getErrorCode() == 1146) {
            return SOURCE_SCHEMA_INCOMPLETE;
        }
        if (e.getErrorCode() == 1142 || e.getErrorCode() == 1143) {
            return SOURCE_PRIVILEGES_MISSING;
        }
        return SOURCE_UNREACHABLE;
    }

    /**
     * The longest prefix of the table's row key whose columns sort the same way on both sides: integers, and names
     * the source compares byte by byte (a binary collation, as Hive's MySQL script declares most of them). A
     * case-insensitive name ends the prefix, since PostgreSQL cannot reproduce that order with an index.
     */
    static List<ColumnMapping> chunkKey(TableMapping table, Map<String, String> sourceCollations)
    {
        List<ColumnMapping> key = new ArrayList<>();
        for (String name : table.rowKey()) {
            ColumnMapping column = table.column(name);
            boolean comparable = switch (column.conversion()) {
                case INTEGER -> true;
                case STRING -> isBinary(sourceCollations.get(collationKey(table.name(), column.name())));
                case BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER, BYTES, FLOAT, TIMESTAMP -> false;
            };
            if (!comparable) {
                break;
            }
            key.add(column);
        }
        return key;
    }

    private static boolean isBinary(String collation)
    {
        return collation != null && (collation.equals("binary") || collation.endsWith("_bin"));
    }

    private static String collationKey(String table, String column)
    {
        return (table + "." + column).toUpperCase(Locale.ROOT);
    }

    private Map<String, String> sourceCollations()
    {
        Map<String, String> known = collations.get();
        if (known == null) {
            known = readSourceCollations();
            collations.set(known);
        }
        return known;
    }

    private Map<String, String> readSourceCollations()
    {
        Map<String, String> collations = new HashMap<>();
        try (Connection connection = JdbcConnections.source(source);
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL")) {
            statement.setString(1, source.database());
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    collations.put(collationKey(result.getString(1), result.getString(2)), result.getString(3));
                }
            }
        }
        catch (SQLException e) {
            throw failure(Side.SOURCE, "cannot read the column collations of the source database", e);
        }
        return Map.copyOf(collations);
    }
}
