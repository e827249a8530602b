package dev.ferry.replication.finalize;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.ferry.replication.BackgroundTask;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.WriteFence;
import dev.ferry.replication.schema.SchemaMapping;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.replication.ReplicationException.Reason.INTERNAL;
import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_INCOMPLETE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;
import static java.util.Objects.requireNonNull;

/**
 * Makes every id generator of the own database hand out ids above every id the source handed out, so that no
 * object, transaction, lock or event created after the switch collides with a copied one (invariant 5).
 *
 * <p>Each generator is raised to the greatest of: its own value, the source's value, and one more than the
 * highest id already in the columns it serves (a guard against a source whose generators lag its data, and for
 * identity sequences, which copying rows never advances). Generators are only ever raised, so finalize is
 * idempotent: a second run changes nothing. The generators:
 * <ul>
 *   <li>DataNucleus {@code SEQUENCE_TABLE}, one row per model class ({@link DataNucleusSequences});
 *   <li>{@code NOTIFICATION_SEQUENCE.NEXT_EVENT_ID}, {@code NEXT_LOCK_ID.NL_NEXT},
 *       {@code NEXT_COMPACTION_QUEUE_ID.NCQ_NEXT}, and {@code NEXT_WRITE_ID.NWI_NEXT} per table;
 *   <li>the identity sequences of {@code TXNS.TXN_ID} and {@code MASTER_KEYS.KEY_ID}, at least the source's
 *       AUTO_INCREMENT.
 * </ul>
 *
 * <p>Run it at the fence, after apply has drained and before any engine writes to the own database: the source is
 * read with plain reads and the own database is changed in one transaction. The identity sequences are raised
 * last, with {@code setval}, which PostgreSQL never rolls back; a failure after it leaves them raised, which is
 * as safe as raising them.
 */
public final class IdGeneratorFinalizer
{
    private static final Logger log = LoggerFactory.getLogger(IdGeneratorFinalizer.class);

    /** Every column that holds a transaction id; a new transaction id must be above all of them. */
    private static final List<IdColumn> TRANSACTION_ID_COLUMNS = List.of(
            new IdColumn("TXNS", "TXN_ID"),
            new IdColumn("TXN_COMPONENTS", "TC_TXNID"),
            new IdColumn("COMPLETED_TXN_COMPONENTS", "CTC_TXNID"),
            new IdColumn("TXN_TO_WRITE_ID", "T2W_TXNID"),
            new IdColumn("WRITE_SET", "WS_TXNID"),
            new IdColumn("WRITE_SET", "WS_COMMIT_ID"),
            new IdColumn("MIN_HISTORY_LEVEL", "MHL_TXNID"),
            new IdColumn("HIVE_LOCKS", "HL_TXNID"),
            new IdColumn("REPL_TXN_MAP", "RTM_TARGET_TXN_ID"));

    private static final List<IdColumn> EVENT_ID_COLUMNS = List.of(new IdColumn("NOTIFICATION_LOG", "EVENT_ID"));
    private static final List<IdColumn> LOCK_ID_COLUMNS = List.of(new IdColumn("HIVE_LOCKS", "HL_LOCK_EXT_ID"));
    private static final List<IdColumn> COMPACTION_ID_COLUMNS = List.of(new IdColumn("COMPACTION_QUEUE", "CQ_ID"), new IdColumn("COMPLETED_COMPACTIONS", "CC_ID"));
    private static final List<IdColumn> MASTER_KEY_ID_COLUMNS = List.of(new IdColumn("MASTER_KEYS", "KEY_ID"));

    private final SourceDatabase source;
    private final OwnDatabaseTarget own;
    private final OwnNames names;
    private final WriteFence fence;
    /** Every column whose highest value finalize needs, read in one statement. */
    private final List<IdColumn> allIdColumns;

    /** A finalizer for a Hive 4.0.0 schema, whose PostgreSQL names are all quoted upper case. */
    public IdGeneratorFinalizer(SourceDatabase source, OwnDatabaseTarget own)
    {
        this(source, own, new OwnNames(Optional.empty()), WriteFence.NONE);
    }

