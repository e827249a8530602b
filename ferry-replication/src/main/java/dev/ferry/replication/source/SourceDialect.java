package dev.ferry.replication.source;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Everything that differs between the source servers Ferry migrates from (MariaDB, MySQL with GTIDs, MySQL without),
 * in one place: how a consistent snapshot names its binlog position, how positions and transactions are named
 * ({@link SourcePosition}), where the binlog ends, which Debezium connector reads the binlog and how its offsets
 * look, and which versions and modes are supported. Backfill, capture, the fence of a cutover and the
 * preconditions ask the dialect; nothing else branches on the server's kind.
 */
public abstract sealed class SourceDialect
        permits MariaDbDialect, MySqlDialect
{
    /** Where the binlog ends: its file and offset, and the position that includes every transaction committed. */
    public record BinlogEnd(String file, long offset, SourcePosition position)
    {
        public BinlogEnd
        {
            requireNonNull(file, "file is null");
            requireNonNull(position, "position is null");
        }
    }

    /**
     * The connections a snapshot may need besides the reader's own, opened on first use by the caller and kept for
     * its next snapshots: a second session as the reader (to hold a lock while the snapshot starts) and one as the
     * CDC user (to read the binlog position, which needs the binlog monitor privilege).
     */
    public interface SnapshotSessions
    {
        Connection lockSession()
                throws SQLException;

        Connection binlogSession()
                throws SQLException;
    }

    private final ServerVersion version;

    SourceDialect(ServerVersion version)
    {
        this.version = requireNonNull(version, "version is null");
    }

    /** The dialect of the server at the other end of the connection. */
    public static SourceDialect detect(Connection connection)
            throws SQLException
    {
        ServerVersion version = ServerVersion.parse(scalar(connection, "SELECT VERSION()"));
        if (version.flavor() == ServerVersion.Flavor.MARIADB) {
            return new MariaDbDialect(version);
        }
        return new MySqlDialect(version, MySqlDialect.GtidMode.of(scalar(connection, "SELECT @@GLOBAL.gtid_mode")));
    }

    public ServerVersion version()
    {
        return version;
    }

    /** The server and how Ferry follows its binlog, for messages: {@code MySQL 8.0.15 with GTIDs}. */
    public abstract String describe();

    /** Why Ferry cannot migrate from this server, if it cannot (its version, a transitional GTID mode). */
    public abstract Optional<Unsupported> unsupported();

    /** What Ferry can migrate from but has not been tested against (MySQL 8.4, ...). */
    public abstract List<String> warnings();

    /** A reason Ferry cannot migrate from a server, with what to do about it. */
    public record Unsupported(Reason reason, String message)
    {
        public enum Reason
        {
            VERSION,
            GTID_MODE,
        }
    }

    /** The class of the Debezium connector that reads this server's binlog. */
    public abstract String connectorClass();

    /** Where the binlog ends now, file, offset and position: where capture starts. Needs the binlog monitor privilege. */
    public abstract BinlogEnd binlogEnd(Connection cdc)
            throws SQLException;

    /** The position that includes every transaction committed so far: a fence for a drain. */
    public abstract SourcePosition currentPosition(Connection cdc)
            throws SQLException;

    /**
     * Starts a consistent snapshot (a REPEATABLE READ transaction) on {@code reader} and returns the position it
     * reflects for {@code table}: every transaction that wrote the table and that the position includes is in the
     * snapshot, and no other.
     *
     * @param table the table's qualified, quoted name ({@code `hive`.`TBLS`})
     */
    public abstract SourcePosition openSnapshot(Connection reader, String table, SnapshotSessions sessions)
            throws SQLException;

    /** The name of a transaction as {@link SourcePosition} reads it, from the id Debezium's transaction metadata gives it. */
    public abstract String transactionId(String connectorTransactionId);

    /**
     * What a Debezium source offset says is complete, for an offset taken between transactions (a transaction's
     * BEGIN, a heartbeat): every transaction the returned position includes has been read.
     */
    public abstract SourcePosition offsetPosition(Map<String, ?> offset);

    /** The Debezium source offset (its JSON value) that starts reading at {@code start}. */
    public abstract String seedOffset(BinlogEnd start);

    /**
     * Where the transaction that starts at {@code start} ends in the binlog, if the dialect names transactions by
     * binlog coordinates and the binlog still has it: a drain needs it to know that the last transaction before a
     * fence has been read when nothing follows it. Empty for the dialects with GTIDs.
     */
    public Optional<BinlogCoordinates> transactionEnd(Connection cdc, BinlogCoordinates start)
            throws SQLException
    {
        return Optional.empty();
    }

    /**
     * Fences the metastore's tables: {@code LOCK TABLES t1 READ, ...} from {@code session}, a session of the reader,
     * on every metastore table, on MariaDB and MySQL alike. While it holds, no session can write any of them (others
     * still read them; other databases of the server are not touched); taking it waits for the transactions that wrote
     * them to commit, at most {@code wait} (rounded up to whole seconds). The server releases it when the session
     * ends, so a Ferry that dies leaves the source writable. Empty when the session may not lock the tables (it lacks
     * LOCK TABLES on the database).
     *
     * @throws SQLException when another transaction kept a write on the tables for longer than {@code wait}, or the
     *     lock failed otherwise
     */
    public Optional<SourceFence> fence(Connection session, List<String> tables, Duration wait)
            throws SQLException
    {
        try (Statement statement = session.createStatement()) {
            statement.execute("SET SESSION lock_wait_timeout = " + Math.max(1, (wait.toMillis() + 999) / 1000));
            statement.execute("LOCK TABLES " + String.join(", ", tables.stream().map(table -> table + " READ").toList()));
            return Optional.of(new SourceFence(session));
        }
        catch (SQLException e) {
            // 1044/1142: LOCK TABLES (or SELECT) denied on the database or a table.
            if (e.getErrorCode() == 1044 || e.getErrorCode() == 1142) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** A source fence held by a session; {@link #close()} releases it and ends the session. */
    public static final class SourceFence
            implements AutoCloseable
    {
        private final Connection session;

        SourceFence(Connection session)
        {
            this.session = requireNonNull(session, "session is null");
        }

        @Override
        public void close()
                throws SQLException
        {
            try (Connection closing = session; Statement statement = closing.createStatement()) {
                statement.execute("UNLOCK TABLES");
            }
        }
    }

    static String scalar(Connection connection, String sql)
            throws SQLException
    {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    /** A single-quoted SQL string literal. */
    static String literal(String text)
    {
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    @Override
    public String toString()
    {
        return describe();
    }
}
