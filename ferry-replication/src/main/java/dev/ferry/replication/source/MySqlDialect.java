package dev.ferry.replication.source;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MySQL 5.7 and 8.0 (later 8.x and 9.x are accepted but not tested), read by Debezium's MySQL connector.
 *
 * <p>With {@code gtid_mode=ON}, transactions and positions are GTIDs ({@link MySqlGtidSet}); with it OFF, binlog
 * coordinates ({@link BinlogCoordinates}). The transitional modes (OFF_PERMISSIVE, ON_PERMISSIVE), in which the
 * binlog mixes the two, are refused.
 *
 * <p>MySQL, unlike MariaDB, does not tell which binlog position a consistent snapshot reflects. So the table being
 * copied is locked for the instant the snapshot starts: a second session of the reader takes {@code LOCK TABLES t
 * READ}, which waits for every transaction that wrote the table to commit and holds back new ones; the snapshot
 * starts; the binlog position is read (as the CDC user); the lock is released. Every transaction that wrote the table
 * is then either committed before the position, and in the snapshot, or after both. Writes to that one table wait
 * for a few milliseconds; other tables are not locked. Without the LOCK TABLES privilege on the metastore database,
 * a reader with RELOAD takes {@code FLUSH TABLES WITH READ LOCK} instead, which holds every write on the server for
 * that instant and first waits for running statements.
 */