    /**
     * A finalizer for the schema version of the mapping: only the generators and id columns of tables that version
     * has (Hive 3.1 has no TXN_WRITE_NOTIFICATION_LOG, but IDXS and NEXT_TXN_ID), under the names its PostgreSQL
     * script gives them (Hive 3.1's transaction tables are lower case).
     */
    public IdGeneratorFinalizer(SourceDatabase source, OwnDatabaseTarget own, SchemaMapping mapping)
    {
        this(source, own, mapping, WriteFence.NONE);
    }

    /** As above, committing only while {@code fence} holds (otherwise finalize rolls back and throws {@code FENCED}). */
    public IdGeneratorFinalizer(SourceDatabase source, OwnDatabaseTarget own, SchemaMapping mapping, WriteFence fence)
    {
        this(source, own, new OwnNames(Optional.of(mapping)), fence);
    }

    private IdGeneratorFinalizer(SourceDatabase source, OwnDatabaseTarget own, OwnNames names, WriteFence fence)
    {
        this.source = requireNonNull(source, "source is null");
        this.own = requireNonNull(own, "own is null");
        this.names = names;
        this.fence = requireNonNull(fence, "fence is null");
        this.allIdColumns = idColumnsToRead(names);
    }

    private static List<IdColumn> idColumnsToRead(OwnNames names)
    {
        return java.util.stream.Stream.of(List.copyOf(names.idColumns().values()), EVENT_ID_COLUMNS,
                LOCK_ID_COLUMNS, COMPACTION_ID_COLUMNS, TRANSACTION_ID_COLUMNS, MASTER_KEY_ID_COLUMNS).flatMap(List::stream)
                .filter(column -> names.has(column.table())).distinct().toList();
    }

    /** The own database's names of tables and columns, from the schema mapping of its version. */
    private record OwnNames(Optional<SchemaMapping> mapping)
    {
        boolean has(String table)
        {
            return mapping.map(schema -> schema.tables().containsKey(table)).orElse(!table.equals("NEXT_TXN_ID") && !table.equals("IDXS"));
        }

        String table(String table)
        {
            return mapping.map(schema -> schema.table(table).targetIdentifier()).orElse("\"" + table + "\"");
        }

        String column(String table, String column)
        {
            return mapping.map(schema -> schema.table(table).column(column).targetIdentifier()).orElse("\"" + column + "\"");
        }

        /** The column's name as PostgreSQL stores it, for catalog functions. */
        String storedColumn(String table, String column)
        {
            return mapping.map(schema -> schema.table(table).column(column).target().storedName()).orElse(column);
        }

        boolean hasIdentity(String table)
        {
            return has(table) && mapping.map(schema -> schema.table(table).identityColumn().isPresent()).orElse(true);
        }

        Map<String, IdColumn> idColumns()
        {
            return mapping.map(schema -> DataNucleusSequences.idColumns(schema.tables().keySet()))
                    .orElseGet(() -> DataNucleusSequences.idColumns(DataNucleusSequences.ID_COLUMNS.values().stream()
                            .map(IdColumn::table).filter(table -> !table.equals("IDXS")).collect(java.util.stream.Collectors.toSet())));
        }
    }

    /** Work done in finalize's transaction on the own database after the generators are raised, before it commits. */
    @FunctionalInterface
    public interface BeforeCommit
    {
        BeforeCommit NOTHING = connection -> {};

        /** Runs in the transaction; a throw rolls back the generators too. */
        void run(Connection connection)
                throws SQLException;
    }

    /** Raises the own database's id generators; returns what it changed. */
    public FinalizeReport finalizeGenerators()
    {
        return finalizeGenerators(BeforeCommit.NOTHING);
    }

    /**
     * Raises the own database's id generators and runs {@code beforeCommit} in the same transaction: both commit, or
     * neither (a cutover records its switch there, so raised generators never outlive an aborted cutover and make
     * the next verify find the own database different). The identity sequences of TXNS and MASTER_KEYS are the
     * exception: PostgreSQL's setval is not rolled back, and they are not rows a verify compares.
     */
    public FinalizeReport finalizeGenerators(BeforeCommit beforeCommit)
    {
        return finalizeGenerators(JdbcConnections.own(own), beforeCommit);
    }

