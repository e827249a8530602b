package dev.ferry.replication;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.source.SourcePosition;

import static java.util.Objects.requireNonNull;

/**
 * Replication's own bookkeeping, in schema {@code ferry_replication} of the own database, so that it commits in the
 * same PostgreSQL transactions as the data it describes: backfill progress per table and chunk, the foreign keys
 * set aside during a migration, and the apply checkpoint.
 */
public final class ReplicationStore
{
    static final String SCHEMA = "ferry_replication";
    /** How long a foreign key waits, in 200 ms tries, for apply to let go of its table while streaming. */
    static final Duration FOREIGN_KEY_PATIENCE = Duration.ofMinutes(2);

    private final OwnDatabaseTarget target;
    private final WriteFence fence;

    /** A store whose commits check no {@link WriteFence}: one process alone. */
    public ReplicationStore(OwnDatabaseTarget target)
    {
        this(target, WriteFence.NONE);
    }

    /** @param fence checked before each commit of replication's own-database transactions ({@link #commit}) */
    public ReplicationStore(OwnDatabaseTarget target, WriteFence fence)
    {
        this.target = requireNonNull(target, "target is null");
        this.fence = requireNonNull(fence, "fence is null");
    }

    public Connection connect()
            throws SQLException
    {
        Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.connectionProperties());
        connection.setAutoCommit(false);
        return connection;
    }

    /** What replication's own-database transactions check before they commit. */
    public WriteFence fence()
    {
        return fence;
    }

    /**
     * Commits a transaction of replication on the own database if the {@link #fence()} still holds; if it does not,
     * rolls it back and throws {@code FENCED}.
     */
    public void commit(Connection connection)
            throws SQLException
    {
        try {
            fence.check(connection);
        }
        catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            }
            catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
        connection.commit();
    }

    public void ensureSchema()
            throws SQLException
    {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_replication.migration (
                      migration text PRIMARY KEY,
                      capture_file text NOT NULL,
                      capture_position bigint NOT NULL,
                      capture_gtid text NOT NULL,
                      created timestamptz NOT NULL DEFAULT now())""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_replication.backfill_table (
                      migration text NOT NULL,
                      table_name text NOT NULL,
                      rows_total bigint,
                      done boolean NOT NULL DEFAULT false,
                      tail_gtid text,
                      PRIMARY KEY (migration, table_name))""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_replication.backfill_chunk (
                      migration text NOT NULL,
                      table_name text NOT NULL,
                      chunk integer NOT NULL,
                      last_key text[],
                      row_count bigint NOT NULL,
                      snapshot_gtid text NOT NULL,
                      PRIMARY KEY (migration, table_name, chunk))""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_replication.foreign_key (
                      migration text NOT NULL,
                      table_name text NOT NULL,
                      constraint_name text NOT NULL,
                      definition text NOT NULL,
                      PRIMARY KEY (migration, table_name, constraint_name))""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_replication.apply_checkpoint (
                      migration text PRIMARY KEY,
                      segment bigint NOT NULL,
                      segment_offset bigint NOT NULL,
                      gtid text,
                      transactions bigint NOT NULL,
                      changes bigint NOT NULL,
                      updated timestamptz NOT NULL DEFAULT now())""");
            // Not behind the fence: it only creates what is missing, the same for whichever replica runs it.
            connection.commit();
        }
    }

    /**
     * Where capture starts for a migration, recorded when its backfill first starts. (The {@code *_gtid} columns
     * hold a {@link SourcePosition}'s text: GTIDs, or binlog coordinates for MySQL without GTIDs.)
     */
    public Optional<BinlogEnd> captureStart(Connection connection, String migration)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT capture_file, capture_position, capture_gtid FROM ferry_replication.migration WHERE migration = ?")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(new BinlogEnd(rows.getString(1), rows.getLong(2), SourcePosition.parse(rows.getString(3)))) : Optional.empty();
            }
        }
    }

    public void insertMigration(Connection connection, String migration, BinlogEnd start)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO ferry_replication.migration (migration, capture_file, capture_position, capture_gtid) VALUES (?, ?, ?, ?)")) {
            statement.setString(1, migration);
            statement.setString(2, start.file());
            statement.setLong(3, start.offset());
            statement.setString(4, start.position().toString());
            statement.executeUpdate();
        }
    }

    /** A table's backfill state. {@code lastKey} is the last row key copied, empty before the first chunk. */
    public record TableProgress(String table, Optional<Long> rowsTotal, long rowsCopied, boolean done, int chunks, Optional<List<String>> lastKey) {}

    public Map<String, TableProgress> tableProgress(Connection connection, String migration)
            throws SQLException
    {
        Map<String, TableProgress> progress = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT t.table_name, t.rows_total, t.done,
                       coalesce(sum(c.row_count), 0), count(c.chunk),
                       (SELECT last_key FROM ferry_replication.backfill_chunk l
                        WHERE l.migration = t.migration AND l.table_name = t.table_name ORDER BY chunk DESC LIMIT 1)
                FROM ferry_replication.backfill_table t
                LEFT JOIN ferry_replication.backfill_chunk c ON c.migration = t.migration AND c.table_name = t.table_name
                WHERE t.migration = ?
                GROUP BY t.migration, t.table_name, t.rows_total, t.done
                ORDER BY t.table_name""")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    long total = rows.getLong(2);
                    Optional<Long> rowsTotal = rows.wasNull() ? Optional.empty() : Optional.of(total);
                    Array lastKey = rows.getArray(6);
                    Optional<List<String>> key = lastKey == null ? Optional.empty() : Optional.of(List.of((String[]) lastKey.getArray()));
                    progress.put(rows.getString(1), new TableProgress(rows.getString(1), rowsTotal, rows.getLong(4), rows.getBoolean(3), rows.getInt(5), key));
                }
            }
        }
        return progress;
    }

    public void insertTables(Connection connection, String migration, List<String> tables)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO ferry_replication.backfill_table (migration, table_name) VALUES (?, ?)")) {
            for (String table : tables) {
                statement.setString(1, migration);
                statement.setString(2, table);
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    public void insertChunk(Connection connection, String migration, String table, int chunk, Optional<List<String>> lastKey, long rows, String snapshotGtid)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO ferry_replication.backfill_chunk (migration, table_name, chunk, last_key, row_count, snapshot_gtid) VALUES (?, ?, ?, ?, ?, ?)")) {
            statement.setString(1, migration);
            statement.setString(2, table);
            statement.setInt(3, chunk);
            statement.setArray(4, lastKey.isEmpty() ? null : connection.createArrayOf("text", lastKey.get().toArray()));
            statement.setLong(5, rows);
            statement.setString(6, snapshotGtid);
            statement.executeUpdate();
        }
    }

    public void markTableDone(Connection connection, String migration, String table, String tailGtid)
            throws SQLException
    {
        try (PreparedStatement statement = connection.prepareStatement(
                """
                UPDATE ferry_replication.backfill_table t SET done = true, tail_gtid = ?,
                  rows_total = (SELECT coalesce(sum(c.row_count), 0) FROM ferry_replication.backfill_chunk c
                                WHERE c.migration = t.migration AND c.table_name = t.table_name)
                WHERE migration = ? AND table_name = ?""")) {
            statement.setString(1, tailGtid);
            statement.setString(2, migration);
            statement.setString(3, table);
            statement.executeUpdate();
        }
    }

    /** One chunk's upper bound and the snapshot it was copied from, for the apply filter. */
    public record ChunkSnapshot(Optional<List<String>> lastKey, String snapshotGtid) {}

    /** Per table: its chunks in key order, then the tail (keys after the last chunk) with the table's tail GTID. */
    public Map<String, List<ChunkSnapshot>> snapshots(Connection connection, String migration)
            throws SQLException
    {
        Map<String, List<ChunkSnapshot>> snapshots = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT table_name, last_key, snapshot_gtid FROM ferry_replication.backfill_chunk WHERE migration = ? ORDER BY table_name, chunk")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    Array key = rows.getArray(2);
                    snapshots.computeIfAbsent(rows.getString(1), table -> new ArrayList<>())
                            .add(new ChunkSnapshot(key == null ? Optional.empty() : Optional.of(List.of((String[]) key.getArray())), rows.getString(3)));
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT table_name, tail_gtid FROM ferry_replication.backfill_table WHERE migration = ? AND done")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    snapshots.computeIfAbsent(rows.getString(1), table -> new ArrayList<>()).add(new ChunkSnapshot(Optional.empty(), rows.getString(2)));
                }
            }
        }
        return snapshots;
    }

    /** Saves, then drops, every foreign key of the metastore schema; a no-op when they are already saved. */
    public void setForeignKeysAside(Connection connection, String migration)
            throws SQLException
    {
        try (PreparedStatement saved = connection.prepareStatement("SELECT count(*) FROM ferry_replication.foreign_key WHERE migration = ?")) {
            saved.setString(1, migration);
            try (ResultSet rows = saved.executeQuery()) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    return;
                }
            }
        }
        List<String[]> keys = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("""
                        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                        FROM pg_constraint c
                        WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
                        ORDER BY 1, 2""")) {
            while (rows.next()) {
                keys.add(new String[] {rows.getString(1), rows.getString(2), rows.getString(3)});
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO ferry_replication.foreign_key (migration, table_name, constraint_name, definition) VALUES (?, ?, ?, ?)");
                Statement drop = connection.createStatement()) {
            for (String[] key : keys) {
                insert.setString(1, migration);
                insert.setString(2, key[0]);
                insert.setString(3, key[1]);
                insert.setString(4, key[2]);
                insert.addBatch();
                drop.addBatch("ALTER TABLE %s DROP CONSTRAINT \"%s\"".formatted(key[0], key[1]));
            }
            insert.executeBatch();
            drop.executeBatch();
        }
    }

    /**
     * Re-creates, validating them, the foreign keys set aside for a migration. A key that
     * {@link #restoreForeignKeysWhileApplying} added but had not validated yet is validated.
     */
    public int restoreForeignKeys(Connection connection, String migration)
            throws SQLException
    {
        int restored = 0;
        try (Statement statement = connection.createStatement()) {
            for (String[] key : savedForeignKeys(connection, migration)) {
                if (constraintExists(connection, key[0], key[1])) {
                    statement.execute("ALTER TABLE %s VALIDATE CONSTRAINT \"%s\"".formatted(key[0], key[1]));
                }
                else {
                    statement.execute("ALTER TABLE %s ADD CONSTRAINT \"%s\" %s".formatted(key[0], key[1], key[2]));
                }
                restored++;
            }
        }
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM ferry_replication.foreign_key WHERE migration = ?")) {
            delete.setString(1, migration);
            delete.executeUpdate();
        }
        return restored;
    }

    /**
     * Re-creates the foreign keys set aside for a migration while apply writes the tables: each is added
     * {@code NOT VALID} in a short transaction (the only step that blocks writers; it gives up a lock wait after
     * 200 ms, before PostgreSQL's deadlock check (1 s) could pick apply as the victim, and tries again after a short
     * random pause, for up to {@link #FOREIGN_KEY_PATIENCE} a key: on a busy machine apply may hold the table for
     * many tries in a row), then validated, which scans the rows without blocking writes, and only then forgotten.
     * Each step commits; a crash in between leaves a key that {@link #restoreForeignKeys} validates.
     */
    public int restoreForeignKeysWhileApplying(Connection connection, String migration)
            throws SQLException
    {
        int restored = 0;
        for (String[] key : savedForeignKeys(connection, migration)) {
            long deadline = System.nanoTime() + FOREIGN_KEY_PATIENCE.toNanos();
            while (!constraintExists(connection, key[0], key[1])) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET LOCAL lock_timeout = '200ms'");
                    statement.execute("ALTER TABLE %s ADD CONSTRAINT \"%s\" %s NOT VALID".formatted(key[0], key[1], key[2]));
                    commit(connection);
                }
                catch (SQLException e) {
                    connection.rollback();
                    // 40P01 deadlock_detected, 55P03 lock_not_available: apply held a lock the ALTER needed.
                    if (System.nanoTime() > deadline || !("40P01".equals(e.getSQLState()) || "55P03".equals(e.getSQLState()))) {
                        throw e;
                    }
                    pause();
                }
            }
            try (Statement statement = connection.createStatement();
                    PreparedStatement forget = connection.prepareStatement(
                            "DELETE FROM ferry_replication.foreign_key WHERE migration = ? AND table_name = ? AND constraint_name = ?")) {
                statement.execute("ALTER TABLE %s VALIDATE CONSTRAINT \"%s\"".formatted(key[0], key[1]));
                forget.setString(1, migration);
                forget.setString(2, key[0]);
                forget.setString(3, key[1]);
                forget.executeUpdate();
                commit(connection);
            }
            restored++;
        }
        return restored;
    }

    /** Lets apply's transaction through before the next try; interrupted, it stops the restore. */
    private static void pause()
            throws SQLException
    {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(10, 100));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while restoring foreign keys", e);
        }
    }

    private static List<String[]> savedForeignKeys(Connection connection, String migration)
            throws SQLException
    {
        List<String[]> keys = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT table_name, constraint_name, definition FROM ferry_replication.foreign_key WHERE migration = ? ORDER BY 1, 2")) {
            select.setString(1, migration);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.add(new String[] {rows.getString(1), rows.getString(2), rows.getString(3)});
                }
            }
        }
        return keys;
    }

    private static boolean constraintExists(Connection connection, String table, String name)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM pg_constraint WHERE conrelid = ?::regclass AND conname = ?")) {
            select.setString(1, table);
            select.setString(2, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Removes every record of a migration from the bookkeeping (after cancel, once its data is deleted). */
    public void forget(Connection connection, String migration)
            throws SQLException
    {
        for (String table : List.of("apply_checkpoint", "backfill_chunk", "backfill_table", "foreign_key", "migration")) {
            try (PreparedStatement statement = connection.prepareStatement("DELETE FROM ferry_replication.%s WHERE migration = ?".formatted(table))) {
                statement.setString(1, migration);
                statement.executeUpdate();
            }
        }
    }
}
