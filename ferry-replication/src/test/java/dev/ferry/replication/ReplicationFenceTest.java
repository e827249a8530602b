package dev.ferry.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.engine.Engine;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The write fence in replication's own-database transactions (issue 16), over a real lease row in the own database
 * whose epoch the test moves on as a replica taking the migration over would: the next backfill chunk and the next
 * apply batch roll back, their checkpoint unchanged, and replication stops with {@code FENCED}. A replica that holds
 * the new epoch resumes the backfill from the last committed chunk, with no row lost or copied twice.
 */
class ReplicationFenceTest
{
    private static EmbeddedPostgresServer postgres;
    private static SourceDatabase source;

    @TempDir
    Path staging;

    @BeforeAll
    static void startDatabases()
            throws Exception
    {
        postgres = EmbeddedPostgresServer.start();
        SourceServer server = SourceServers.shared(SourceServers.Kind.MARIADB_10_11);
        source = HmsFixture.source(server, "hms_fence");
        try (Engine engine = HmsFixture.engine(server, source)) {
            HmsFixture.fill(engine.client(), "fence", 2, 2, 200);
        }
    }

    @AfterAll
    static void stopDatabases()
    {
        postgres.close();
    }

    @Test
    void aFenceLostMidBackfillRollsBackTheChunkAndStopsReplicationFenced()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_fence_backfill");
        LeaseRow lease = LeaseRow.create(own);
        AtomicReference<List<String>> committedAtTakeover = new AtomicReference<>();
        // One worker, so the checks come in order: the backfill's preparation, then one per chunk (or per empty
        // table). From the sixth on, the first whose transaction holds a chunk not yet committed is taken over from
        // just before it runs.
        AtomicInteger checks = new AtomicInteger();
        WriteFence held = lease.fence(1);
        WriteFence fence = connection -> {
            if (checks.incrementAndGet() >= 6 && committedAtTakeover.get() == null
                    && chunksSeenBy(connection, "fence_backfill") > committedChunks(own, "fence_backfill").size()) {
                lease.takeOver();
                committedAtTakeover.set(committedChunks(own, "fence_backfill"));
            }
            held.check(connection);
        };
        Replication.Config config = config("fence_backfill", own, new Backfill.Options(1, 50));
        try (Replication replication = Replication.start(config.withFence(fence))) {
            await().atMost(Duration.ofMinutes(2)).until(() -> replication.failure().isPresent());
            assertThat(replication.failure().orElseThrow())
                    .hasMessage("this replica lost the replication lease (epoch 1); another replica runs the migration now")
                    .extracting(ReplicationException::reason).isEqualTo(ReplicationException.Reason.FENCED);
            assertThat(replication.stage()).isEqualTo(Replication.Stage.BACKFILL);
        }
        assertThat(committedAtTakeover.get()).as("taken over mid-backfill").isNotNull();
        assertThat(committedChunks(own, "fence_backfill")).isEqualTo(committedAtTakeover.get());
        // Every row of the own database's tables is one of a committed chunk: nothing of the rolled back one is left.
        Map<String, Long> ownRows = new TreeMap<>(HmsFixture.ownCounts(own, HmsFixture.mapping()));
        ownRows.values().removeIf(rows -> rows == 0);
        assertThat(ownRows).isEqualTo(chunkRows(own, "fence_backfill"));