    /**
     * Like {@link #finalizeGenerators(BeforeCommit)}, in a connection to the own database the caller opened (a
     * cutover opens it before it holds writes, and {@link #warmUp warms} it); finalize closes it.
     */
    public FinalizeReport finalizeGenerators(Connection ownConnection, BeforeCommit beforeCommit)
    {
        long started = System.nanoTime();
        // The source's generators are read while the own database's transaction begins and reads its ids.
        BackgroundTask<SourceGenerators> sourceRead = BackgroundTask.start("ferry-finalize-source", this::readSource);
        try (Connection connection = ownConnection) {
            connection.setAutoCommit(false);
            try {
                OwnDatabase database = new OwnDatabase(connection, names);
                database.readHighestIds(allIdColumns);
                long ownRead = System.nanoTime();
                SourceGenerators sourceGenerators = sourceRead.join();
                long sourceWait = System.nanoTime();
                List<IdGeneratorChange> changes = new ArrayList<>();
                changes.addAll(sequenceTable(database, names.idColumns(), sourceGenerators.sequences()));
                database.counter("NOTIFICATION_SEQUENCE", "NEXT_EVENT_ID", "INSERT INTO %s (%s, %s) VALUES (1, ?)".formatted(names.table("NOTIFICATION_SEQUENCE"),
                        names.column("NOTIFICATION_SEQUENCE", "NNI_ID"), names.column("NOTIFICATION_SEQUENCE", "NEXT_EVENT_ID")),
                        sourceGenerators.nextEventId(), database.above(EVENT_ID_COLUMNS)).ifPresent(changes::add);
                database.counter("NEXT_LOCK_ID", "NL_NEXT", "INSERT INTO %s (%s) VALUES (?)".formatted(names.table("NEXT_LOCK_ID"), names.column("NEXT_LOCK_ID", "NL_NEXT")),
                        sourceGenerators.nextLockId(), database.above(LOCK_ID_COLUMNS)).ifPresent(changes::add);
                database.counter("NEXT_COMPACTION_QUEUE_ID", "NCQ_NEXT", "INSERT INTO %s (%s) VALUES (?)".formatted(names.table("NEXT_COMPACTION_QUEUE_ID"),
                        names.column("NEXT_COMPACTION_QUEUE_ID", "NCQ_NEXT")), sourceGenerators.nextCompactionId(), database.above(COMPACTION_ID_COLUMNS))
                        .ifPresent(changes::add);
                changes.addAll(writeIds(database, sourceGenerators.nextWriteIds()));
                if (names.hasIdentity("TXNS")) {
                    database.identity("TXNS", "TXN_ID", sourceGenerators.transactionsAutoIncrement(), database.above(TRANSACTION_ID_COLUMNS)).ifPresent(changes::add);
                }
                if (names.has("NEXT_TXN_ID")) {
                    // Hive 3.1 hands out transaction ids from a counter table, not from an identity column of TXNS.
                    database.counter("NEXT_TXN_ID", "NTXN_NEXT", "INSERT INTO %s (%s) VALUES (?)".formatted(names.table("NEXT_TXN_ID"), names.column("NEXT_TXN_ID", "NTXN_NEXT")),
                            sourceGenerators.nextTransactionId(), database.above(TRANSACTION_ID_COLUMNS)).ifPresent(changes::add);
                }
                database.identity("MASTER_KEYS", "KEY_ID", sourceGenerators.masterKeysAutoIncrement(), database.above(MASTER_KEY_ID_COLUMNS))
                        .ifPresent(changes::add);
                long raised = System.nanoTime();
                beforeCommit.run(connection);
                fence.check(connection);
                connection.commit();
                FinalizeReport report = new FinalizeReport(changes);
                log.info("Finalize of {} from {}: {} (own ids read {} ms, then waited {} ms for the source's generators; raised in {} ms)", own, source, report.summary(),
                        (ownRead - started) / 1_000_000, (sourceWait - ownRead) / 1_000_000, (raised - sourceWait) / 1_000_000);
                return report;
            }
            catch (SQLException | RuntimeException e) {
                rollback(connection);
                throw e;
            }
        }
        catch (SQLException e) {
            throw new ReplicationException(OWN_DATABASE_UNAVAILABLE, "cannot raise the id generators of the own database %s: %s".formatted(own.jdbcUrl(), e.getMessage()), e);
        }
    }

