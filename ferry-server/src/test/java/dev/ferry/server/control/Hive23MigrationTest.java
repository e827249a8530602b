package dev.ferry.server.control;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
 * A Hive 2.3 metastore (schema 2.3.0, made and filled by Hive Metastore 2.3.10) migrated by a Ferry whose
 * own database starts at its configured Hive 4.0: eight HMS clients (Hive 4.0.1's API) call Ferry from before
 * startMigration to after completeMigration; the engine follows the source (Hive 2.3.10 on the source, the own
 * database re-initialised with schema 2.3.0), no call fails, completeMigration's verify at the fence finds no
 * difference (else it fails), every acknowledged write is in the own database, and after the switch and a restart
 * Ferry serves Hive 2.3 from PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Hive23MigrationTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @TempDir
    static Path directory;

    private SourceMetastore source;

    /**
     * The server the Hive 2.3 source metastore runs on. Run from MySQL 8.0 with GTIDs only, not from every source: what
     * differs between Hive versions (engines, schema scripts, the schema mapping) does not depend on the source's
     * dialect (Hive's MySQL scripts make MariaDB's schema too), and each dialect is migrated under clients by the
     * CompleteMigration and ReplicationIntegration classes; the cross product cost CI two minutes for no coverage.
     */
    abstract SourceServers.Kind kind();

    @BeforeAll
    void startSource()
            throws Exception
    {
        source = SourceMetastore.startHive23(kind(), 2, 50);
    }

    @AfterAll
    void stopSource()
    {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void migratesAHive23MetastoreUnderEightClientsAndServesHive23FromPostgresqlAfterARestart(@TempDir Path data)
            throws Exception
    {
        HmsWorkload.Result result;
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
                assertThat(rest.get("/v1/" + SERVICE, token).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("2.3.10");

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
                System.out.printf("Hive 2.3 migration from %s under 8 clients: %s calls, %s failed, write pause %s ms; execution %s%n",
                        kind(), result.totalCalls(), result.failures().size(), succeeded.get("replication").get("writePauseMillis").asLong(), succeeded);
            }
            assertThat(result.failures()).as("failed calls").isEmpty();
            assertThat(result.totalCalls()).isGreaterThan(100);
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");
            assertServesHive23FromOwnDatabase(ferry, result);
        }
        // After a restart the own database's schema decides: still Hive 2.3.
        try (FerryFixture ferry = FerryFixture.start(data)) {
            assertThat(ferry.rest().get("/v1/" + SERVICE, ferry.adminToken()).body().path("hiveMetastoreConfig").path("version").asText()).isEqualTo("2.3.10");
            assertServesHive23FromOwnDatabase(ferry, result);
        }
    }

    private static void assertServesHive23FromOwnDatabase(FerryFixture ferry, HmsWorkload.Result result)
            throws Exception
    {
        OwnDatabase own = ferry.server().ownDatabase();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            try (PreparedStatement select = connection.prepareStatement("SELECT \"SCHEMA_VERSION\" FROM \"VERSION\""); ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("2.3.0");
            }
            // Every write a client had acknowledged is in the own database.
            for (Map.Entry<String, Set<String>> entry : result.partitions().entrySet()) {
                String[] name = entry.getKey().split("\\.");
                assertThat(ownPartitions(connection, name[0], name[1])).as(entry.getKey())
                        .containsAll(entry.getValue().stream().map(value -> "part=" + value).toList());
            }
        }
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_partition_names("sales_1", "orders_1", (short) -1)).hasSize(50);
            String database = "after_" + UUID.randomUUID().toString().substring(0, 8);
            client.api().create_database(HmsObjects.database(database));
            client.api().create_table(HmsObjects.partitionedTable(database, "t", List.of("day")));
            assertThat(client.api().get_table_req(new GetTableRequest(database, "t")).getTable().getTableName()).isEqualTo("t");
            // A method Hive 2.3 does not have, answered as HMS 2.3.10 answers it.
            assertThatThrownBy(() -> client.api().get_stored_procedure(new StoredProcedureRequest("hive", database, "p")))
                    .isInstanceOf(TApplicationException.class)
                    .hasMessage("Invalid method name: 'get_stored_procedure'");
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