        // The replica that took over resumes at the first chunk not committed.
        try (Replication resumed = Replication.start(config.withFence(lease.fence(2)))) {
            await().atMost(Duration.ofMinutes(2)).until(() -> resumed.stage() == Replication.Stage.STREAMING || resumed.failure().isPresent());
            assertThat(resumed.failure()).isEmpty();
            assertThat(resumed.drainTo(resumed.sourcePosition(), Duration.ofMinutes(1))).isTrue();
            HmsFixture.assertEveryTableEqual(source, own, HmsFixture.mapping());
        }
    }

    @Test
    void aFenceLostWhileStreamingRollsBackTheApplyBatchAndStopsReplicationFenced()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_fence_apply");
        LeaseRow lease = LeaseRow.create(own);
        Replication.Config config = config("fence_apply", own, Backfill.Options.defaults()).withFence(lease.fence(1)).withApplicationName("ferry/fence-test/replication");
        try (Replication replication = Replication.start(config)) {
            await().atMost(Duration.ofMinutes(2)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
            assertThat(replication.failure()).isEmpty();
            // Apply's session bears the name a replica taking over ends a former holder's sessions by.
            assertThat(ownLong(own, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ferry/fence-test/replication'")).isPositive();
            // The background restore of the foreign keys commits too: done before the takeover, so that apply meets the fence.
            await().atMost(Duration.ofMinutes(1)).until(() -> ownLong(own, "SELECT count(*) FROM ferry_replication.foreign_key WHERE migration = 'fence_apply'") == 0);

            describeOnSource("fence_db0", "before the takeover");
            await().atMost(Duration.ofMinutes(1)).until(() -> "before the takeover".equals(ownDescription(own, "fence_db0")));
            List<String> checkpoint = checkpoint(own, "fence_apply");

            lease.takeOver();
            describeOnSource("fence_db0", "after the takeover");

            await().atMost(Duration.ofMinutes(1)).until(() -> replication.failure().isPresent());
            assertThat(replication.failure().orElseThrow())
                    .hasMessage("this replica lost the replication lease (epoch 1); another replica runs the migration now")
                    .extracting(ReplicationException::reason).isEqualTo(ReplicationException.Reason.FENCED);
            assertThat(checkpoint(own, "fence_apply")).isEqualTo(checkpoint);
            assertThat(ownDescription(own, "fence_db0")).isEqualTo("before the takeover");
        }
    }

    private Replication.Config config(String migration, OwnDatabaseTarget own, Backfill.Options backfill)
    {
        return new Replication.Config(migration, source, own, HmsFixture.upgradeScripts(), HmsFixture.SCHEMA_VERSION, staging.resolve(migration), 1 << 20,
                backfill, Apply.Options.defaults());
    }

    /** The chunk records a transaction sees: the committed ones and its own. */
    private static long chunksSeenBy(Connection connection, String migration)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT count(*) FROM ferry_replication.backfill_chunk WHERE migration = ?")) {
            select.setString(1, migration);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /**
     * A lease row in the own database, as {@code ferry_control.coordinator_lease} is, and the fence over it that
     * CoordinatorLease gives replication (ferry-control's, which this module cannot depend on).
     */
    private record LeaseRow(OwnDatabaseTarget own)
    {
        static LeaseRow create(OwnDatabaseTarget own)
                throws SQLException
        {
            try (Connection connection = connect(own); Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA fence_test");
                statement.execute("CREATE TABLE fence_test.lease (id integer PRIMARY KEY, epoch bigint NOT NULL)");
                statement.execute("INSERT INTO fence_test.lease VALUES (1, 1)");
            }
            return new LeaseRow(own);
        }

        WriteFence fence(long epoch)
        {
            return WriteFence.of(new WriteFence.Query("SELECT 1 FROM fence_test.lease WHERE id = 1 AND epoch = ? FOR KEY SHARE", List.of(epoch),
                    "this replica lost the replication lease (epoch %s); another replica runs the migration now".formatted(epoch)));
        }

        /** As a replica taking over does: waits for the transactions the fence let through, then moves the epoch on. */
        void takeOver()
        {
            try (Connection connection = connect(own); Statement statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                statement.executeQuery("SELECT epoch FROM fence_test.lease WHERE id = 1 FOR UPDATE").close();
                statement.executeUpdate("UPDATE fence_test.lease SET epoch = epoch + 1 WHERE id = 1");
                connection.commit();
            }
            catch (SQLException e) {
                throw new IllegalStateException("cannot take the lease over", e);
            }
        }
    }

    /** The committed chunk records of a migration: table, chunk, rows. */
    private static List<String> committedChunks(OwnDatabaseTarget own, String migration)
    {
        List<String> chunks = new ArrayList<>();
        try (Connection connection = connect(own);
                PreparedStatement select = connection.prepareStatement(
                        "SELECT table_name, chunk, row_count FROM ferry_replication.backfill_chunk WHERE migration = ? ORDER BY 1, 2")) {
            select.setString(1, migration);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    chunks.add("%s/%s: %s rows".formatted(rows.getString(1), rows.getInt(2), rows.getLong(3)));
                }
            }
        }
        catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return chunks;
    }

    /** Rows of the committed chunks per table, for the tables that have any. */
    private static Map<String, Long> chunkRows(OwnDatabaseTarget own, String migration)
            throws SQLException
    {
        Map<String, Long> rows = new TreeMap<>();
        try (Connection connection = connect(own);
                PreparedStatement select = connection.prepareStatement(
                        "SELECT table_name, sum(row_count) FROM ferry_replication.backfill_chunk WHERE migration = ? GROUP BY 1 HAVING sum(row_count) > 0")) {
            select.setString(1, migration);
            try (ResultSet results = select.executeQuery()) {
                while (results.next()) {
                    rows.put(results.getString(1), results.getLong(2));
                }
            }
        }
        return rows;
    }

    /** The apply checkpoint's row. */
    private static List<String> checkpoint(OwnDatabaseTarget own, String migration)
            throws SQLException
    {
        try (Connection connection = connect(own);
                PreparedStatement select = connection.prepareStatement(
                        "SELECT segment, segment_offset, gtid, transactions, changes, updated FROM ferry_replication.apply_checkpoint WHERE migration = ?")) {
            select.setString(1, migration);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).as("apply checkpoint of %s", migration).isTrue();
                List<String> values = new ArrayList<>();
                for (int column = 1; column <= 6; column++) {
                    values.add(rows.getString(column));
                }
                return values;
            }
        }
    }

    private static void describeOnSource(String database, String description)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.source(source);
                PreparedStatement update = connection.prepareStatement("UPDATE DBS SET `DESC` = ? WHERE NAME = ?")) {
            update.setString(1, description);
            update.setString(2, database);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private static String ownDescription(OwnDatabaseTarget own, String database)
            throws SQLException
    {
        try (Connection connection = connect(own); PreparedStatement select = connection.prepareStatement("SELECT \"DESC\" FROM \"DBS\" WHERE \"NAME\" = ?")) {
            select.setString(1, database);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }
    }

    private static long ownLong(OwnDatabaseTarget own, String query)
            throws SQLException
    {
        try (Connection connection = connect(own); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Connection connect(OwnDatabaseTarget own)
            throws SQLException
    {
        return DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
    }
}
