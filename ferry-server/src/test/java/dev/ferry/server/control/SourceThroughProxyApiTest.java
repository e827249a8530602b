package dev.ferry.server.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SocksProxy;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A migration, start to complete, from a MySQL 8.0 source whose host name only a SOCKS5 proxy knows, with Ferry's
 * {@code migration.source-proxy} pointing at it: the front serves from the source through the proxy, replication
 * copies and streams through it, and completeMigration switches to the own database with nothing lost.
 */
class SourceThroughProxyApiTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String HIDDEN_HOST = "hms-mysql.internal";

    @Test
    void aSourceOnlyTheProxyReachesIsMigratedStartToComplete(@TempDir Path directory)
            throws Exception
    {
        try (SocksProxy proxy = SocksProxy.start(Map.of(HIDDEN_HOST, "127.0.0.1"), "ferry-proxy", "Socks-Pa55");
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MYSQL_8_0_GTID, 2, 20);
                FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                          source-proxy:
                            host: %s
                            port: %s
                            username: ferry-proxy
                            password: Socks-Pa55
                        """.formatted(proxy.host(), proxy.port()))) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            String proxied = source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket"))
                    .replace("\"ip_address\": \"127.0.0.1\"", "\"ip_address\": \"%s\"".formatted(HIDDEN_HOST));

            // TLS (the default, PREFERRED, and the server offers it) to a name only the proxy resolves: the binlog
            // client could not start TLS; refused before the front switches, saying what to change.
            JsonNode refused = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":startMigration", token, proxied).body().get("name").asText());
            assertThat(refused.path("error").path("message").asText()).as(refused.toString())
                    .contains("resolves only behind the proxy", "ipAddress", "tls.mode");
            assertThat(refused.path("error").path("details").get(0).path("reason").asText()).isEqualTo("SOURCE_UNREACHABLE");
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");

            // Without TLS (caching_sha2_password by public key retrieval), through the proxy, start to complete.
            String body = source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket"))
                    .replace("\"ip_address\": \"127.0.0.1\"", "\"ip_address\": \"%s\"".formatted(HIDDEN_HOST))
                    .replace("\"nat_subnet\": \"10.20.0.0/29\"", "\"nat_subnet\": \"10.20.0.0/29\", \"tls\": {\"mode\": \"DISABLED\"}");
            JsonNode started = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":startMigration", token, body).body().get("name").asText());
            assertThat(started.has("error")).as(started.toString()).isFalse();
            String execution = started.get("response").get("name").asText();
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250))
                    .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));

            // Served from the source through the proxy: a write through Ferry lands on the source.
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                client.api().create_database(HmsObjects.database("through_proxy"));
                Table table = HmsObjects.partitionedTable("through_proxy", "events", List.of("day"));
                client.api().create_table(table);
                for (int day = 1; day <= 20; day++) {
                    client.api().add_partitions(List.of(HmsObjects.partition(table, List.of("2026-01-%02d".formatted(day)))));
                }
                assertThat(source.hasDatabase("through_proxy")).isTrue();

                JsonNode completed = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}").body().get("name").asText());
                assertThat(completed.has("error")).as(completed.toString()).isFalse();
                JsonNode done = rest.get("/v1/" + execution, token).body();
                assertThat(done.get("state").asText()).isEqualTo("SUCCEEDED");

                // From the own database now: everything written before the switch, and writes go on.
                assertThat(client.api().get_partition_names("through_proxy", "events", (short) -1)).hasSize(20);
                client.api().add_partitions(List.of(HmsObjects.partition(table, List.of("2026-02-01"))));
                assertThat(client.api().get_partition_names("through_proxy", "events", (short) -1)).hasSize(21);
            }
        }
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
