package dev.ferry.server.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.HmsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * startMigration from a MySQL 8.0 source that misses a precondition: the operation fails with the precondition's
 * reason (google.rpc.ErrorInfo) and a message saying what to run, the execution is FAILED, and the service stays
 * ACTIVE on its own database, which the front still serves and which is unchanged.
 */
class MySqlPreconditionsApiTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @TempDir
    static Path directory;

    private static SourceMetastore ready;
    private static SourceMetastore withoutBinlog;
    private static FerryFixture ferry;

    @BeforeAll
    static void start()
            throws Exception
    {
        ready = SourceMetastore.on(EmbeddedMySql.builder(EmbeddedMySql.Version.MYSQL_8_0).start(), 1, 2);
        withoutBinlog = SourceMetastore.on(EmbeddedMySql.builder(EmbeddedMySql.Version.MYSQL_8_0).withoutBinlog().start(), 1, 2);
        ferry = FerryFixture.start(directory.resolve("ferry"));
    }

    @AfterAll
    static void stop()
    {
        for (AutoCloseable resource : new AutoCloseable[] {ferry, ready, withoutBinlog}) {
            try {
                if (resource != null) {
                    resource.close();
                }
            }
            catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void binlogOffIsRefusedWithItsReason()
            throws Exception
    {
        assertRefused(withoutBinlog.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")), "SOURCE_BINLOG_OFF",
                "log_bin is OFF, needs ON", "turn the binlog on in the server's configuration");
    }

    @Test
    void statementBinlogFormatIsRefusedWithItsReason()
            throws Exception
    {
        ready.execute("SET GLOBAL binlog_format = 'STATEMENT'");
        try {
            assertRefused(ready.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")), "SOURCE_BINLOG_FORMAT",
                    "binlog_format is STATEMENT, needs ROW", "SET GLOBAL binlog_format = 'ROW'");
        }
        finally {
            ready.execute("SET GLOBAL binlog_format = 'ROW'");
        }
    }

    @Test
    void minimalRowImageIsRefusedWithItsReason()
            throws Exception
    {
        ready.execute("SET GLOBAL binlog_row_image = 'MINIMAL'");
        try {
            assertRefused(ready.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")), "SOURCE_BINLOG_ROW_IMAGE",
                    "binlog_row_image is MINIMAL, needs FULL", "SET GLOBAL binlog_row_image = 'FULL'");
        }
        finally {
            ready.execute("SET GLOBAL binlog_row_image = 'FULL'");
        }
    }

    @Test
    void missingGrantsAreRefusedNamingEachAndTheGrantStatements()
            throws Exception
    {
        ready.execute("CREATE USER IF NOT EXISTS 'select_only'@'%' IDENTIFIED BY 'Select-Pa55'");
        ready.execute("GRANT SELECT ON " + SourceMetastore.DATABASE + ".* TO 'select_only'@'%'");
        ready.execute("REVOKE REPLICATION SLAVE ON *.* FROM " + SourceMetastore.CDC_USER);
        try {
            String body = ready.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket"))
                    .replace("\"username\": \"" + SourceMetastore.USER + "\"", "\"username\": \"select_only\"")
                    .replace(SourceMetastore.PASSWORD, "Select-Pa55");
            assertRefused(body, "SOURCE_PRIVILEGES_MISSING",
                    "the reader user 'select_only'@'%' lacks LOCK TABLES on `hms`.* (or RELOAD)",
                    "the CDC user 'ferry_cdc'@'%' lacks REPLICATION SLAVE",
                    "GRANT REPLICATION SLAVE ON *.* TO 'ferry_cdc'@'%';",
                    "GRANT LOCK TABLES ON `hms`.* TO 'select_only'@'%';");
        }
        finally {
            ready.execute("GRANT REPLICATION SLAVE ON *.* TO " + SourceMetastore.CDC_USER);
        }
    }

    private static void assertRefused(String body, String reason, String... messageParts)
            throws Exception
    {
        RestClient rest = ferry.rest();
        String token = ferry.adminToken();
        RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, body);
        assertThat(start.status()).as(start.text()).isEqualTo(200);
        JsonNode done = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + start.body().get("name").asText(), token).body(), node -> node.path("done").asBoolean());

        JsonNode error = done.get("error");
        assertThat(error).as(done.toString()).isNotNull();
        assertThat(error.get("code").asInt()).as("FAILED_PRECONDITION").isEqualTo(9);
        assertThat(error.get("message").asText()).contains(messageParts);
        assertThat(error.get("details").get(0).get("@type").asText()).isEqualTo("type.googleapis.com/google.rpc.ErrorInfo");
        assertThat(error.get("details").get(0).get("reason").asText()).isEqualTo(reason);

        JsonNode execution = rest.get("/v1/" + SERVICE + "/migrationExecutions", token).body().get("migrationExecutions").get(0);
        assertThat(execution.get("state").asText()).isEqualTo("FAILED");
        assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            // The front never served the source, whose metastore holds sales_0: still the own database, unchanged.
            assertThat(client.api().get_all_databases()).containsExactly("default");
        }
        assertThat(rest.delete("/v1/" + execution.get("name").asText(), token).status()).isEqualTo(200);
    }
}
