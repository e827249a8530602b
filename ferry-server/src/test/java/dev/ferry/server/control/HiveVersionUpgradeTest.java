package dev.ferry.server.control;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.control.ControlPlane;
import dev.ferry.server.FerryServer;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import org.apache.hadoop.hive.metastore.api.ColumnStatistics;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsData;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsDesc;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsObj;
import org.apache.hadoop.hive.metastore.api.LongColumnStatsData;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Ferry serving Hive 3.1 ({@code engine.version: "3.1"}) from its own PostgreSQL upgraded to Hive 4.0 with
 * upgradeHiveVersion while eight HMS clients call it: no call fails, every acknowledged write is in the upgraded
 * metastore, the write pause of the switch is reported, and after a restart Ferry serves Hive 4.0 (engine.version
 * 3.1 applies to a new own database only). Refused when the version is not newer or already the newest. An upgrade
 * stopped before its switch is rolled back at the next start, one stopped after it finished.
 */
class HiveVersionUpgradeTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String HIVE31 = """
            engine:
              version: "3.1"
            """;

    @Test
    void upgradesAServiceOfHive31ToHive40UnderEightClientsAndServesHive40AfterARestart(@TempDir Path data)
            throws Exception
    {
        HmsWorkload.Result result;
        try (FerryFixture ferry = FerryFixture.start(data, HIVE31)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            assertThat(hiveVersion(rest, token)).isEqualTo("3.1.3");
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                fill(client, "kept", 20);
            }
            RestClient.Response notNewer = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"3.1\"}");
            assertThat(notNewer.status()).as(notNewer.text()).isEqualTo(400);
            assertThat(notNewer.body().path("error").path("status").asText()).isEqualTo("FAILED_PRECONDITION");
            assertThat(notNewer.body().path("error").path("message").asText()).isEqualTo(
                    "Hive 3.1.3 (metastore schema 3.1.0) is not newer than the Hive 3.1.3 (schema 3.1.0) service %s runs; an upgrade goes to a newer version only", SERVICE);
            RestClient.Response unknown = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.1\"}");
            assertThat(unknown.status()).as(unknown.text()).isEqualTo(400);
            assertThat(unknown.body().path("error").path("status").asText()).isEqualTo("INVALID_ARGUMENT");

            List<HmsClient> connections = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                connections.add(HmsClient.connect("localhost", ferry.thriftPort()));
            }
            long pause;
            try (HmsWorkload workload = HmsWorkload.start(connections::get, 8, "load")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.calls(HmsWorkload.Operation.READ) > 50);
                RestClient.Response upgrade = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token,
                        "{\"hiveVersion\": \"4.0\", \"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
                assertThat(upgrade.status()).as(upgrade.text()).isEqualTo(200);
                assertThat(upgrade.body().path("metadata").path("verb").asText()).isEqualTo("upgrade");
                RestClient.Response second = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
                assertThat(second.status()).as(second.text()).isEqualTo(400);
                assertThat(second.body().path("error").path("status").asText()).isEqualTo("FAILED_PRECONDITION");

                JsonNode done = awaitDone(rest, token, upgrade.body().get("name").asText());
                assertThat(done.has("error")).as(done.toString()).isFalse();
                JsonNode response = done.get("response");
                assertThat(response.path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");
                assertThat(response.path("hiveVersionUpgrade").path("state").asText()).isEqualTo("SUCCEEDED");
                assertThat(response.path("hiveVersionUpgrade").path("fromSchemaVersion").asText()).isEqualTo("3.1.0");
                assertThat(response.path("hiveVersionUpgrade").path("toSchemaVersion").asText()).isEqualTo("4.0.0");
                assertThat(response.path("hiveVersionUpgrade").has("writePauseMillis")).as(response.toString()).isTrue();
                pause = response.path("hiveVersionUpgrade").path("writePauseMillis").asLong();

                Thread.sleep(2_000);
                result = workload.stop();
                System.out.printf("Hive version upgrade 3.1 -> 4.0 under 8 clients: %s calls, %s failed, write pause %s ms; %s%n",
                        result.totalCalls(), result.failures().size(), pause, response);
            }
            assertThat(result.failures()).as("failed calls").isEmpty();
            assertThat(result.totalCalls()).isGreaterThan(100);
            assertThat(pause).isLessThan(10_000);
            JsonNode service = rest.get("/v1/" + SERVICE, token).body();
            assertThat(service.path("state").asText()).isEqualTo("ACTIVE");
            assertThat(service.path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");

            RestClient.Response newest = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
            assertThat(newest.status()).as(newest.text()).isEqualTo(400);
            assertThat(newest.body().path("error").path("message").asText()).isEqualTo(
                    "service %s already runs Hive 4.0.1 (metastore schema 4.0.0), the newest version Ferry runs; there is nothing to upgrade to", SERVICE);
            assertUpgradedOwnDatabase(ferry, result);
        }

        try (FerryFixture ferry = FerryFixture.start(data, HIVE31)) {
            assertThat(hiveVersion(ferry.rest(), ferry.adminToken())).isEqualTo("4.0.1");
            assertUpgradedOwnDatabase(ferry, result);
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                assertThat(client.api().get_partition_names("kept", "t0", (short) -1)).hasSize(20);
                client.api().create_database(HmsObjects.database("after_restart"));
            }
        }
    }

    /**
     * Ferry stopped while an upgrade holds writes (the crash-test setting {@value FerryServer#CUTOVER_PAUSE_PROPERTY}
     * stops it there; a stop leaves the databases as a crash would): before the switch's transaction the next start
     * rolls the upgrade back and serves Hive 3.1 as before; after it, the next start finishes it and serves Hive 4.0.
     */
    @Test
    void anUpgradeStoppedBeforeItsSwitchIsRolledBackAndOneStoppedAfterItIsFinishedAtTheNextStart(@TempDir Path data)
            throws Exception
    {
        String rolledBack = interruptedUpgrade(data, ControlPlane.CutoverStep.UPGRADE_BEFORE_SWITCH);
        try (FerryFixture ferry = FerryFixture.start(data, HIVE31)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            assertThat(hiveVersion(rest, token)).isEqualTo("3.1.3");
            assertThat(rest.get("/v1/" + SERVICE, token).body().path("state").asText()).isEqualTo("ACTIVE");
            JsonNode operation = rest.get("/v1/" + rolledBack, token).body();
            assertThat(operation.path("done").asBoolean()).as(operation.toString()).isTrue();
            assertThat(operation.path("error").path("code").asInt()).as(operation.toString()).isEqualTo(10);
            assertThat(operation.path("error").path("message").asText()).isEqualTo(
                    "upgrade to Hive 4.0.1 interrupted by a restart before the switch and rolled back; Hive 3.1.3 serves the metastore as before: call upgradeHiveVersion again");
            OwnDatabase own = ferry.server().ownDatabase();
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
                assertThat(single(connection, "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"")).isEqualTo("3.1.0");
                assertThat(single(connection, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_upgrade', 'ferry_upgrade_copy', 'ferry_hive_3_1_0')")).isEqualTo("0");
                assertThat(single(connection, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ferry_upgrade%'")).isEqualTo("0");
            }
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                assertThat(client.api().get_partition_names("kept", "t0", (short) -1)).hasSize(20);
                client.api().create_database(HmsObjects.database("after_rollback"));
            }
        }

        String finished = interruptedUpgrade(data, ControlPlane.CutoverStep.UPGRADE_AFTER_SWITCH);
        try (FerryFixture ferry = FerryFixture.start(data, HIVE31)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            assertThat(hiveVersion(rest, token)).isEqualTo("4.0.1");
            JsonNode operation = rest.get("/v1/" + finished, token).body();
            assertThat(operation.path("done").asBoolean()).as(operation.toString()).isTrue();
            assertThat(operation.has("error")).as(operation.toString()).isFalse();
            assertThat(operation.path("response").path("hiveVersionUpgrade").path("state").asText()).isEqualTo("SUCCEEDED");
            OwnDatabase own = ferry.server().ownDatabase();
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
                assertThat(single(connection, "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"")).isEqualTo("4.0.0");
                assertThat(single(connection, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_upgrade', 'ferry_upgrade_copy')")).isEqualTo("0");
            }
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                assertThat(client.api().get_partition_names("kept", "t0", (short) -1)).hasSize(20);
                assertThat(client.api().get_all_databases()).contains("after_rollback");
            }
        }
    }

    /** Starts an upgrade on a Ferry that stops at the step, stops Ferry there, and returns the upgrade's operation. */
    private static String interruptedUpgrade(Path data, ControlPlane.CutoverStep step)
            throws Exception
    {
        System.setProperty(FerryServer.CUTOVER_PAUSE_PROPERTY, step.name());
        try (LogCapture log = LogCapture.install(); FerryFixture ferry = FerryFixture.start(data, HIVE31)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            // The first of the two upgrades of the test: the metastore gets its data.
            if (step == ControlPlane.CutoverStep.UPGRADE_BEFORE_SWITCH) {
                try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                    fill(client, "kept", 20);
                }
            }
            RestClient.Response upgrade = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
            assertThat(upgrade.status()).as(upgrade.text()).isEqualTo(200);
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                    .until(() -> log.lines().stream().anyMatch(line -> line.contains("Hive version upgrade paused at " + step)));
            assertThat(rest.get("/v1/" + upgrade.body().get("name").asText(), token).body().path("done").asBoolean()).isFalse();
            return upgrade.body().get("name").asText();
        }
        finally {
            System.clearProperty(FerryServer.CUTOVER_PAUSE_PROPERTY);
        }
    }

    private static String hiveVersion(RestClient rest, String token)
    {
        return rest.get("/v1/" + SERVICE, token).body().path("hiveMetastoreConfig").path("version").asText();
    }

    /** A database with two partitioned tables, their partitions and column statistics (which Hive 4 gives an ENGINE). */
    private static void fill(HmsClient client, String database, int partitions)
            throws Exception
    {
        client.api().create_database(HmsObjects.database(database));
        for (int t = 0; t < 2; t++) {
            Table table = HmsObjects.partitionedTable(database, "t" + t, List.of("day"));
            client.api().create_table(table);
            List<Partition> list = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                list.add(HmsObjects.partition(table, List.of("2026-01-%04d".formatted(p))));
            }
            client.api().add_partitions(list);
            client.api().update_table_column_statistics(new ColumnStatistics(new ColumnStatisticsDesc(true, database, "t" + t),
                    List.of(new ColumnStatisticsObj("id", "bigint", ColumnStatisticsData.longStats(new LongColumnStatsData(3, 42))))));
        }
    }

    /** Schema 4.0.0 live, 3.1.0 kept aside, no upgrade bookkeeping left, every acknowledged partition there. */
    private static void assertUpgradedOwnDatabase(FerryFixture ferry, HmsWorkload.Result result)
            throws SQLException
    {
        OwnDatabase own = ferry.server().ownDatabase();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            assertThat(single(connection, "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"")).isEqualTo("4.0.0");
            assertThat(single(connection, "SELECT \"SCHEMA_VERSION\" FROM ferry_hive_3_1_0.\"VERSION\"")).isEqualTo("3.1.0");
            assertThat(single(connection, "SELECT count(*) FROM \"TAB_COL_STATS\" WHERE \"ENGINE\" = 'hive'")).isEqualTo("2");
            assertThat(single(connection, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_upgrade', 'ferry_upgrade_copy')")).isEqualTo("0");
            assertThat(single(connection, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ferry_upgrade%'")).isEqualTo("0");
            for (Map.Entry<String, Set<String>> entry : result.partitions().entrySet()) {
                String[] name = entry.getKey().split("\\.");
                assertThat(partitions(connection, name[0], name[1])).as(entry.getKey())
                        .containsExactlyInAnyOrderElementsOf(entry.getValue().stream().map(value -> "part=" + value).toList());
            }
        }
    }

    private static String single(Connection connection, String sql)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(sql); ResultSet rows = select.executeQuery()) {
            assertThat(rows.next()).as(sql).isTrue();
            return rows.getString(1);
        }
    }

    private static Set<String> partitions(Connection connection, String database, String table)
            throws SQLException
    {
        Set<String> names = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT p."PART_NAME" FROM "PARTITIONS" p JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
                WHERE d."NAME" = ? AND t."TBL_NAME" = ?""")) {
            select.setString(1, database);
            select.setString(2, table);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
