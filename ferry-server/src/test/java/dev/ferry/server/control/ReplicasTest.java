package dev.ferry.server.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.FerryStartupException;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several Ferry processes' worth of servers in this JVM over one external PostgreSQL, as replicas of one service:
 * they start together without racing each other (one schema, one admin token), list each other, refuse a switch of
 * the backend while another is live, refuse a replica with another encryption key or service name, and leave a live
 * replica's rehearsal schema alone.
 */
class ReplicasTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    static Path work;
    private static EmbeddedPostgresServer postgres;
    private static String url;

    @BeforeAll
    static void startPostgres()
    {
        postgres = EmbeddedPostgresServer.start();
        url = postgres.createDatabase("ferry");
    }

    @AfterAll
    static void stopPostgres()
    {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static FerryFixture replica(String name, String key, String service)
            throws Exception
    {
        Path data = Files.createDirectories(work.resolve(name));
        return FerryFixture.start(data, """
                own-database:
                  url: "%s"
                  user: %s
                  password: %s
                security:
                  encryption-key: "%s"
                service:
                  name: %s
                replicas:
                  heartbeat-interval: 200ms
                  dead-after: 2s
                """.formatted(url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, key, service));
    }

    @Test
    void replicasShareOneControlStore()
            throws Exception
    {
        // Two start at once on an empty database: one creates the metastore schema and the admin token, the other waits.
        CompletableFuture<FerryFixture> startingA = CompletableFuture.supplyAsync(() -> start("a"));
        CompletableFuture<FerryFixture> startingB = CompletableFuture.supplyAsync(() -> start("b"));
        try (FerryFixture a = startingA.get(5, TimeUnit.MINUTES); FerryFixture b = startingB.get(5, TimeUnit.MINUTES)) {
            assertThat(count("SELECT count(*) FROM ferry_control.token")).isEqualTo(1);
            List<FerryFixture> withToken = new ArrayList<>();
            for (FerryFixture replica : List.of(a, b)) {
                if (Files.exists(replica.dataDirectory().resolve("admin-token"))) {
                    withToken.add(replica);
                }
            }
            assertThat(withToken).hasSize(1);
            String token = withToken.get(0).adminToken();
            String idA = a.server().replicaId();
            String idB = b.server().replicaId();

            // Each lists both, and says which one answers.
            for (FerryFixture replica : List.of(a, b)) {
                JsonNode replicas = replica.rest().get("/v1/" + SERVICE + "/replicas", token).body().get("replicas");
                assertThat(replicas).hasSize(2);
                for (JsonNode listed : replicas) {
                    String id = listed.get("name").asText().substring((SERVICE + "/replicas/").length());
                    assertThat(id).isIn(idA, idB);
                    assertThat(listed.get("state").asText()).isEqualTo("SERVING");
                    assertThat(listed.get("backend").asText()).isEqualTo("OWN");
                    assertThat(listed.get("gate").asText()).isEqualTo("OPEN");
                    assertThat(listed.get("endpointUri").asText()).endsWith(":" + (id.equals(idA) ? a.thriftPort() : b.thriftPort()));
                    assertThat(listed.get("thisReplica").asBoolean()).isEqualTo(id.equals(replica.server().replicaId()));
                }
                RestClient.Response ready = replica.rest().get("/readyz", null);
                assertThat(ready.status()).isEqualTo(200);
                assertThat(ready.text()).contains("of 2 live");
            }

            // While b is live, a switch of the backend is refused on a, naming b.
            RestClient.Response start = a.rest().post("/v1/" + SERVICE + ":startMigration", token, startBody());
            assertThat(start.status()).isEqualTo(400);
            assertThat(start.errorStatus()).as(start.text()).isEqualTo("FAILED_PRECONDITION");
            assertThat(start.body().get("error").get("message").asText()).contains("replica " + idB).contains("Stop it");
            RestClient.Response cancel = a.rest().post("/v1/" + SERVICE + ":cancelMigration", token, "{}");
            assertThat(cancel.errorStatus()).isEqualTo("FAILED_PRECONDITION");
            assertThat(cancel.body().get("error").get("message").asText()).contains("replica " + idB);
            assertThat(count("SELECT count(*) FROM ferry_control.migration_execution")).isZero();

            // A replica with another key, or another service name, is refused while they are live.
            assertThatThrownBy(() -> replica("c", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                    27, 28, 29, 30, 31, 32}), SERVICE))
                    .isInstanceOf(FerryStartupException.class)
                    .hasMessageContaining("encryption key");
            assertThatThrownBy(() -> replica("d", KEY, "projects/ferry/locations/local/services/other"))
                    .isInstanceOf(FerryStartupException.class)
                    .hasMessageContaining("service.name projects/ferry/locations/local/services/other");

            // A third replica starting leaves the scratch schema of live a's rehearsal, and drops those no live replica runs.
            execute("CREATE SCHEMA ferry_rehearsal_%s_0000aaaa".formatted(idA));
            execute("CREATE SCHEMA ferry_rehearsal_0123456789ab_0000bbbb");
            execute("CREATE SCHEMA ferry_rehearsal_0123456789abcdef");
            try (FerryFixture e = replica("e", KEY, SERVICE)) {
                assertThat(count("SELECT count(*) FROM pg_namespace WHERE nspname = 'ferry_rehearsal_%s_0000aaaa'".formatted(idA))).isEqualTo(1);
                assertThat(count("SELECT count(*) FROM pg_namespace WHERE nspname IN ('ferry_rehearsal_0123456789ab_0000bbbb', 'ferry_rehearsal_0123456789abcdef')")).isZero();
                assertThat(e.rest().get("/v1/" + SERVICE + "/replicas", token).body().get("replicas")).hasSize(3);
            }
            execute("DROP SCHEMA ferry_rehearsal_%s_0000aaaa".formatted(idA));

            // b stops cleanly: listed STOPPED, and a may switch again (the request now fails on what it is about).
            b.close();
            JsonNode afterStop = a.rest().get("/v1/" + SERVICE + "/replicas", token).body().get("replicas");
            for (JsonNode listed : afterStop) {
                if (listed.get("name").asText().endsWith(idB)) {
                    assertThat(listed.get("state").asText()).isEqualTo("STOPPED");
                }
            }
            RestClient.Response cancelAlone = a.rest().post("/v1/" + SERVICE + ":cancelMigration", token, "{}");
            assertThat(cancelAlone.errorStatus()).isEqualTo("FAILED_PRECONDITION");
            assertThat(cancelAlone.body().get("error").get("message").asText()).contains("runs no migration");
            // a's next heartbeat counts only itself.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!a.rest().get("/readyz", null).text().contains("of 1 live") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(a.rest().get("/readyz", null).text()).contains("of 1 live");

            // Another replica records a switch of the backend that a did not make (as when a was cut off from the control
            // store meanwhile): a refuses writes at its next heartbeat, still answers reads, and is not ready.
            try (HmsClient client = HmsClient.connect("localhost", a.thriftPort())) {
                client.api().create_database(HmsObjects.database("before_the_switch"));
                execute("UPDATE ferry_control.service SET generation = generation + 1");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (a.rest().get("/readyz", null).status() == 200 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                RestClient.Response stale = a.rest().get("/readyz", null);
                assertThat(stale.status()).isEqualTo(503);
                assertThat(stale.text()).contains("without this replica");
                assertThatThrownBy(() -> client.api().create_database(HmsObjects.database("after_the_switch")))
                        .isInstanceOf(MetaException.class)
                        .hasMessageContaining("Ferry refused the write create_database")
                        .hasMessageContaining("switched to generation");
                assertThat(client.api().get_all_databases()).contains("before_the_switch").doesNotContain("after_the_switch");
            }
        }
    }

    private static FerryFixture start(String name)
    {
        try {
            return replica(name, KEY, SERVICE);
        }
        catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String startBody()
    {
        return """
                {"requestId": "%s", "migrationExecution": {"cloudSqlMigrationConfig": {
                  "cloudSqlConnectionConfig": {"instanceConnectionName": "my-project/us-central1/hms-mysql", "hiveDatabaseName": "hms", "ipAddress": "127.0.0.1", "port": 1,
                    "username": "hive", "password": "secret"},
                  "cdcConfig": {"username": "cdc", "password": "secret"}}}}""".formatted(UUID.randomUUID());
    }

    private static long count(String query)
            throws Exception
    {
        try (Connection connection = postgres.connect("ferry"); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void execute(String sql)
            throws Exception
    {
        try (Connection connection = postgres.connect("ferry"); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
