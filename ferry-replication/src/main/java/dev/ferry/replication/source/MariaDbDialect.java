package dev.ferry.replication.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MariaDB 10.3 and later (tested: 10.11). Every transaction has a GTID ({@link MariaDbGtids}). A consistent snapshot
 * names its exact binlog position by itself ({@code START TRANSACTION WITH CONSISTENT SNAPSHOT}, then the
 * {@code binlog_snapshot_file/position} status), so it needs no lock; {@code BINLOG_GTID_POS} turns that position
 * into GTIDs. Debezium's MariaDB connector reads the binlog.
 */
public final class MariaDbDialect
        extends SourceDialect
{
    /**
     * GTIDs by binlog file and position: BINLOG_GTID_POS reads the binlog from the start of the file, and the
     * snapshots of a quiet source, one per table, all share one position.
     */
    private final Map<String, SourcePosition> snapshotPositions = new ConcurrentHashMap<>();

    MariaDbDialect(ServerVersion version)
    {
        super(version);
    }

    @Override
    public String describe()
    {
        return "MariaDB " + version().number();
    }

    @Override
    public Optional<Unsupported> unsupported()
    {
        if (!version().atLeast(10, 3, 0)) {
            return Optional.of(new Unsupported(Unsupported.Reason.VERSION,
                    "the source runs MariaDB %s; Ferry migrates from MariaDB 10.3 and later (tested: 10.11)".formatted(version().text())));
        }
        return Optional.empty();
    }

    @Override
    public List<String> warnings()
    {
        return version().major() == 10 && version().minor() == 11 ? List.of()
                : List.of("MariaDB %s has not been tested with Ferry (tested: 10.11)".formatted(version().number()));
    }

    @Override
    public String connectorClass()
    {
        return "io.debezium.connector.mariadb.MariaDbConnector";
    }

    @Override
    public BinlogEnd binlogEnd(Connection cdc)
            throws SQLException
    {
        try (Statement statement = cdc.createStatement(); ResultSet status = statement.executeQuery("SHOW MASTER STATUS")) {
            if (!status.next()) {
                throw new SQLException("the source has no binary log (SHOW MASTER STATUS is empty)");
            }
            String file = status.getString("File");
            long position = status.getLong("Position");
            return new BinlogEnd(file, position, gtidsAt(cdc, file, position));
        }
    }

    @Override
    public SourcePosition currentPosition(Connection cdc)
            throws SQLException
    {
        return SourcePosition.parse(scalar(cdc, "SELECT @@gtid_binlog_pos"));
    }

    @Override
    public SourcePosition openSnapshot(Connection reader, String table, SnapshotSessions sessions)
            throws SQLException
    {
        try (Statement statement = reader.createStatement()) {
            statement.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            statement.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
            String file = null;
            long position = -1;
            try (ResultSet rows = statement.executeQuery("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
                while (rows.next()) {
                    switch (rows.getString(1).toLowerCase(Locale.ROOT)) {
                        case "binlog_snapshot_file" -> file = rows.getString(2);
                        case "binlog_snapshot_position" -> position = Long.parseLong(rows.getString(2));
                        default -> {
                            // binlog_snapshot_gtid_pos and others: read below from the file and position.
                        }
                    }
                }
            }
            if (file == null || file.isEmpty() || position < 0) {
                throw new SQLException("the source gave no binlog position for a consistent snapshot: is the binary log on?");
            }
            String key = file + ":" + position;
            SourcePosition gtids = snapshotPositions.get(key);
            if (gtids == null) {
                gtids = gtidsAt(reader, file, position);
                snapshotPositions.put(key, gtids);
            }
            return gtids;
        }
    }

    private static SourcePosition gtidsAt(Connection connection, String file, long position)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            statement.setString(1, file);
            statement.setLong(2, position);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return SourcePosition.parse(rows.getString(1));
            }
        }
    }

    @Override
    public String transactionId(String connectorTransactionId)
    {
        return connectorTransactionId;
    }

    @Override
    public SourcePosition offsetPosition(Map<String, ?> offset)
    {
        Object gtids = offset.get("gtids");
        return gtids == null ? SourcePosition.EMPTY : SourcePosition.parse(gtids.toString());
    }

    @Override
    public String seedOffset(BinlogEnd start)
    {
        // The MariaDB connector resumes from the GTIDs, which must match the file and position.
        return "{\"file\":\"%s\",\"pos\":%s,\"gtids\":\"%s\"}".formatted(start.file(), start.offset(), start.position());
    }
}