    /**
     * Reads once, in {@code connection}, what finalize reads, and ends the transaction: a new PostgreSQL session
     * loads the catalog entries of about 50 tables on its first read of them, which a cutover does before it holds
     * writes rather than under the hold.
     */
    public void warm(Connection connection)
            throws SQLException
    {
        new OwnDatabase(connection, names).readHighestIds(allIdColumns);
        if (!connection.getAutoCommit()) {
            connection.rollback();
        }
    }

    private static List<IdGeneratorChange> sequenceTable(OwnDatabase database, Map<String, IdColumn> idColumns, Map<String, Long> sourceSequences)
            throws SQLException
    {
        Map<String, Long> ownSequences = database.sequences();
        Set<String> names = new TreeSet<>(ownSequences.keySet());
        names.addAll(sourceSequences.keySet());
        Map<String, Long> floors = new TreeMap<>();
        for (Map.Entry<String, IdColumn> entry : idColumns.entrySet()) {
            long floor = database.above(List.of(entry.getValue()));
            if (floor > 1) {
                // Ids in a table whose class has no sequence row yet: DataNucleus would start again at 1.
                String name = DataNucleusSequences.MODEL_PACKAGE + entry.getKey();
                floors.put(name, floor);
                names.add(name);
            }
        }
        List<IdGeneratorChange> changes = new ArrayList<>();
        for (String name : names) {
            Long current = ownSequences.get(name);
            long wanted = max(current == null ? 1 : current, sourceSequences.getOrDefault(name, 1L), floors.getOrDefault(name, 1L));
            if (current == null) {
                database.update("INSERT INTO \"SEQUENCE_TABLE\" (\"SEQUENCE_NAME\", \"NEXT_VAL\") VALUES (?, ?)", name, wanted);
                changes.add(new IdGeneratorChange("SEQUENCE_TABLE[%s]".formatted(name), OptionalLong.empty(), wanted));
            }
            else if (current < wanted) {
                database.update("UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = ? WHERE \"SEQUENCE_NAME\" = ?", wanted, name);
                changes.add(new IdGeneratorChange("SEQUENCE_TABLE[%s]".formatted(name), OptionalLong.of(current), wanted));
            }
        }
        return changes;
    }

    private static List<IdGeneratorChange> writeIds(OwnDatabase database, Map<WriteIdTable, Long> sourceNextWriteIds)
            throws SQLException
    {
        if (!database.names.has("NEXT_WRITE_ID")) {
            return List.of();
        }
        Map<WriteIdTable, Long> ownNextWriteIds = database.nextWriteIds();
        Map<WriteIdTable, Long> floors = database.writeIdFloors();
        Set<WriteIdTable> tables = new TreeSet<>(ownNextWriteIds.keySet());
        tables.addAll(sourceNextWriteIds.keySet());
        tables.addAll(floors.keySet());
        List<IdGeneratorChange> changes = new ArrayList<>();
        for (WriteIdTable table : tables) {
            Long current = ownNextWriteIds.get(table);
            long wanted = max(current == null ? 1 : current, sourceNextWriteIds.getOrDefault(table, 1L), floors.getOrDefault(table, 1L));
            String generator = "NEXT_WRITE_ID[%s.%s]".formatted(table.database(), table.table());
            if (current == null) {
                database.update("INSERT INTO %s (%s, %s, %s) VALUES (?, ?, ?)".formatted(database.names.table("NEXT_WRITE_ID"), database.names.column("NEXT_WRITE_ID", "NWI_DATABASE"),
                        database.names.column("NEXT_WRITE_ID", "NWI_TABLE"), database.names.column("NEXT_WRITE_ID", "NWI_NEXT")), table.database(), table.table(), wanted);
                changes.add(new IdGeneratorChange(generator, OptionalLong.empty(), wanted));
            }
            else if (current < wanted) {
                database.update("UPDATE %1$s SET %4$s = ? WHERE %2$s = ? AND %3$s = ?".formatted(database.names.table("NEXT_WRITE_ID"), database.names.column("NEXT_WRITE_ID", "NWI_DATABASE"),
                        database.names.column("NEXT_WRITE_ID", "NWI_TABLE"), database.names.column("NEXT_WRITE_ID", "NWI_NEXT")), wanted, table.database(), table.table());
                changes.add(new IdGeneratorChange(generator, OptionalLong.of(current), wanted));
            }
        }
        return changes;
    }

