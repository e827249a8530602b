package dev.ferry.upgrade;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.ferry.engine.Engine;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import org.apache.hadoop.hive.metastore.api.ColumnStatistics;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsData;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsDesc;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsObj;
import org.apache.hadoop.hive.metastore.api.CommitTxnRequest;
import org.apache.hadoop.hive.metastore.api.LongColumnStatsData;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Hive 3.1 metastore on PostgreSQL, written by a Hive 3.1.3 engine the whole time, upgraded to Hive 4.0's schema
 * on a copy with Hive 4.0.1's scripts, checked, and switched to; a difference the upgrade does not explain stops it,
 * and an upgrade interrupted before or after its switch is settled.
 */
class MetastoreUpgradeTest
{
    private static EmbeddedPostgresServer postgres;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void startDatabase()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabase()
    {
        postgres.close();
    }

    @Test
    void upgradesAHive31MetastoreWhileItIsWrittenAndTheHive4EngineServesEveryAcknowledgedWrite()
            throws Exception
    {
        PostgresDatabase database = hive31Metastore("upgrade_live");
        EngineSchemaTool tool = new EngineSchemaTool(database, warehouse);
        long lastHive31Transaction;
        HmsWorkload.Result result;
        MetastoreUpgrade upgrade;
        try (Engine hive31 = tool.host("3.1.0").start(tool.settings("hive31", ""))) {
            fill(hive31.client(), "before", 2, 10);
            HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(hive31.client()), 4, "load");
            upgrade = MetastoreUpgrade.prepare("test-upgrade", database, EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0", tool);
            assertThat(upgrade.copySearchPath()).isEqualTo("ferry_upgrade_copy,public");
            // Written after the copy: statistics (whose ENGINE column Hive 4 added and the upgrade fills) and partitions.
            fill(hive31.client(), "after", 1, 5);
            assertThat(upgrade.catchUp().changes()).isPositive();
            upgrade.verify();
            fill(hive31.client(), "late", 1, 3);
            result = workload.stop();
            lastHive31Transaction = hive31.client().open_txns(new OpenTxnRequest(1, "test", "localhost")).getTxn_ids().get(0);
            hive31.client().commit_txn(new CommitTxnRequest(lastHive31Transaction));

            MetastoreUpgrade.Finish finish = upgrade.finish();
            assertThat(finish.changes()).isPositive();
            try (Engine hive4 = tool.host("4.0.0").start(tool.settings("hive4", upgrade.copySearchPath()))) {
                assertThat(hive4.client().get_all_databases()).contains("before_db0", "after_db0", "late_db0");
                upgrade.switchOver(connection -> {});
                assertThat(upgrade.state()).isEqualTo(MetastoreUpgrade.State.SWITCHED);
                // The same engine reads the tables where they are now.
                assertThat(hive4.client().get_partition_names("late_db0", "t0", (short) -1)).hasSize(3);
            }
        }
        assertThat(result.failures()).isEmpty();
        upgrade.forget();

        try (Engine hive4 = tool.host("4.0.0").start(tool.settings("hive4-public", ""))) {
            ThriftHiveMetastore.Iface client = hive4.client();
            for (Map.Entry<String, Set<String>> table : result.partitions().entrySet()) {
                String[] name = table.getKey().split("\\.");
                assertThat(client.get_partition_names(name[0], name[1], (short) -1)).as(table.getKey())
                        .containsExactlyInAnyOrderElementsOf(table.getValue().stream().map(value -> "part=" + value).toList());
            }
            assertThat(client.get_partition_names("after_db0", "t1", (short) -1)).hasSize(5);
            long next = client.open_txns(new OpenTxnRequest(1, "test", "localhost")).getTxn_ids().get(0);
            assertThat(next).isGreaterThan(lastHive31Transaction);
            client.commit_txn(new CommitTxnRequest(next));
            client.create_database(HmsObjects.database("after_upgrade"));
        }
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"")).isEqualTo("4.0.0");
            assertThat(single(statement, "SELECT count(*) FROM \"TAB_COL_STATS\" WHERE \"ENGINE\" IS DISTINCT FROM 'hive'")).isEqualTo("0");
            assertThat(single(statement, "SELECT count(*) FROM \"TAB_COL_STATS\"")).isEqualTo("8");
            assertThat(single(statement, "SELECT \"SCHEMA_VERSION\" FROM ferry_hive_3_1_0.\"VERSION\"")).isEqualTo("3.1.0");
            assertThat(single(statement, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_upgrade', 'ferry_upgrade_copy')")).isEqualTo("0");
            assertThat(single(statement, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ferry_upgrade%'")).isEqualTo("0");
        }
    }

    @Test
    void aDifferenceTheUpgradeDoesNotExplainStopsItAndAbortLeavesTheLiveMetastoreAsItWas()
            throws Exception
    {
        PostgresDatabase database = hive31Metastore("upgrade_tampered");
        EngineSchemaTool tool = new EngineSchemaTool(database, warehouse);
        try (Engine hive31 = tool.host("3.1.0").start(tool.settings("hive31", ""))) {
            fill(hive31.client(), "before", 1, 10);
            String liveRows = rowCounts(database, "public");
            MetastoreUpgrade upgrade = MetastoreUpgrade.prepare("tampered", database, EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0", tool);
            // The parameters of one of the two tables' partitions go missing from the copy.
            execute(database, """
                    DELETE FROM ferry_upgrade_copy."PARTITION_PARAMS" WHERE "PART_ID" IN (SELECT p."PART_ID" FROM ferry_upgrade_copy."PARTITIONS" p
                    JOIN ferry_upgrade_copy."TBLS" t ON t."TBL_ID" = p."TBL_ID" WHERE t."TBL_NAME" = 't0')""");
            long live = count(database, "public.\"PARTITION_PARAMS\"");
            long copied = count(database, "ferry_upgrade_copy.\"PARTITION_PARAMS\"");
            assertThat(copied).isGreaterThanOrEqualTo(10).isLessThan(live);
            assertThatThrownBy(upgrade::verify)
                    .isInstanceOf(UpgradeException.class)
                    .hasMessageStartingWith("the upgraded copy differs from the live metastore beyond what the upgrade changed: PARTITION_PARAMS: %s rows in the copy, %s live (the upgrade accounts for 0)"
                            .formatted(copied, live))
                    .extracting(e -> ((UpgradeException) e).reason()).isEqualTo(UpgradeException.Reason.VERIFICATION_FAILED);
            upgrade.abort();
            assertThat(upgrade.state()).isEqualTo(MetastoreUpgrade.State.ABORTED);
            assertThat(rowCounts(database, "public")).isEqualTo(liveRows);
            assertNothingOfTheUpgradeLeft(database);
            // The live metastore still serves.
            hive31.client().create_database(HmsObjects.database("after_abort"));
        }
    }

    @Test
    void settleRollsBackAnUpgradeThatHadNotSwitchedAndForgetsOneThatHad()
            throws Exception
    {
        PostgresDatabase database = hive31Metastore("upgrade_interrupted");
        EngineSchemaTool tool = new EngineSchemaTool(database, warehouse);
        assertThat(MetastoreUpgrade.settle(database)).isEqualTo(MetastoreUpgrade.Settled.NOTHING);
        try (Engine hive31 = tool.host("3.1.0").start(tool.settings("hive31", ""))) {
            fill(hive31.client(), "before", 1, 2);
        }
        MetastoreUpgrade.prepare("interrupted", database, EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0", tool);
        // As after a crash: only what is in the database is left.
        assertThat(MetastoreUpgrade.settle(database)).isEqualTo(MetastoreUpgrade.Settled.ROLLED_BACK);
        assertNothingOfTheUpgradeLeft(database);

        MetastoreUpgrade upgrade = MetastoreUpgrade.prepare("switched", database, EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0", tool);
        upgrade.finish();
        upgrade.switchOver(connection -> {});
        assertThat(MetastoreUpgrade.settle(database)).isEqualTo(MetastoreUpgrade.Settled.SWITCHED);
        assertNothingOfTheUpgradeLeft(database);
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"")).isEqualTo("4.0.0");
        }
        assertThatThrownBy(() -> MetastoreUpgrade.prepare("again", database, EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0", tool))
                .isInstanceOf(UpgradeException.class)
                .hasMessage("the own database %s already has schema ferry_hive_3_1_0 or ferry_upgrade_copy: an upgrade from 3.1.0 ran before or is under way", database.jdbcUrl());
    }

    private static PostgresDatabase hive31Metastore(String name)
    {
        PostgresDatabase database = new PostgresDatabase(postgres.createDatabase(name), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        new EngineSchemaTool(database, warehouse).initialize("3.1.0", "");
        return database;
    }

    private static void assertNothingOfTheUpgradeLeft(PostgresDatabase database)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_upgrade', 'ferry_upgrade_copy')")).isEqualTo("0");
            assertThat(single(statement, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ferry_upgrade%'")).isEqualTo("0");
        }
    }

    /** Databases with partitioned tables, their partitions, and column statistics of each table. */
    private static void fill(ThriftHiveMetastore.Iface hms, String prefix, int databases, int partitions)
            throws Exception
    {
        for (int d = 0; d < databases; d++) {
            String database = prefix + "_db" + d;
            hms.create_database(HmsObjects.database(database));
            for (int t = 0; t < 2; t++) {
                Table table = HmsObjects.partitionedTable(database, "t" + t, List.of("day"));
                hms.create_table(table);
                List<Partition> list = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    list.add(HmsObjects.partition(table, List.of("2026-01-%04d".formatted(p))));
                }
                hms.add_partitions(list);
                ColumnStatisticsDesc description = new ColumnStatisticsDesc(true, database, "t" + t);
                LongColumnStatsData data = new LongColumnStatsData(3, 42);
                hms.update_table_column_statistics(new ColumnStatistics(description,
                        List.of(new ColumnStatisticsObj("id", "bigint", ColumnStatisticsData.longStats(data)))));
            }
        }
    }

    private static String rowCounts(PostgresDatabase database, String schema)
            throws SQLException
    {
        StringBuilder counts = new StringBuilder();
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = '%s' ORDER BY 1".formatted(schema))) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            for (String table : tables) {
                counts.append(table).append('=').append(single(statement, "SELECT count(*) FROM %s.\"%s\"".formatted(schema, table))).append(' ');
            }
        }
        return counts.toString();
    }

    private static long count(PostgresDatabase database, String table)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            return Long.parseLong(single(statement, "SELECT count(*) FROM " + table));
        }
    }

    private static void execute(PostgresDatabase database, String sql)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password()); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String single(Statement statement, String sql)
            throws SQLException
    {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
