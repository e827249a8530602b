package dev.ferry.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.Engine;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.finalize.FinalizeReport;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.verify.Difference;
import dev.ferry.replication.verify.VerificationReport;
import dev.ferry.replication.source.BinlogCoordinates;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.NotificationEventRequest;
import org.apache.hadoop.hive.metastore.api.NotificationEventResponse;
import org.apache.hadoop.hive.metastore.api.PartitionsStatsRequest;
import org.apache.hadoop.hive.metastore.api.ShowLocksRequest;
import org.apache.hadoop.hive.metastore.api.TableStatsRequest;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A migration's data path at the scale of the issue: a source metastore with 10,000 partitions, statistics,
 * transactions and locks, two HMS engines writing through backfill and streaming, then a drain to a fence, after
 * which the own database equals the source and an engine on it answers as one on the source.
 */
class ReplicationIntegrationTest
{
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path staging;

    @BeforeAll
    static void startDatabases()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabases()
    {
        postgres.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void ownDatabaseAnswersAsTheSourceAfterBackfillStreamingAndDrainUnderTwoWriters(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        String name = "it_" + kind.tag();
        SchemaMapping mapping = HmsFixture.mapping();
        SourceDatabase source = HmsFixture.source(server, "hms_" + name);
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_" + name);
        try (Engine writerA = HmsFixture.engine(server, source); Engine writerB = HmsFixture.engine(server, source)) {
            HmsFixture.fill(writerA.client(), "big", 4, 5, 500);
            HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(client % 2 == 0 ? writerA.client() : writerB.client()), 4, "it");
            HmsWorkload.Result result;
            Replication.Status drained;
            try (Replication replication = Replication.start(new Replication.Config(name, source, own, HmsFixture.upgradeScripts(), "4.0.0",
                    staging.resolve(name), 4 * 1024 * 1024, new Backfill.Options(2, 2_000), Apply.Options.defaults()))) {
                await().atMost(Duration.ofMinutes(5)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
                assertThat(replication.failure()).isEmpty();
                // Planner statistics for what the backfill copied (a manual ANALYZE: autovacuum's shows elsewhere).
                // (PostgreSQL publishes a backend's statistics within a second or so of its work.)
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        ownLong(own, "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN ('PARTITIONS', 'PARTITION_PARAMS', 'SERDE_PARAMS')"))
                        .isEqualTo(3));
                long callsAtStreaming = workload.calls();
                // The maintenance's first round verifies every table, then opens the fence's connections for a cutover.
                // (prepareFence waits for the round under way, whose verify set lastFullVerification first.)
                await().atMost(Duration.ofMinutes(3)).until(() -> replication.status().lastFullVerification().isPresent());
                assertThat(replication.prepareFence()).as("opened by the maintenance").isFalse();
                // They wait without a transaction open (the check of each, just now, left none): none holds back the own
                // database's vacuum.
                Thread.sleep(4_000);
                assertThat(ownLong(own, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
                        + " AND now() - state_change > interval '3 seconds'")).isZero();
                await().atMost(Duration.ofMinutes(3)).until(() -> workload.calls() > callsAtStreaming + 600);
                result = workload.stop();
                assertThat(result.failures()).isEmpty();

                // As a cutover does: the background verify stops before the fence. The verify at the fence then
                // compares what changed since the background's last pass: big_db0 among it.
                replication.pauseMaintenance();
                org.apache.hadoop.hive.metastore.api.Database bigDb0 = writerA.client().get_database("big_db0");
                bigDb0.setDescription("changed on the source after the last background verify");
                writerA.client().alter_database("big_db0", bigDb0);

                SourcePosition fence = replication.sourcePosition();
                assertThat(replication.drainTo(fence, Duration.ofMinutes(2))).isTrue();
                drained = replication.status();
                assertThat(drained.stage()).isEqualTo(Replication.Stage.STREAMING);
                assertThat(drained.lastError()).isEmpty();
                assertThat(SourcePosition.parse(drained.capturedPosition()).includesAll(fence) || fence instanceof BinlogCoordinates)
                        .as("captured %s, fence %s", drained.capturedPosition(), fence).isTrue();
                assertThat(drained.rowsCopied()).isEqualTo(drained.rowsTotal());

                // At the fence, before finalize (which adds generator rows the source lacks): equal row for row.
                HmsFixture.assertEveryTableEqual(source, own, mapping);

                // Verify and finalize at once (the cutover's way): a difference makes finalize roll back. The own
                // database is changed twice here, outside apply: a database's description (a row the source changed
                // since the last background verify, so in the verify's scope), and its notification counter lowered,
                // which finalize would raise back to the source's.
                long nextEventId = ownLong(own, "SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\"");
                String description = ownString(own, "SELECT \"DESC\" FROM \"DBS\" WHERE \"NAME\" = 'big_db0'");
                ownUpdate(own, "UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = 1");
                ownUpdate(own, "UPDATE \"DBS\" SET \"DESC\" = 'changed on the own side' WHERE \"NAME\" = 'big_db0'");
                AtomicBoolean ranBeforeCommit = new AtomicBoolean();
                assertThatThrownBy(() -> replication.verifyAndFinalize(connection -> ranBeforeCommit.set(true)))
                        .isInstanceOfSatisfying(Replication.DifferencesAtFence.class, differences -> {
                            // Both rows, and nothing else (a row may be reported twice: once as a key that changed, once as a range
                            // that differed in the background verify's last pass).
                            assertThat(differences.report().differences()).extracting(Difference::table).containsOnly("DBS", "NOTIFICATION_SEQUENCE")
                                    .contains("DBS", "NOTIFICATION_SEQUENCE");
                            assertThat(differences.report()).isSameAs(replication.lastVerification().orElseThrow());
                        })
                        .hasMessageContaining("verification found differences");
                assertThat(ranBeforeCommit).isFalse();
                assertThat(ownLong(own, "SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\"")).as("finalize rolled back").isEqualTo(1);
                ownUpdate(own, "UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = " + nextEventId);
                ownUpdate(own, "UPDATE \"DBS\" SET \"DESC\" = " + (description == null ? "NULL" : "'" + description.replace("'", "''") + "'") + " WHERE \"NAME\" = 'big_db0'");

                // As a cutover does: connections opened and warmed before writes are held (again: the verify at the
                // fence above took and closed those the maintenance opened).
                assertThat(replication.prepareFence()).isTrue();
                FinalizeReport finalized = replication.verifyAndFinalize(connection -> ranBeforeCommit.set(true));
                VerificationReport verification = replication.lastVerification().orElseThrow();
                assertThat(verification.differences()).as(verification.summary()).isEmpty();
                assertThat(verification.tables()).hasSize(83);
                assertThat(ranBeforeCommit).isTrue();
                System.out.println("Verification: " + verification.summary());
                System.out.println("Finalize: " + finalized);
            }
            System.out.printf("Integration: %s rows backfilled, %s workload calls %s, %s source transactions applied (%s changes)%n",
                    drained.rowsCopied(), result.totalCalls(), result.calls(), drained.transactionsApplied(), drained.eventsApplied());
            assertThat(result.calls().get(HmsWorkload.Operation.RENAME_TABLE)).isPositive();
            assertThat(result.calls().get(HmsWorkload.Operation.DROP_DATABASE)).isPositive();

            assertThat(HmsFixture.sourceCounts(source, mapping).get("PARTITIONS")).isGreaterThanOrEqualTo(10_000);
            try (Engine onOwn = HmsFixture.engine(own)) {
                assertAnswersAlike(writerA.client(), onOwn.client());
                // After finalize the own database takes new objects, transactions and locks without a key collision.
                HmsFixture.fill(onOwn.client(), "after", 1, 3, 50);
                assertThat(onOwn.client().get_partition_names("after_db0", "t2", (short) -1)).hasSize(50);
            }
        }
    }

    private static long ownLong(OwnDatabaseTarget own, String query)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.own(own); Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(query)) {
            assertThat(result.next()).as(query).isTrue();
            return result.getLong(1);
        }
    }

    private static String ownString(OwnDatabaseTarget own, String query)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.own(own); Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(query)) {
            assertThat(result.next()).as(query).isTrue();
            return result.getString(1);
        }
    }

    private static void ownUpdate(OwnDatabaseTarget own, String update)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.own(own); Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate(update)).as(update).isEqualTo(1);
        }
    }

    private static void assertAnswersAlike(ThriftHiveMetastore.Iface source, ThriftHiveMetastore.Iface own)
            throws Exception
    {
        assertThat(own.get_all_databases()).isEqualTo(source.get_all_databases());
        int tables = 0;
        for (String database : source.get_all_databases()) {
            assertThat(own.get_all_tables(database)).as(database).isEqualTo(source.get_all_tables(database));
            for (String name : source.get_all_tables(database)) {
                tables++;
                assertThat(own.get_table_req(new GetTableRequest(database, name)).getTable())
                        .isEqualTo(source.get_table_req(new GetTableRequest(database, name)).getTable());
                assertThat(own.get_partitions(database, name, (short) -1)).as(database + "." + name)
                        .isEqualTo(source.get_partitions(database, name, (short) -1));
                List<String> partitionNames = source.get_partition_names(database, name, (short) -1);
                assertThat(own.get_partition_names(database, name, (short) -1)).isEqualTo(partitionNames);
                TableStatsRequest tableStatistics = new TableStatsRequest(database, name, List.of("id"));
                tableStatistics.setEngine("hive");
                assertThat(own.get_table_statistics_req(tableStatistics)).isEqualTo(source.get_table_statistics_req(tableStatistics));
                if (!partitionNames.isEmpty()) {
                    PartitionsStatsRequest partitionStatistics = new PartitionsStatsRequest(database, name, List.of("id"), partitionNames);
                    partitionStatistics.setEngine("hive");
                    assertThat(own.get_partitions_statistics_req(partitionStatistics)).isEqualTo(source.get_partitions_statistics_req(partitionStatistics));
                }
            }
        }
        assertThat(tables).isGreaterThan(20);
        NotificationEventResponse sourceEvents = source.get_next_notification(new NotificationEventRequest(0));
        assertThat(sourceEvents.getEventsSize()).as("notification log entries written on the source").isGreaterThan(100);
        assertThat(own.get_next_notification(new NotificationEventRequest(0))).isEqualTo(sourceEvents);
        assertThat(own.get_current_notificationEventId()).isEqualTo(source.get_current_notificationEventId());
        assertThat(own.show_locks(new ShowLocksRequest())).isEqualTo(source.show_locks(new ShowLocksRequest()));
        assertThat(own.get_open_txns()).isEqualTo(source.get_open_txns());
        assertThat(own.get_open_txns().getOpen_txnsSize()).as("transactions left open by the workload").isPositive();
    }
}