    private static long max(long first, long... others)
    {
        long max = first;
        for (long other : others) {
            max = Math.max(max, other);
        }
        return max;
    }

    private static void rollback(Connection connection)
    {
        try {
            connection.rollback();
        }
        catch (SQLException e) {
            log.warn("Could not roll back finalize on the own database: {}", e.getMessage());
        }
    }

    /** A table's write id counter is per database and table name. */
    record WriteIdTable(String database, String table)
            implements Comparable<WriteIdTable>
    {
        WriteIdTable
        {
            requireNonNull(database, "database is null");
            requireNonNull(table, "table is null");
        }

        @Override
        public int compareTo(WriteIdTable other)
        {
            int byDatabase = database.compareTo(other.database);
            return byDatabase != 0 ? byDatabase : table.compareTo(other.table);
        }
    }

    /** The source's generators; 1 (the first id any generator hands out) where the source has none. */
    private record SourceGenerators(
            Map<String, Long> sequences,
            long nextEventId,
            long nextLockId,
            long nextCompactionId,
            Map<WriteIdTable, Long> nextWriteIds,
            long transactionsAutoIncrement,
            long masterKeysAutoIncrement,
            long nextTransactionId) {}

    private SourceGenerators readSource()
    {
        try (Connection connection = JdbcConnections.source(source); Statement statement = connection.createStatement()) {
            // MySQL 8 caches information_schema.TABLES.AUTO_INCREMENT for a day unless told not to; MariaDB and
            // MySQL 5.7 have no such cache, nor the variable.
            boolean cachesStatistics;
            try (ResultSet result = statement.executeQuery("SHOW VARIABLES LIKE 'information_schema_stats_expiry'")) {
                cachesStatistics = result.next();
            }
            if (cachesStatistics) {
                statement.execute("SET SESSION information_schema_stats_expiry = 0");
            }
            Map<String, Long> sequences = new TreeMap<>();
            try (ResultSet result = statement.executeQuery("SELECT SEQUENCE_NAME, NEXT_VAL FROM SEQUENCE_TABLE")) {
                while (result.next()) {
                    sequences.put(result.getString(1), result.getLong(2));
                }
            }
            Map<WriteIdTable, Long> writeIds = new TreeMap<>();
            if (names.has("NEXT_WRITE_ID")) {
                // Write ids came with Hive 3: schema 2.3.0 has no NEXT_WRITE_ID.
                try (ResultSet result = statement.executeQuery("SELECT NWI_DATABASE, NWI_TABLE, NWI_NEXT FROM NEXT_WRITE_ID")) {
                    while (result.next()) {
                        writeIds.merge(new WriteIdTable(result.getString(1), result.getString(2)), result.getLong(3), Math::max);
                    }
                }
            }
            return new SourceGenerators(sequences,
                    sourceLong(statement, "SELECT max(NEXT_EVENT_ID) FROM NOTIFICATION_SEQUENCE"),
                    sourceLong(statement, "SELECT max(NL_NEXT) FROM NEXT_LOCK_ID"),
                    sourceLong(statement, "SELECT max(NCQ_NEXT) FROM NEXT_COMPACTION_QUEUE_ID"),
                    writeIds,
                    autoIncrement(connection, "TXNS"),
                    autoIncrement(connection, "MASTER_KEYS"),
                    names.has("NEXT_TXN_ID") ? sourceLong(statement, "SELECT max(NTXN_NEXT) FROM NEXT_TXN_ID") : 1);
        }
        catch (SQLException e) {
            ReplicationException.Reason reason = "42S02".equals(e.getSQLState()) || e.getErrorCode() == 1146 ? SOURCE_SCHEMA_INCOMPLETE : SOURCE_UNREACHABLE;
            throw new ReplicationException(reason, "cannot read the id generators of the source database %s:%s/%s: %s"
                    .formatted(source.host(), source.port(), source.database(), e.getMessage()), e);
        }
    }

