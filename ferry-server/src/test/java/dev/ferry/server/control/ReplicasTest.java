package dev.ferry.server.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.FerryStartupException;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Several Ferry processes' worth of servers in this JVM over one external PostgreSQL, as replicas of one service:
 * they start together without racing each other (one schema, one admin token), list each other, refuse an upgrade
 * of the Hive version while another is live, refuse a replica with another encryption key or service name, leave a
 * live replica's rehearsal schema alone, follow a switch another replica recorded, and switch together through a
 * migration from MariaDB: startMigration on one, completeMigration on the other (the first runs it), writes on the
 * other held and never lost.
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
        return replica(name, key, service, url);
    }

    private static FerryFixture replica(String name, String key, String service, String url)
            throws Exception
    {
        Path data = Files.createDirectories(work.resolve(name));
        return FerryFixture.start(data, FerryFixture.replicaYaml(url, key) + """
                service:
                  name: %s
                replicas:
                  heartbeat-interval: 200ms
                  dead-after: 2s
                """.formatted(service));
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

            // While b is live, an upgrade of the Hive version (which the others do not follow yet) is refused on a, naming b.
            RestClient.Response upgrade = a.rest().post("/v1/" + SERVICE + ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
            assertThat(upgrade.status()).as(upgrade.text()).isEqualTo(400);
            assertThat(upgrade.errorStatus()).as(upgrade.text()).isEqualTo("FAILED_PRECONDITION");
            assertThat(upgrade.body().get("error").get("message").asText()).contains("replica " + idB).contains("Stop it");

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
            // store meanwhile): a follows it at its next heartbeat, on an engine of its own on what the record names.
            try (HmsClient client = HmsClient.connect("localhost", a.thriftPort())) {
                client.api().create_database(HmsObjects.database("before_the_switch"));
                long generation = count("SELECT generation FROM ferry_control.service") + 1;
                execute("UPDATE ferry_control.service SET generation = generation + 1");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!a.rest().get("/readyz", null).text().contains("generation " + generation) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(a.rest().get("/readyz", null).text()).as("a's heartbeat read the new record").contains("generation " + generation);
                // Until it follows, its writes are refused (retryably); without following they would be refused for good.
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                boolean written = false;
                while (!written && System.nanoTime() < deadline) {
                    try {
                        client.api().create_database(HmsObjects.database("after_the_switch"));
                        written = true;
                    }
                    catch (MetaException refused) {
                        assertThat(refused.getMessage()).contains("switched to generation " + generation);
                        Thread.sleep(100);
                    }
                    catch (AlreadyExistsException ranBefore) {
                        // A try answered "cannot confirm the outcome" had run.
                        written = true;
                    }
                }
                assertThat(written).as("a follows the switch and takes writes again").isTrue();
                // Several heartbeats later: a replica still on the old generation would be stale by now (503, writes refused).
                Thread.sleep(1_000);
                client.api().create_database(HmsObjects.database("after_the_switch_again"));
                assertThat(client.api().get_all_databases()).contains("before_the_switch", "after_the_switch", "after_the_switch_again");
                RestClient.Response followed = a.rest().get("/readyz", null);
                assertThat(followed.status()).as(followed.text()).isEqualTo(200);
                assertThat(followed.text()).contains("generation " + generation);
            }
        }
    }

    @Test
    void replicasSwitchTogetherThroughAMigration()
            throws Exception
    {
        String database = postgres.createDatabase("migration");
        try (LogCapture logs = LogCapture.install();
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 1, 20);
                FerryFixture a = replica("ma", KEY, SERVICE, database);
                FerryFixture b = replica("mb", KEY, SERVICE, database);
                HmsClient onB = HmsClient.connect("localhost", b.thriftPort());
                HmsClient onA = HmsClient.connect("localhost", a.thriftPort())) {
            String token = Files.exists(a.dataDirectory().resolve("admin-token")) ? a.adminToken() : b.adminToken();
            RestClient.Response start = a.rest().post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), work.resolve("bucket")));
            assertThat(start.status()).as(start.text()).isEqualTo(200);
            JsonNode started = awaitDone(a.rest(), token, start.body().get("name").asText());
            assertThat(started.has("error")).as(started.toString()).isFalse();
            String execution = started.get("response").get("name").asText();

            // b followed a to the source: it lists SOURCE, and what it writes is in the source's database.
            assertThat(backends(a, token)).containsOnly("SOURCE");
            onB.api().create_database(HmsObjects.database("written_on_b_from_the_source"));
            assertThat(source.hasDatabase("written_on_b_from_the_source")).isTrue();
            assertThat(onA.api().get_database("written_on_b_from_the_source").getName()).isEqualTo("written_on_b_from_the_source");

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                    .until(() -> a.rest().get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
            // The migration runs on a; b shows its progress as a publishes it.
            JsonNode progressOnB = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> b.rest().get("/v1/" + execution, token).body().path("replication"), replication -> replication.path("stage").asText().equals("STREAMING"));
            assertThat(progressOnB.path("progressAgeMillis").asLong()).isBetween(0L, 10_000L);
            assertThat(progressOnB.path("backfill").path("rowsCopied").asLong()).isPositive();
            // b starts its engine on the own database now, while the migration streams, not in the cutover.
            java.util.regex.Pattern ahead = java.util.regex.Pattern.compile("Replica (\\w+): engine (\\S+) on the own database started ahead of the cutover");
            java.util.regex.Matcher warm = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> logs.lines().stream().map(ahead::matcher).filter(java.util.regex.Matcher::find).findFirst(), java.util.Optional::isPresent).get();

            // Writers on b through the cutover: their writes are held on b while a switches, then go to the own database.
            AtomicBoolean stop = new AtomicBoolean();
            List<String> acknowledged = new CopyOnWriteArrayList<>();
            List<String> failures = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (HmsClient client = HmsClient.connect("localhost", b.thriftPort())) {
                    for (int i = 0; !stop.get(); i++) {
                        String name = "during_cutover_" + i;
                        try {
                            client.api().create_database(HmsObjects.database(name));
                            acknowledged.add(name);
                        }
                        catch (Exception e) {
                            failures.add(name + ": " + e);
                        }
                    }
                }
            });
            Thread.sleep(300);
            // completeMigration sent to b, which does not run the migration: b accepts it, a runs the cutover.
            RestClient.Response complete = b.rest().post("/v1/" + SERVICE + ":completeMigration", token, "{}");
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            JsonNode completed = awaitDone(b.rest(), token, complete.body().get("name").asText());
            Thread.sleep(300);
            stop.set(true);
            writer.get(1, TimeUnit.MINUTES);
            assertThat(completed.has("error")).as(completed.toString()).isFalse();
            assertThat(failures).as("calls on b that failed through the switch").isEmpty();
            // The cutover's prepare on b took that engine.
            assertThat(logs.lines()).anyMatch(line -> line.contains("Replica %s: ready for generation".formatted(warm.group(1))) && line.contains("(engine %s started in".formatted(warm.group(2))));
            assertThat(acknowledged).isNotEmpty();

            // Both serve from the own database now: what b writes is not in the source, and a reads it.
            assertThat(backends(a, token)).containsOnly("OWN");
            onB.api().create_database(HmsObjects.database("written_on_b_after"));
            assertThat(source.hasDatabase("written_on_b_after")).isFalse();
            List<String> onOwn = onA.api().get_all_databases();
            assertThat(onOwn).contains("written_on_b_from_the_source", "written_on_b_after").containsAll(acknowledged);
        }
    }

    /** The backend each live replica lists, once every one has reported the same generation as the service's record. */
    private static List<String> backends(FerryFixture replica, String token)
    {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<String> backends = new ArrayList<>();
            for (JsonNode listed : replica.rest().get("/v1/" + SERVICE + "/replicas", token).body().get("replicas")) {
                if (listed.get("state").asText().equals("SERVING")) {
                    backends.add(listed.get("backend").asText());
                }
            }
            return backends;
        }, listed -> listed.size() == 2 && listed.stream().distinct().count() == 1);
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
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
