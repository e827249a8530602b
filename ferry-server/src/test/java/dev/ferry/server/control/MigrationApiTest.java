package dev.ferry.server.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.PrometheusText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A managed migration over HTTP, as an operator with the Dataproc Metastore documentation's curl commands runs it:
 * start with the full cloudSqlMigrationConfig body, operations get until done, migrationExecutions get and list,
 * cancel, delete. Every answer is checked field by field against docs/API.md, and the state table of DESIGN.md
 * at every step. The tests run in order: each is one step of one migration's life.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationApiTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String OPERATIONS = "projects/ferry/locations/local/operations";

    @TempDir
    static Path directory;

    private static LogCapture logs;
    private static SourceMetastore source;
    private static FerryFixture ferry;
    private static RestClient rest;
    private static String token;
    private static String startRequestId;
    private static String startOperation;
    private static String execution;
    private static Path bucket;

    @BeforeAll
    static void start()
            throws Exception
    {
        logs = LogCapture.install();
        source = SourceMetastore.start(3, 40);
        ferry = FerryFixture.start(directory.resolve("data"));
        rest = ferry.rest();
        token = ferry.adminToken();
        bucket = directory.resolve("bucket");
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
        if (source != null) {
            source.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    @Test
    @Order(1)
    void serviceIsActiveAndDescribesItself()
    {
        RestClient.Response response = rest.get("/v1/" + SERVICE, token);

        assertThat(response.status()).isEqualTo(200);
        JsonNode service = response.body();
        assertThat(fieldNames(service)).containsExactlyInAnyOrder("name", "uid", "createTime", "updateTime", "state", "endpointUri", "port", "databaseType", "hiveMetastoreConfig");
        assertThat(service.get("name").asText()).isEqualTo(SERVICE);
        assertThat(UUID.fromString(service.get("uid").asText())).isNotNull();
        assertRfc3339(service.get("createTime"));
        assertRfc3339(service.get("updateTime"));
        assertThat(service.get("state").asText()).isEqualTo("ACTIVE");
        assertThat(service.get("endpointUri").asText()).startsWith("thrift://").endsWith(":" + ferry.thriftPort());
        assertThat(service.get("port").asInt()).isEqualTo(ferry.thriftPort());
        assertThat(service.get("databaseType").asText()).isEqualTo("POSTGRESQL");
        assertThat(service.get("hiveMetastoreConfig").get("version").asText()).isEqualTo("4.0.1");

        RestClient.Response list = rest.get("/v1/projects/ferry/locations/local/services", token);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().get("services")).hasSize(1);
        assertThat(list.body().get("services").get(0)).isEqualTo(service);
        assertThat(list.body().has("nextPageToken")).isFalse();
    }

    @Test
    @Order(2)
    void startMigrationAnswersWithAnOperationAndTheServiceIsMigrating()
    {
        startRequestId = UUID.randomUUID().toString();
        RestClient.Response response = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(startRequestId, bucket));

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode operation = response.body();
        assertOperation(operation, "start", SERVICE);
        startOperation = operation.get("name").asText();

        RestClient.Response executions = rest.get("/v1/" + SERVICE + "/migrationExecutions", token);
        assertThat(executions.status()).isEqualTo(200);
        assertThat(executions.body().get("migrationExecutions")).hasSize(1);
        assertThat(executions.body().get("unreachable")).isEmpty();
        JsonNode started = executions.body().get("migrationExecutions").get(0);
        execution = started.get("name").asText();
        assertThat(execution).matches(SERVICE + "/migrationExecutions/[0-9a-f-]{36}");
        // STARTING until the source is connected and the front serves from it, then RUNNING.
        assertThat(started.get("state").asText()).isIn("STARTING", "RUNNING");
        assertThat(started.get("phase").asText()).isEqualTo("REPLICATION");
        assertThat(started.has("endTime")).isFalse();
        assertThat(serviceState()).isEqualTo("MIGRATING");
    }

    @Test
    @Order(3)
    void aRepeatedRequestIdReturnsTheFirstOperationAndStartsNothing()
    {
        RestClient.Response repeat = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(startRequestId, bucket));

        assertThat(repeat.status()).as(repeat.text()).isEqualTo(200);
        assertThat(repeat.body().get("name").asText()).isEqualTo(startOperation);
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions", token).body().get("migrationExecutions")).hasSize(1);

        RestClient.Response reused = rest.post("/v1/" + SERVICE + ":cancelMigration", token, "{\"requestId\": \"%s\"}".formatted(startRequestId));
        assertThat(reused.status()).as(reused.text()).isEqualTo(409);
        assertThat(reused.errorStatus()).isEqualTo("ALREADY_EXISTS");
        assertThat(reused.body().get("error").get("message").asText()).contains("already used for startMigration");
        assertThat(rest.get("/v1/" + execution, token).body().get("state").asText()).isIn("STARTING", "RUNNING");
    }

    @Test
    @Order(4)
    void theStartOperationIsDoneWhenTheExecutionIsRunning()
    {
        JsonNode done = awaitDone(startOperation);

        assertOperation(done, "start", SERVICE);
        assertThat(done.has("error")).as(done.toString()).isFalse();
        assertRfc3339(done.get("metadata").get("endTime"));
        JsonNode response = done.get("response");
        assertThat(response.get("@type").asText()).isEqualTo("type.googleapis.com/google.cloud.metastore.v1.MigrationExecution");
        assertThat(response.get("name").asText()).isEqualTo(execution);
        assertThat(response.get("state").asText()).isEqualTo("RUNNING");
        assertThat(response.get("phase").asText()).isEqualTo("REPLICATION");

        JsonNode running = rest.get("/v1/" + execution, token).body();
        assertThat(fieldNames(running)).contains("name", "createTime", "state", "phase", "cloudSqlMigrationConfig", "replication").doesNotContain("endTime");
        assertThat(running.get("state").asText()).isEqualTo("RUNNING");
        assertThat(running.get("phase").asText()).isEqualTo("REPLICATION");
        assertRfc3339(running.get("createTime"));
        JsonNode connection = running.get("cloudSqlMigrationConfig").get("cloudSqlConnectionConfig");
        assertThat(fieldNames(connection)).containsExactlyInAnyOrder("instanceConnectionName", "ipAddress", "port", "hiveDatabaseName", "username", "proxySubnet", "natSubnet",
                "tls");
        // Ferry's own field (docs/API.md): the TLS mode every connection to the source uses, the default when the body had none.
        assertThat(connection.get("tls").get("mode").asText()).isEqualTo("PREFERRED");
        assertThat(connection.get("instanceConnectionName").asText()).isEqualTo("my-project/us-central1/hms-mysql");
        assertThat(connection.get("ipAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(connection.get("port").asInt()).isEqualTo(source.port());
        assertThat(connection.get("hiveDatabaseName").asText()).isEqualTo(SourceMetastore.DATABASE);
        assertThat(connection.get("username").asText()).isEqualTo(SourceMetastore.USER);
        assertThat(connection.get("proxySubnet").asText()).isEqualTo("proxy-subnet");
        assertThat(connection.get("natSubnet").asText()).isEqualTo("10.20.0.0/29");
        JsonNode cdc = running.get("cloudSqlMigrationConfig").get("cdcConfig");
        assertThat(fieldNames(cdc)).containsExactlyInAnyOrder("username", "vpcNetwork", "subnetIpRange", "reverseProxySubnet", "bucket", "rootPath");
        assertThat(cdc.get("username").asText()).isEqualTo(SourceMetastore.CDC_USER);
        assertThat(cdc.get("vpcNetwork").asText()).isEqualTo("projects/my-project/global/networks/default");
        assertThat(cdc.get("subnetIpRange").asText()).isEqualTo("10.30.0.0/29");
        assertThat(cdc.get("reverseProxySubnet").asText()).isEqualTo("reverse-proxy-subnet");
        assertThat(cdc.get("bucket").asText()).isEqualTo("file://" + bucket.toAbsolutePath());
        assertThat(cdc.get("rootPath").asText()).isEqualTo("/migration");
        assertThat(running.get("replication").get("stage").asText()).isIn("BACKFILL", "STREAMING");
        assertThat(serviceState()).isEqualTo("MIGRATING");
    }

    @Test
    @Order(5)
    void thriftClientsSeeTheSourcesMetadata()
            throws Exception
    {
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_all_databases()).containsExactlyInAnyOrder("default", "sales_0", "sales_1", "sales_2");
            assertThat(client.api().get_partition_names("sales_1", "orders_0", (short) -1)).hasSize(40);
        }
    }

    @Test
    @Order(6)
    void aSecondStartWhileOneRunsIsAFailedPrecondition()
    {
        RestClient.Response second = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), bucket));

        assertThat(second.status()).isEqualTo(400);
        assertThat(second.errorStatus()).isEqualTo("FAILED_PRECONDITION");
        assertThat(second.body().get("error").get("code").asInt()).isEqualTo(400);
        assertThat(second.body().get("error").get("message").asText()).contains(execution).contains("RUNNING");
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions", token).body().get("migrationExecutions")).hasSize(1);
    }

    @Test
    @Order(7)
    void deletingARunningExecutionIsAFailedPrecondition()
    {
        RestClient.Response delete = rest.delete("/v1/" + execution + "?requestId=" + UUID.randomUUID(), token);

        assertThat(delete.status()).isEqualTo(400);
        assertThat(delete.errorStatus()).isEqualTo("FAILED_PRECONDITION");
        assertThat(delete.body().get("error").get("message").asText()).contains("only terminal executions");
        assertThat(rest.get("/v1/" + execution, token).body().get("state").asText()).isEqualTo("RUNNING");
    }

    @Test
    @Order(9)
    void listFiltersOrdersAndPages()
    {
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions?filter=" + encode("state = \"RUNNING\" AND phase = \"REPLICATION\""), token)
                .body().get("migrationExecutions")).hasSize(1);
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions?filter=" + encode("state = \"CANCELLED\" OR createTime < \"2000-01-01T00:00:00Z\""), token)
                .body().get("migrationExecutions")).isEmpty();
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions?orderBy=" + encode("createTime desc") + "&pageSize=5000", token).status()).isEqualTo(200);

        RestClient.Response operations = rest.get("/v1/" + OPERATIONS + "?pageSize=1", token);
        assertThat(operations.status()).isEqualTo(200);
        assertThat(operations.body().get("operations")).hasSize(1);
        assertThat(operations.body().has("nextPageToken")).isFalse();
        assertThat(operations.body().get("operations").get(0).get("name").asText()).isEqualTo(startOperation);
    }

    @Test
    @Order(10)
    void cancelReturnsToAFreshOwnDatabaseAndRemovesTheStagingLog()
            throws Exception
    {
        // Let the backfill finish, so the cancel has transferred rows to delete.
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
        assertThat(ownCount("PARTITIONS")).isEqualTo(3 * 2 * 40);
        Path staging = bucket.resolve("migration").resolve(execution.substring(execution.lastIndexOf('/') + 1));
        assertThat(staging).isDirectory();
        // /metrics reports the migration, read strictly (docs/API.md lists the families).
        PrometheusText migrating = PrometheusText.parse(rest.get("/metrics", null).text());
        assertThat(migrating.value("ferry_service_migrating", Map.of())).contains(1.0);
        assertThat(migrating.value("ferry_replication_stage", Map.of("stage", "STREAMING"))).contains(1.0);
        assertThat(migrating.value("ferry_replication_stage", Map.of("stage", "BACKFILL"))).contains(0.0);
        assertThat(migrating.value("ferry_replication_backfill_rows_copied", Map.of()).orElseThrow()).isPositive();
        assertThat(migrating.value("ferry_replication_backfill_rows_expected", Map.of()).orElseThrow()).isPositive();
        assertThat(migrating.value("ferry_replication_staging_bytes", Map.of())).isPresent();
        assertThat(migrating.value("ferry_write_gate_holding", Map.of())).contains(0.0);

        RestClient.Response cancel = rest.post("/v1/" + SERVICE + ":cancelMigration", token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
        assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
        assertOperation(cancel.body(), "cancel", SERVICE);
        assertThat(rest.get("/v1/" + execution, token).body().get("state").asText()).isIn("CANCELLING", "CANCELLED");

        JsonNode done = awaitDone(cancel.body().get("name").asText());
        assertThat(done.has("error")).as(done.toString()).isFalse();
        assertThat(done.get("response").get("state").asText()).isEqualTo("CANCELLED");

        JsonNode cancelled = rest.get("/v1/" + execution, token).body();
        assertThat(cancelled.get("state").asText()).isEqualTo("CANCELLED");
        assertThat(cancelled.get("phase").asText()).isEqualTo("REPLICATION");
        assertRfc3339(cancelled.get("endTime"));
        assertThat(Instant.parse(cancelled.get("endTime").asText())).isAfter(Instant.parse(cancelled.get("createTime").asText()));
        assertThat(serviceState()).isEqualTo("ACTIVE");
        assertThat(PrometheusText.parse(rest.get("/metrics", null).text()).value("ferry_service_migrating", Map.of())).contains(0.0);

        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_all_databases()).containsExactly("default");
        }
        assertThat(ownCount("PARTITIONS")).isZero();
        assertThat(ownCount("TBLS")).isZero();
        assertThat(ownCount("PARTITION_KEY_VALS")).isZero();
        assertThat(ownCount("DBS")).isEqualTo(1);
        assertThat(staging).doesNotExist();
    }

    @Test
    @Order(11)
    void deleteRemovesTheTerminalExecution()
    {
        RestClient.Response delete = rest.delete("/v1/" + execution + "?requestId=" + UUID.randomUUID(), token);

        assertThat(delete.status()).as(delete.text()).isEqualTo(200);
        JsonNode done = awaitDone(delete.body().get("name").asText());
        assertOperation(done, "delete", execution);
        assertThat(done.get("response").get("@type").asText()).isEqualTo("type.googleapis.com/google.protobuf.Empty");
        RestClient.Response gone = rest.get("/v1/" + execution, token);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.errorStatus()).isEqualTo("NOT_FOUND");
        assertThat(rest.get("/v1/" + SERVICE + "/migrationExecutions", token).body().get("migrationExecutions")).isEmpty();
        assertThat(rest.get("/v1/" + OPERATIONS + "?filter=" + encode("done = true"), token).body().get("operations")).hasSize(3);
    }

    @Test
    @Order(12)
    void completingOrCancellingWithNothingRunningIsAFailedPrecondition()
    {
        RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}");
        assertThat(complete.status()).isEqualTo(400);
        assertThat(complete.errorStatus()).isEqualTo("FAILED_PRECONDITION");
        assertThat(complete.body().get("error").get("message").asText()).contains("runs no migration");
        RestClient.Response cancel = rest.post("/v1/" + SERVICE + ":cancelMigration", token, "");
        assertThat(cancel.status()).isEqualTo(400);
        assertThat(cancel.errorStatus()).isEqualTo("FAILED_PRECONDITION");
    }

    @Test
    @Order(14)
    void noPasswordInAnyResponseLogLineOrControlStoreColumn()
            throws Exception
    {
        List<String> secrets = List.of(SourceMetastore.PASSWORD, SourceMetastore.CDC_PASSWORD);
        List<String> forms = new ArrayList<>();
        for (String secret : secrets) {
            forms.add(secret);
            forms.add(HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(rest.bodies()).hasSizeGreaterThan(20);
        for (String body : rest.bodies()) {
            for (String form : forms) {
                assertThat(body).doesNotContain(form);
            }
        }
        assertThat(logs.lines()).hasSizeGreaterThan(50);
        for (String line : logs.lines()) {
            for (String form : forms) {
                assertThat(line).doesNotContain(form);
            }
        }
        List<String> rows = controlStoreRows();
        assertThat(rows).isNotEmpty();
        for (String row : rows) {
            for (String form : forms) {
                assertThat(row.toLowerCase()).doesNotContain(form.toLowerCase());
            }
        }
    }

    @Test
    @Order(15)
    void aStartTheSourceRefusesEndsFailedWithTheErrorAndTheServiceActive()
            throws Exception
    {
        String body = source.startMigrationBody(UUID.randomUUID().toString(), bucket).replace(SourceMetastore.PASSWORD, "not-the-password");
        RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, body);
        assertThat(start.status()).as(start.text()).isEqualTo(200);

        JsonNode done = awaitDone(start.body().get("name").asText());
        assertThat(done.has("response")).isFalse();
        assertThat(done.get("error").get("code").asInt()).isEqualTo(9);
        assertThat(done.get("error").get("message").asText()).contains(SourceMetastore.USER).containsIgnoringCase("denied");

        JsonNode failed = rest.get("/v1/" + SERVICE + "/migrationExecutions", token).body().get("migrationExecutions").get(0);
        assertThat(failed.get("state").asText()).isEqualTo("FAILED");
        assertThat(failed.get("phase").asText()).isEqualTo("REPLICATION");
        assertThat(failed.get("stateMessage").asText()).isEqualTo(done.get("error").get("message").asText());
        assertRfc3339(failed.get("endTime"));
        assertThat(serviceState()).isEqualTo("ACTIVE");
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_all_databases()).containsExactly("default");
        }
        assertThat(ownCount("DBS")).isEqualTo(1);
        assertThat(rest.delete("/v1/" + failed.get("name").asText(), token).status()).isEqualTo(200);
    }

    private static List<String> controlStoreRows()
            throws SQLException
    {
        OwnDatabase own = ferry.server().ownDatabase();
        List<String> rows = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password()); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet result = statement.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'ferry_control'")) {
                while (result.next()) {
                    tables.add(result.getString(1));
                }
            }
            assertThat(tables).contains("service", "migration_execution", "operation", "request", "token");
            for (String table : tables) {
                try (ResultSet result = statement.executeQuery("SELECT row_to_json(t)::text FROM ferry_control.\"%s\" t".formatted(table))) {
                    while (result.next()) {
                        rows.add(result.getString(1));
                    }
                }
            }
        }
        return rows;
    }

    private static long ownCount(String table)
            throws SQLException
    {
        OwnDatabase own = ferry.server().ownDatabase();
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM \"%s\"".formatted(table))) {
            result.next();
            return result.getLong(1);
        }
    }

    private static JsonNode awaitDone(String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }

    private static void assertOperation(JsonNode operation, String verb, String target)
    {
        assertThat(operation.get("name").asText()).matches(OPERATIONS + "/operation-\\d+-[0-9a-f-]+");
        assertThat(operation.get("done").isBoolean()).isTrue();
        JsonNode metadata = operation.get("metadata");
        assertThat(metadata.get("@type").asText()).isEqualTo("type.googleapis.com/google.cloud.metastore.v1.OperationMetadata");
        assertRfc3339(metadata.get("createTime"));
        assertThat(metadata.get("target").asText()).isEqualTo(target);
        assertThat(metadata.get("verb").asText()).isEqualTo(verb);
        assertThat(metadata.get("requestedCancellation").asBoolean()).isFalse();
        assertThat(metadata.get("apiVersion").asText()).isEqualTo("v1");
        assertThat(operation.has("error") && operation.has("response")).isFalse();
    }

    private static String serviceState()
    {
        return rest.get("/v1/" + SERVICE, token).body().get("state").asText();
    }

    private static void assertRfc3339(JsonNode time)
    {
        assertThat(time).isNotNull();
        assertThat(time.asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
        assertThat(Instant.parse(time.asText())).isBefore(Instant.now().plusSeconds(1));
    }

    private static Set<String> fieldNames(JsonNode node)
    {
        Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String encode(String text)
    {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
