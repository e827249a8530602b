package dev.ferry.server.control;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.CreateDatabaseRequest;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.StoredProcedureRequest;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A Hive 3.1 metastore (schema 3.1.0, made and filled by Hive Metastore 3.1.3) migrated by a Ferry whose
 * own database starts at its configured Hive 4.0: eight HMS clients call Ferry from before startMigration to after
 * completeMigration; the engine follows the source (Hive 3.1.3 on the source, the own database re-initialised with
 * schema 3.1.0), no call fails, every acknowledged write is in the own database, and after the switch and a restart
 * Ferry serves Hive 3.1 from PostgreSQL; upgradeHiveVersion is refused while the migration runs. From MySQL 8.0
 * ({@link #upgradesTheMigratedMetastore()}) upgradeHiveVersion then takes the migrated metastore to Hive 4.0 under
 * eight clients (no call fails) without a write to the source, and Ferry serves Hive 4.0 after another restart. A source at a schema version Ferry has no engine for is refused before the
 * front switches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Hive31MigrationTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @TempDir
    static Path directory;

    private SourceMetastore source;

    /**
     * The server the Hive 3.1 source metastore runs on. Run from MySQL 8.0 with GTIDs only, not from every source: what
     * differs between Hive versions (engines, schema scripts, the schema mapping) does not depend on the source's
     * dialect (Hive's MySQL scripts make MariaDB's schema too), and each dialect is migrated under clients by the
     * CompleteMigration and ReplicationIntegration classes; the cross product cost CI two minutes for no coverage.
     */
    abstract SourceServers.Kind kind();

    /**
     * Whether the migrated metastore is then upgraded to Hive 4.0. The upgrade runs on the own database alone and
     * never touches the source, so one source covers it: MySQL 8.0 ({@link Hive31MigrationMySql80GtidTest}), the
     * source a Hive 3.1 metastore is most often migrated from.
     */
    boolean upgradesTheMigratedMetastore()
    {
        return false;
    }

    @BeforeAll
    void startSource()
            throws Exception
    {
        source = SourceMetastore.startHive31(kind(), 2, 50);
    }

    @AfterAll
    void stopSource()
    {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void migratesAHive31MetastoreUnderEightClientsAndServesHive31FromPostgresqlAfterARestart(@TempDir Path data)
            throws Exception
    {
        HmsWorkload.Result result;
        long pause;
        try (FerryFixture ferry = FerryFixture.start(data)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            assertThat(rest.get("/v1/" + SERVICE, token).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");
            List<HmsClient> connections = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                connections.add(HmsClient.connect("localhost", ferry.thriftPort()));
            }
            AtomicBoolean servingFromSource = new AtomicBoolean();
            try (HmsWorkload workload = HmsWorkload.start(connections::get, 8, "load", servingFromSource::get)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.calls(HmsWorkload.Operation.READ) > 50);
                RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")));
                assertThat(start.status()).as(start.text()).isEqualTo(200);
                JsonNode started = awaitDone(rest, token, start.body().get("name").asText());
                assertThat(started.has("error")).as(started.toString()).isFalse();
                String execution = started.get("response").get("name").asText();
                servingFromSource.set(true);
                assertThat(rest.get("/v1/" + SERVICE, token).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("3.1.3");
                RestClient.Response upgradeWhileMigrating = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
                assertThat(upgradeWhileMigrating.status()).as(upgradeWhileMigrating.text()).isEqualTo(400);
                assertThat(upgradeWhileMigrating.body().path("error").path("status").asText()).isEqualTo("FAILED_PRECONDITION");
                assertThat(upgradeWhileMigrating.body().path("error").path("message").asText())
                        .isEqualTo("migration execution %s is RUNNING; upgrade the Hive version once it is complete or cancelled", execution);

                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                        .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
                Thread.sleep(2_000);

                RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
                assertThat(complete.status()).as(complete.text()).isEqualTo(200);
                JsonNode done = awaitDone(rest, token, complete.body().get("name").asText());
                assertThat(done.has("error")).as(done.toString()).isFalse();
                assertThat(done.get("response").get("state").asText()).isEqualTo("SUCCEEDED");

                Thread.sleep(2_000);
                result = workload.stop();
                JsonNode succeeded = rest.get("/v1/" + execution, token).body();
                pause = succeeded.get("replication").get("writePauseMillis").asLong();
                System.out.printf("Hive 3.1 migration from %s under 8 clients: %s calls, %s failed, write pause %s ms; execution %s%n",
                        kind(), result.totalCalls(), result.failures().size(), pause, succeeded);
            }
            assertThat(result.failures()).as("failed calls").isEmpty();
            assertThat(result.totalCalls()).isGreaterThan(100);
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");
            assertServesHive31FromOwnDatabase(ferry, result);
        }

        // After a restart the own database's schema decides: still Hive 3.1 (engine.version 4.0 applies to a new one).
        String source = sourceFingerprint();
        HmsWorkload.Result upgraded;
        try (FerryFixture ferry = FerryFixture.start(data)) {
            assertThat(ferry.rest().get("/v1/" + SERVICE, ferry.adminToken()).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("3.1.3");
            assertServesHive31FromOwnDatabase(ferry, result);
            if (!upgradesTheMigratedMetastore()) {
                return;
            }

            // Then the migrated metastore is upgraded to Hive 4.0 under eight clients, without a touch on the source.
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            List<HmsClient> connections = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                connections.add(HmsClient.connect("localhost", ferry.thriftPort()));
            }
            try (HmsWorkload workload = HmsWorkload.start(connections::get, 8, "upgrade")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.calls(HmsWorkload.Operation.READ) > 50);
                RestClient.Response upgrade = rest.post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
                assertThat(upgrade.status()).as(upgrade.text()).isEqualTo(200);
                JsonNode done = awaitDone(rest, token, upgrade.body().get("name").asText());
                assertThat(done.has("error")).as(done.toString()).isFalse();
                assertThat(done.path("response").path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");
                Thread.sleep(2_000);
                upgraded = workload.stop();
                System.out.printf("Migrated Hive 3.1 metastore upgraded to Hive 4.0 under 8 clients: %s calls, %s failed, write pause %s ms%n",
                        upgraded.totalCalls(), upgraded.failures().size(), done.path("response").path("hiveVersionUpgrade").path("writePauseMillis").asText());
            }
            assertThat(upgraded.failures()).as("failed calls").isEmpty();
        }
        try (FerryFixture ferry = FerryFixture.start(data)) {
            assertThat(ferry.rest().get("/v1/" + SERVICE, ferry.adminToken()).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");
            OwnDatabase own = ferry.server().ownDatabase();
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
                try (PreparedStatement select = connection.prepareStatement("SELECT \"SCHEMA_VERSION\" FROM \"VERSION\""); ResultSet rows = select.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo("4.0.0");
                }
                for (HmsWorkload.Result acknowledged : List.of(result, upgraded)) {
                    for (Map.Entry<String, Set<String>> entry : acknowledged.partitions().entrySet()) {
                        String[] name = entry.getKey().split("\\.");
                        assertThat(ownPartitions(connection, name[0], name[1])).as(entry.getKey())
                                .containsAll(entry.getValue().stream().map(value -> "part=" + value).toList());
                    }
                }
            }
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                assertThat(client.api().get_partition_names("sales_1", "orders_1", (short) -1)).hasSize(50);
            }
        }
        assertThat(sourceFingerprint()).as("the source after the upgrade").isEqualTo(source);
    }

    /** Every table of the source's metastore database with its checksum, and the source's binlog position: any write changes it. */
    private String sourceFingerprint()
            throws SQLException
    {
        StringBuilder fingerprint = new StringBuilder();
        try (Connection connection = source.server().connect(SourceMetastore.DATABASE); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = '%s' ORDER BY 1".formatted(SourceMetastore.DATABASE))) {
                while (rows.next()) {
                    tables.add("`" + rows.getString(1) + "`");
                }
            }
            try (ResultSet rows = statement.executeQuery("CHECKSUM TABLE " + String.join(", ", tables) + " EXTENDED")) {
                while (rows.next()) {
                    fingerprint.append(rows.getString(1)).append('=').append(rows.getString(2)).append(' ');
                }
            }
            try (ResultSet rows = statement.executeQuery("SHOW MASTER STATUS")) {
                while (rows.next()) {
                    fingerprint.append("binlog ").append(rows.getString(1)).append(':').append(rows.getString(2));
                }
            }
        }
        return fingerprint.toString();
    }

    private static void assertServesHive31FromOwnDatabase(FerryFixture ferry, HmsWorkload.Result result)
            throws Exception
    {
        OwnDatabase own = ferry.server().ownDatabase();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            try (PreparedStatement select = connection.prepareStatement("SELECT \"SCHEMA_VERSION\" FROM \"VERSION\""); ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("3.1.0");
            }
            for (Map.Entry<String, Set<String>> entry : result.partitions().entrySet()) {
                String[] name = entry.getKey().split("\\.");
                assertThat(ownPartitions(connection, name[0], name[1])).as(entry.getKey())
                        .containsAll(entry.getValue().stream().map(value -> "part=" + value).toList());
            }
        }
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_partition_names("sales_1", "orders_1", (short) -1)).hasSize(50);
            // A Hive 4 request method on the Hive 3.1 engine, answered by the front with Hive 3.1's calls.
            String database = "after_" + UUID.randomUUID().toString().substring(0, 8);
            client.api().create_database_req(new CreateDatabaseRequest(database));
            client.api().create_table(HmsObjects.partitionedTable(database, "t", List.of("day")));
            assertThat(client.api().get_table_req(new GetTableRequest(database, "t")).getTable().getTableName()).isEqualTo("t");
            // One Hive 3.1 does not have at all, answered as HMS 3.1.3 answers it.
            assertThatThrownBy(() -> client.api().get_stored_procedure(new StoredProcedureRequest("hive", database, "p")))
                    .isInstanceOf(TApplicationException.class)
                    .hasMessage("Invalid method name: 'get_stored_procedure'");
        }
    }

    @Test
    void refusesASourceOfASchemaVersionWithoutAnEngineBeforeTheFrontSwitches(@TempDir Path data)
            throws Exception
    {
        // Hive 2.1's schema, for which Ferry has no engine (it has one for 2.3.0 since the Hive 2.3 engine is wired in).
        source.execute("UPDATE VERSION SET SCHEMA_VERSION = '2.1.0'");
        try (FerryFixture ferry = FerryFixture.start(data)) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("refused")));
            assertThat(start.status()).as(start.text()).isEqualTo(200);
            JsonNode failed = awaitDone(rest, token, start.body().get("name").asText());
            // FAILED_PRECONDITION
            assertThat(failed.path("error").path("code").asInt()).as(failed.toString()).isEqualTo(9);
            assertThat(failed.path("error").path("details").get(0).path("reason").asText()).as(failed.toString()).isEqualTo("SOURCE_SCHEMA_VERSION_UNSUPPORTED");
            assertThat(failed.path("error").path("message").asText()).isEqualTo(
                    "the source database hms at 127.0.0.1:%s has Hive metastore schema version 2.1.0, which Ferry has no engine for; Ferry runs schema 2.3.0 (Hive 2.3.10), schema 3.1.0 (Hive 3.1.3), schema 4.0.0 (Hive 4.0.1). Upgrade the source metastore to one of them with Hive's schema tool (schematool -upgradeSchemaFrom) first"
                            .formatted(source.port()));
            JsonNode service = rest.get("/v1/" + SERVICE, token).body();
            assertThat(service.get("state").asText()).isEqualTo("ACTIVE");
            assertThat(service.path("hiveMetastoreConfig").path("version").asText()).isEqualTo("4.0.1");
            assertThat(rest.get("/readyz", token).text()).contains("serving from the own engine");
        }
        finally {
            source.execute("UPDATE VERSION SET SCHEMA_VERSION = '3.1.0'");
        }
    }

    private static Set<String> ownPartitions(Connection connection, String database, String table)
            throws Exception
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
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
