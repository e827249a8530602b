package dev.ferry.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.engine.Engine;
import dev.ferry.server.control.FerryFixture;
import dev.ferry.server.control.LogCapture;
import dev.ferry.server.control.RestClient;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The own engine's write warm-up (ServerEngines#warmWrites) changes nothing in the own database while it is a replica:
 * an own engine started and warmed as completeMigration does, mid-migration, leaves every metastore table's row count,
 * SEQUENCE_TABLE and NOTIFICATION_SEQUENCE as they were, and creates no directory; after the cutover (which warms its
 * own engine the same way) writes succeed with ids above every copied one and event ids that continue the source's.
 */
class OwnEngineWriteWarmUpMariaDbTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @TempDir
    Path directory;

    @Test
    void warmUpWritesNothingAndWritesAfterTheSwitchDoNotCollide()
            throws Exception
    {
        try (LogCapture logs = LogCapture.install();
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 2, 30);
                FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"))) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")));
            assertThat(start.status()).as(start.text()).isEqualTo(200);
            JsonNode started = awaitDone(rest, token, start.body().get("name").asText());
            assertThat(started.has("error")).as(started.toString()).isFalse();
            String execution = started.get("response").get("name").asText();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                    .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
            // The background maintenance's first full verify done: nothing changes the own database now but the warm-up.
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                    .until(() -> !rest.get("/v1/" + execution, token).body().path("replication").path("lastFullVerification").isMissingNode());

            // The standby the cutover will take, rehearsed on a scratch schema, is ready.
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                    .until(() -> logs.lines().stream().anyMatch(line -> line.contains("standby engine") && line.contains("started for the cutover")));
            assertThat(logs.lines()).anyMatch(line -> line.contains("rehearsed writes on the scratch schema"))
                    .noneMatch(line -> line.contains("rehearsal on a scratch schema failed"));

            OwnDatabase own = ferry.server().ownDatabase();
            Map<String, String> before = snapshot(own);
            assertThat(before).containsKeys("rows PARTITIONS", "SEQUENCE_TABLE", "NOTIFICATION_SEQUENCE");
            assertThat(before.get("rows PARTITIONS")).isEqualTo("120");

            int logged = logs.lines().size();
            Path sourceWarehouse;
            try (Engine engine = ferry.server().engines().startOwn()) {
                assertThat(engine.client().get_all_databases()).contains("sales_0", "sales_1");
                // The tables' locations (and the default ones of their partitions) are in the source's warehouse.
                String location = engine.client().get_table_req(new GetTableRequest("sales_0", "orders_0")).getTable().getSd().getLocation();
                sourceWarehouse = (location.startsWith("file:") ? Path.of(java.net.URI.create(location)) : Path.of(location)).getParent().getParent();
            }
            List<String> lines = logs.lines().subList(logged, logs.lines().size());
            String warmed = lines.stream().filter(line -> line.contains("warmed with refused writes")).findFirst().orElseThrow();
            System.out.println(warmed);
            assertThat(warmed).contains("add_partitions (existing)", "add_partitions (listed twice)", "create_table (existing)", "drop_partition (missing)")
                    .doesNotContain("NOT REFUSED");
            assertThat(lines).noneMatch(line -> line.contains("warm-up call") && line.contains("was not refused"));

            assertThat(snapshot(own)).as("the own database after a warmed own engine").isEqualTo(before);

            // A standby's rehearsal writes for real, on a scratch schema that is gone after it: the own database is as it was.
            int beforeRehearsal = logs.lines().size();
            try (Engine engine = ferry.server().engines().startOwnStandby()) {
                assertThat(engine.client().get_all_databases()).contains("sales_0", "sales_1").doesNotContain("ferry_rehearsal");
                assertThat(engine.client().get_partition_names("sales_0", "orders_0", (short) -1)).hasSize(30);
            }
            List<String> rehearsed = logs.lines().subList(beforeRehearsal, logs.lines().size());
            String rehearsal = rehearsed.stream().filter(line -> line.contains("rehearsed writes on the scratch schema")).findFirst().orElseThrow();
            System.out.println(rehearsal);
            assertThat(rehearsal).contains("add_partitions", "alter_partitions", "drop_table", "drop_database");
            assertThat(snapshot(own)).as("the own database after a rehearsed standby engine").isEqualTo(before);
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                    Statement statement = connection.createStatement()) {
                assertThat(single(statement, "SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'ferry\\_rehearsal\\_%'")).as("scratch schemas left").isZero();
            }
            for (Path root : List.of(directory, sourceWarehouse)) {
                assertThat(root).isDirectory();
                try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
                    assertThat(paths.map(Path::toString).filter(path -> path.contains("__ferry_warm_up")).toList()).as("directories of the warm-up's partitions and tables in " + root).isEmpty();
                }
            }

            // The cutover takes the standby, rehearsed and warmed the same way; writes after the switch get fresh ids (the
            // rehearsal's id blocks, taken from the scratch schema's SEQUENCE_TABLE, were dropped).
            RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            JsonNode done = awaitDone(rest, token, complete.body().get("name").asText());
            assertThat(done.has("error")).as(done.toString()).isFalse();
            assertThat(done.get("response").get("state").asText()).isEqualTo("SUCCEEDED");

            long sourcePartitionId = source.queryLong("SELECT MAX(PART_ID) FROM PARTITIONS");
            long sourceSdId = source.queryLong("SELECT MAX(SD_ID) FROM SDS");
            long sourceEventId = source.queryLong("SELECT MAX(EVENT_ID) FROM NOTIFICATION_LOG");
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                Table table = client.api().get_table_req(new GetTableRequest("sales_0", "orders_0")).getTable();
                List<Partition> partitions = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    partitions.add(HmsObjects.partition(table, List.of("after-%02d".formatted(i))));
                }
                assertThat(client.api().add_partitions(partitions)).isEqualTo(20);
                client.api().create_database(HmsObjects.database("after_warm_up"));
                client.api().create_table(HmsObjects.partitionedTable("after_warm_up", "t", List.of("day")));
            }
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                    Statement statement = connection.createStatement()) {
                assertThat(single(statement, "SELECT MIN(\"PART_ID\") FROM \"PARTITIONS\" WHERE \"PART_NAME\" LIKE 'day=after-%'")).isGreaterThan(sourcePartitionId);
                assertThat(single(statement, "SELECT COUNT(*) FROM \"PARTITIONS\"")).isEqualTo(140);
                assertThat(single(statement, "SELECT MAX(\"SD_ID\") FROM \"SDS\"")).isGreaterThan(sourceSdId);
                long first = single(statement, "SELECT MIN(\"EVENT_ID\") FROM \"NOTIFICATION_LOG\"");
                long last = single(statement, "SELECT MAX(\"EVENT_ID\") FROM \"NOTIFICATION_LOG\"");
                assertThat(last).isGreaterThan(sourceEventId);
                assertThat(single(statement, "SELECT COUNT(DISTINCT \"EVENT_ID\") FROM \"NOTIFICATION_LOG\"")).isEqualTo(last - first + 1);
                assertThat(single(statement, "SELECT COUNT(*) FROM \"NOTIFICATION_LOG\"")).isEqualTo(last - first + 1);
            }
        }
    }

    /**
     * Every metastore table's row count (the tables of Hive's schema, upper case, in the schema that holds
     * SEQUENCE_TABLE), and the whole of SEQUENCE_TABLE and NOTIFICATION_SEQUENCE.
     */
    private static Map<String, String> snapshot(OwnDatabase own)
            throws Exception
    {
        Map<String, String> snapshot = new TreeMap<>();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                Statement statement = connection.createStatement()) {
            String schema;
            try (ResultSet rows = statement.executeQuery("SELECT table_schema FROM information_schema.tables WHERE table_name = 'SEQUENCE_TABLE'")) {
                assertThat(rows.next()).isTrue();
                schema = rows.getString(1);
            }
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = '%s'".formatted(schema))) {
                while (rows.next()) {
                    if (rows.getString(1).equals(rows.getString(1).toUpperCase(java.util.Locale.ROOT))) {
                        tables.add(rows.getString(1));
                    }
                }
            }
            for (String table : tables) {
                snapshot.put("rows " + table, Long.toString(single(statement, "SELECT COUNT(*) FROM \"%s\".\"%s\"".formatted(schema, table))));
            }
            for (String table : List.of("SEQUENCE_TABLE", "NOTIFICATION_SEQUENCE")) {
                StringBuilder contents = new StringBuilder();
                try (ResultSet rows = statement.executeQuery("SELECT * FROM \"%s\".\"%s\" ORDER BY 1".formatted(schema, table))) {
                    while (rows.next()) {
                        for (int column = 1; column <= rows.getMetaData().getColumnCount(); column++) {
                            contents.append(rows.getString(column)).append(column == rows.getMetaData().getColumnCount() ? "\n" : " ");
                        }
                    }
                }
                snapshot.put(table, contents.toString());
            }
        }
        return snapshot;
    }

    private static long single(Statement statement, String sql)
            throws Exception
    {
        try (ResultSet rows = statement.executeQuery(sql)) {
            assertThat(rows.next()).isTrue();
            return rows.getLong(1);
        }
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