    private static long sourceLong(Statement statement, String query)
            throws SQLException
    {
        try (ResultSet result = statement.executeQuery(query)) {
            return result.next() && result.getObject(1) != null ? Math.max(1, result.getLong(1)) : 1;
        }
    }

    private long autoIncrement(Connection connection, String table)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
            statement.setString(1, source.database());
            statement.setString(2, table);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() && result.getObject(1) != null ? Math.max(1, result.getLong(1)) : 1;
            }
        }
    }

    /** The own database inside finalize's transaction. */
    private static final class OwnDatabase
    {
        private final Connection connection;
        private final OwnNames names;

        OwnDatabase(Connection connection, OwnNames names)
        {
            this.connection = connection;
            this.names = names;
        }

        /** The highest value of each column read by {@link #readHighestIds}; a column absent has no rows. */
        private final Map<IdColumn, Long> highest = new java.util.HashMap<>();
        private final Set<IdColumn> read = new java.util.HashSet<>();

        /** Reads the highest value of every column in one statement (one round trip, not one per column). */
        void readHighestIds(List<IdColumn> columns)
                throws SQLException
        {
            String select = columns.stream().map(column -> "(SELECT max(%s) FROM %s)".formatted(names.column(column.table(), column.column()), names.table(column.table())))
                    .collect(java.util.stream.Collectors.joining(", ", "SELECT ", ""));
            // Prepared on the server from its first run: planning a statement over some 50 tables takes PostgreSQL
            // about 10 ms each time (more on a loaded machine); a cutover's warm run leaves the plan to the read
            // under the hold, which then only executes it (under 1 ms).
            try (PreparedStatement statement = connection.prepareStatement(select)) {
                if (statement.isWrapperFor(PGStatement.class)) {
                    statement.unwrap(PGStatement.class).setPrepareThreshold(1);
                }
                ResultSet result = statement.executeQuery();
                result.next();
                for (int i = 0; i < columns.size(); i++) {
                    long value = result.getLong(i + 1);
                    if (!result.wasNull()) {
                        highest.put(columns.get(i), value);
                    }
                }
            }
            read.addAll(columns);
        }

        /** One more than the highest value in the columns, or 1 when they are empty. */
        long above(List<IdColumn> idColumns)
                throws SQLException
        {
            // Only the columns of tables this schema version has (schema 2.3.0 has no TXN_TO_WRITE_ID, for one).
            List<IdColumn> columns = idColumns.stream().filter(column -> names.has(column.table())).toList();
            List<IdColumn> unread = columns.stream().filter(column -> !read.contains(column)).toList();
            if (!unread.isEmpty()) {
                readHighestIds(unread);
            }
            long above = 1;
            for (IdColumn column : columns) {
                Long value = highest.get(column);
                if (value != null) {
                    above = Math.max(above, value + 1);
                }
            }
            return above;
        }

        Map<String, Long> sequences()
                throws SQLException
        {
            Map<String, Long> sequences = new TreeMap<>();
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT \"SEQUENCE_NAME\", \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" FOR UPDATE")) {
                while (result.next()) {
                    sequences.put(result.getString(1), result.getLong(2));
                }
            }
            return sequences;
        }

        Map<WriteIdTable, Long> nextWriteIds()
                throws SQLException
        {
            Map<WriteIdTable, Long> writeIds = new TreeMap<>();
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT %s, %s, %s FROM %s FOR UPDATE".formatted(names.column("NEXT_WRITE_ID", "NWI_DATABASE"),
                            names.column("NEXT_WRITE_ID", "NWI_TABLE"), names.column("NEXT_WRITE_ID", "NWI_NEXT"), names.table("NEXT_WRITE_ID")))) {
                while (result.next()) {
                    writeIds.merge(new WriteIdTable(result.getString(1), result.getString(2)), result.getLong(3), Math::min);
                }
            }
            return writeIds;
        }

        /** Per table, one more than the highest write id handed out to a transaction. */
        Map<WriteIdTable, Long> writeIdFloors()
                throws SQLException
        {
            Map<WriteIdTable, Long> floors = new TreeMap<>();
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT %1$s, %2$s, max(%3$s) + 1 FROM %4$s GROUP BY %1$s, %2$s".formatted(names.column("TXN_TO_WRITE_ID", "T2W_DATABASE"),
                            names.column("TXN_TO_WRITE_ID", "T2W_TABLE"), names.column("TXN_TO_WRITE_ID", "T2W_WRITEID"), names.table("TXN_TO_WRITE_ID")))) {
                while (result.next()) {
                    floors.put(new WriteIdTable(result.getString(1), result.getString(2)), result.getLong(3));
                }
            }
            return floors;
        }

        /** Raises a counter table of one row, or writes its row when it has none. */
        Optional<IdGeneratorChange> counter(String table, String column, String insert, long sourceValue, long floor)
                throws SQLException
        {
            OptionalLong current = OptionalLong.empty();
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT %s FROM %s FOR UPDATE".formatted(names.column(table, column), names.table(table)))) {
                while (result.next()) {
                    long value = result.getLong(1);
                    // With more than one row (never written by Hive), the lowest is the one to fear.
                    current = OptionalLong.of(current.isPresent() ? Math.min(current.getAsLong(), value) : value);
                }
            }
            long wanted = max(current.orElse(1), sourceValue, floor);
            String generator = table + "." + column;
            if (current.isEmpty()) {
                update(insert, wanted);
                return Optional.of(new IdGeneratorChange(generator, current, wanted));
            }
            if (current.getAsLong() < wanted) {
                update("UPDATE %s SET %s = ? WHERE %s < ?".formatted(names.table(table), names.column(table, column), names.column(table, column)), wanted, wanted);
                return Optional.of(new IdGeneratorChange(generator, current, wanted));
            }
            return Optional.empty();
        }

        /** Raises the identity sequence of a column so that its next value is at least the wanted one. */
        Optional<IdGeneratorChange> identity(String table, String column, long sourceAutoIncrement, long floor)
                throws SQLException
        {
            String sequence;
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
                statement.setString(1, names.table(table));
                statement.setString(2, names.storedColumn(table, column));
                try (ResultSet result = statement.executeQuery()) {
                    sequence = result.next() ? result.getString(1) : null;
                }
            }
            if (sequence == null) {
                throw new ReplicationException(INTERNAL, "the own database has no identity sequence for %s.%s; is its metastore schema Hive's?".formatted(table, column));
            }
            long next;
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT last_value, is_called FROM " + sequence)) {
                result.next();
                next = result.getBoolean(2) ? result.getLong(1) + 1 : result.getLong(1);
            }
            long wanted = max(next, sourceAutoIncrement, floor);
            if (next >= wanted) {
                return Optional.empty();
            }
            try (PreparedStatement statement = connection.prepareStatement("SELECT setval(?::regclass, ?, false)")) {
                statement.setString(1, sequence);
                statement.setLong(2, wanted);
                statement.executeQuery().close();
            }
            return Optional.of(new IdGeneratorChange("sequence " + sequence, OptionalLong.of(next), wanted));
        }

        void update(String sql, Object... parameters)
                throws SQLException
        {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    statement.setObject(i + 1, parameters[i]);
                }
                statement.executeUpdate();
            }
        }
    }
}