public final class MySqlDialect
        extends SourceDialect
{
    private static final Logger log = LoggerFactory.getLogger(MySqlDialect.class);
    /** How long the lock of a snapshot waits for the transactions that wrote the table, per try. */
    private static final int LOCK_WAIT_SECONDS = 10;
    private static final int LOCK_TRIES = 6;
    // Server errors: a privilege on a database or table (1044, 1142) or a global one (1227) is missing; a lock
    // waited longer than lock_wait_timeout (1205).
    private static final int DATABASE_ACCESS_DENIED = 1044;
    private static final int TABLE_ACCESS_DENIED = 1142;
    private static final int SPECIFIC_ACCESS_DENIED = 1227;
    private static final int LOCK_WAIT_TIMEOUT = 1205;

    /** {@code @@gtid_mode}. */
    public enum GtidMode
    {
        OFF,
        OFF_PERMISSIVE,
        ON_PERMISSIVE,
        ON;

        static GtidMode of(String value)
        {
            return value == null ? OFF : valueOf(value.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** How a snapshot's lock is taken: the table alone, or the whole server. */
    public enum SnapshotLock
    {
        TABLE,
        GLOBAL,
    }

    private final GtidMode gtidMode;
    private final AtomicReference<SnapshotLock> snapshotLock = new AtomicReference<>();

    MySqlDialect(ServerVersion version, GtidMode gtidMode)
    {
        super(version);
        this.gtidMode = gtidMode;
    }

    public GtidMode gtidMode()
    {
        return gtidMode;
    }

    public boolean gtids()
    {
        return gtidMode == GtidMode.ON;
    }

    @Override
    public String describe()
    {
        return "MySQL %s %s".formatted(version().number(), gtids() ? "with GTIDs" : "without GTIDs (binlog file and position)");
    }

    @Override
    public Optional<Unsupported> unsupported()
    {
        if (!version().atLeast(5, 7, 0)) {
            return Optional.of(new Unsupported(Unsupported.Reason.VERSION,
                    "the source runs MySQL %s; Ferry migrates from MySQL 5.7 and later (tested: 5.7 and 8.0)".formatted(version().text())));
        }
        if (gtidMode == GtidMode.OFF_PERMISSIVE || gtidMode == GtidMode.ON_PERMISSIVE) {
            return Optional.of(new Unsupported(Unsupported.Reason.GTID_MODE,
                    ("the source's gtid_mode is %s, a step of changing GTID mode in which the binlog mixes transactions with and without GTIDs; "
                            + "finish the change (SET GLOBAL gtid_mode = 'ON' once every replica is ready) or go back to OFF, then start the migration again").formatted(gtidMode)));
        }
        return Optional.empty();
    }

    @Override
    public List<String> warnings()
    {
        boolean tested = (version().major() == 5 && version().minor() == 7) || (version().major() == 8 && version().minor() == 0);
        return tested ? List.of() : List.of("MySQL %s has not been tested with Ferry (tested: 5.7 and 8.0)".formatted(version().number()));
    }

    @Override
    public String connectorClass()
    {
        return "io.debezium.connector.mysql.MySqlConnector";
    }

    @Override
    public BinlogEnd binlogEnd(Connection cdc)
            throws SQLException
    {
        try (Statement statement = cdc.createStatement(); ResultSet status = statement.executeQuery(version().binlogStatusStatement())) {
            if (!status.next()) {
                throw new SQLException("the source has no binary log (%s is empty)".formatted(version().binlogStatusStatement()));
            }
            String file = status.getString("File");
            long offset = status.getLong("Position");
            SourcePosition position = gtids()
                    ? SourcePosition.parse(status.getString("Executed_Gtid_Set"))
                    : new BinlogCoordinates(file, offset);
            return new BinlogEnd(file, offset, position);
        }
    }

    @Override
    public SourcePosition currentPosition(Connection cdc)
            throws SQLException
    {
        return binlogEnd(cdc).position();
    }

    @Override
    public SourcePosition openSnapshot(Connection reader, String table, SnapshotSessions sessions)
            throws SQLException
    {
        Connection lock = sessions.lockSession();
        SnapshotLock method = snapshotLock(lock, table);
        lockForSnapshot(lock, table, method);
        try (Statement statement = reader.createStatement()) {
            statement.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            statement.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
            return binlogEnd(sessions.binlogSession()).position();
        }
        finally {
            try (Statement statement = lock.createStatement()) {
                statement.execute("UNLOCK TABLES");
            }
        }
    }

    /** The lock the reader may take, found once by trying the table lock first. */
    private SnapshotLock snapshotLock(Connection lock, String table)
            throws SQLException
    {
        SnapshotLock known = snapshotLock.get();
        if (known != null) {
            return known;
        }
        try (Statement statement = lock.createStatement()) {
            statement.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
            try {
                statement.execute("LOCK TABLES " + table + " READ");
                statement.execute("UNLOCK TABLES");
                snapshotLock.set(SnapshotLock.TABLE);
            }
            catch (SQLException e) {
                if (e.getErrorCode() != DATABASE_ACCESS_DENIED && e.getErrorCode() != TABLE_ACCESS_DENIED) {
                    throw e;
                }
                log.warn("The reader may not LOCK TABLES on the source ({}); snapshots take FLUSH TABLES WITH READ LOCK instead, which holds every write on the server for an instant",
                        e.getMessage());
                snapshotLock.set(SnapshotLock.GLOBAL);
            }
        }
        return snapshotLock.get();
    }

    private static void lockForSnapshot(Connection lock, String table, SnapshotLock method)
            throws SQLException
    {
        String sql = method == SnapshotLock.TABLE ? "LOCK TABLES " + table + " READ" : "FLUSH TABLES WITH READ LOCK";
        for (int attempt = 1; ; attempt++) {
            try (Statement statement = lock.createStatement()) {
                statement.execute(sql);
                return;
            }
            catch (SQLException e) {
                if (e.getErrorCode() == SPECIFIC_ACCESS_DENIED) {
                    throw new SQLException("the reader may neither LOCK TABLES on the metastore database nor FLUSH TABLES WITH READ LOCK (RELOAD), "
                            + "one of which a consistent snapshot of MySQL needs: " + e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
                }
                if (e.getErrorCode() != LOCK_WAIT_TIMEOUT || attempt == LOCK_TRIES) {
                    throw e;
                }
                log.warn("Waited {} s for transactions that wrote {} to commit before a snapshot (try {} of {}); trying again", LOCK_WAIT_SECONDS, table, attempt, LOCK_TRIES);
            }
        }
    }

    @Override
    public String transactionId(String connectorTransactionId)
    {
        if (gtids()) {
            return connectorTransactionId;
        }
        // Debezium names a transaction without GTID "file=binlog.000002,pos=833".
        String file = null;
        String position = null;
        for (String part : connectorTransactionId.split(",")) {
            int equals = part.indexOf('=');
            if (equals > 0 && part.substring(0, equals).equals("file")) {
                file = part.substring(equals + 1);
            }
            else if (equals > 0 && part.substring(0, equals).equals("pos")) {
                position = part.substring(equals + 1);
            }
        }
        if (file == null || position == null) {
            throw new IllegalArgumentException("not a transaction id with binlog file and position: " + connectorTransactionId);
        }
        return file + ":" + position;
    }

    @Override
    public SourcePosition offsetPosition(Map<String, ?> offset)
    {
        if (gtids()) {
            Object set = offset.get("gtids");
            return set == null ? SourcePosition.EMPTY : SourcePosition.parse(set.toString());
        }
        Object file = offset.get("file");
        Object position = offset.get("pos");
        return file == null || position == null ? SourcePosition.EMPTY : new BinlogCoordinates(file.toString(), Long.parseLong(position.toString()));
    }

    @Override
    public String seedOffset(BinlogEnd start)
    {
        return gtids()
                ? "{\"file\":\"%s\",\"pos\":%s,\"gtids\":\"%s\"}".formatted(start.file(), start.offset(), start.position())
                : "{\"file\":\"%s\",\"pos\":%s}".formatted(start.file(), start.offset());
    }

    /**
     * Reads the binlog's events from the transaction's start to its commit ({@code Xid}, or a {@code COMMIT} query
     * for non-transactional tables): the end of its last event, or, when the binlog rotates right after it, where
     * the first transaction of the next file would start. Empty when the commit is not within the events read.
     */
    @Override
    public Optional<BinlogCoordinates> transactionEnd(Connection cdc, BinlogCoordinates start)
            throws SQLException
    {
        if (gtids()) {
            return Optional.empty();
        }
        String sql = "SHOW BINLOG EVENTS IN %s FROM %s LIMIT 10000".formatted(literal(start.file()), start.offset());
        try (Statement statement = cdc.createStatement(); ResultSet events = statement.executeQuery(sql)) {
            while (events.next()) {
                String type = events.getString("Event_type");
                String info = events.getString("Info");
                if ("Xid".equalsIgnoreCase(type) || ("Query".equalsIgnoreCase(type) && info != null && info.trim().equalsIgnoreCase("COMMIT"))) {
                    BinlogCoordinates end = new BinlogCoordinates(start.file(), events.getLong("End_log_pos"));
                    if (events.next() && "Rotate".equalsIgnoreCase(events.getString("Event_type"))) {
                        // Info: "binlog.000003;pos=4"
                        String next = events.getString("Info").split(";")[0].trim();
                        return Optional.of(firstTransactionStart(cdc, next));
                    }
                    return Optional.of(end);
                }
            }
        }
        return Optional.empty();
    }

    /** Where the first transaction of a binlog file starts: after its header events (format description, previous GTIDs). */
    private static BinlogCoordinates firstTransactionStart(Connection cdc, String file)
            throws SQLException
    {
        String sql = "SHOW BINLOG EVENTS IN %s LIMIT 10".formatted(literal(file));
        try (Statement statement = cdc.createStatement(); ResultSet events = statement.executeQuery(sql)) {
            long end = 4;
            while (events.next()) {
                String type = events.getString("Event_type");
                if (!"Format_desc".equalsIgnoreCase(type) && !"Previous_gtids".equalsIgnoreCase(type)) {
                    return new BinlogCoordinates(file, events.getLong("Pos"));
                }
                end = events.getLong("End_log_pos");
            }
            return new BinlogCoordinates(file, end);
        }
    }
}
