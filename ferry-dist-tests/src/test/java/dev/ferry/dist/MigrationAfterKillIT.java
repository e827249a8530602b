package dev.ferry.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.control.RestClient;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kill -9} of Ferry while it is MIGRATING: the restarted process comes back MIGRATING, serving from the
 * source, with replication resumed from its checkpoints.
 */
class MigrationAfterKillIT
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @TempDir
    Path work;

    @AfterEach
    void stopLeftovers()
    {
        PostgresProcesses.stopAll(work.resolve("data").resolve("postgres"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void killedWhileMigratingComesBackMigratingServingFromTheSourceWithReplicationResumed(SourceServers.Kind kind)
            throws Exception
    {
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, thriftPort, httpPort);
        RestClient rest = new RestClient(httpPort);

        try (SourceMetastore source = SourceMetastore.start(kind, 2, 30)) {
            String execution;
            String appliedBeforeKill;
            try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
                ferry.awaitReady(httpPort, START_TIMEOUT);
                String token = Files.readString(work.resolve("data").resolve("admin-token")).trim();
                RestClient.Response started = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), work.resolve("bucket")));
                assertThat(started.status()).as(started.text()).isEqualTo(200);
                JsonNode done = awaitDone(rest, token, started.body().get("name").asText());
                assertThat(done.has("error")).as(done.toString()).isFalse();
                execution = done.get("response").get("name").asText();
                // Streaming, with a change applied: a database made through Ferry, which serves from the source.
                try (HmsClient client = HmsClient.connect("127.0.0.1", thriftPort)) {
                    client.api().create_database(HmsObjects.database("before_kill"));
                }
                appliedBeforeKill = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
                        .until(() -> rest.get("/v1/" + execution, token).body().path("replication"),
                                replication -> replication.path("stage").asText().equals("STREAMING") && replication.path("eventsApplied").asLong() > 0)
                        .get("appliedPosition").asText();

                ferry.killJvm(Duration.ofSeconds(30));
            }

            try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
                ferry.awaitReady(httpPort, START_TIMEOUT);
                String token = Files.readString(work.resolve("data").resolve("admin-token")).trim();
                assertThat(ferry.stdout()).contains("Resuming: service " + SERVICE + " is MIGRATING and serves from the source of migration execution");

                JsonNode service = rest.get("/v1/" + SERVICE, token).body();
                assertThat(service.get("state").asText()).isEqualTo("MIGRATING");
                JsonNode running = rest.get("/v1/" + execution, token).body();
                assertThat(running.get("state").asText()).isEqualTo("RUNNING");
                assertThat(running.get("phase").asText()).isEqualTo("REPLICATION");

                try (HmsClient client = HmsClient.connect("127.0.0.1", thriftPort)) {
                    assertThat(client.api().get_all_databases()).containsExactlyInAnyOrder("default", "sales_0", "sales_1", "before_kill");
                    client.api().create_database(HmsObjects.database("after_restart"));
                }
                // The front serves from the source; the new database must reach the own database through replication.
                JsonNode resumed = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
                        .until(() -> rest.get("/v1/" + execution, token).body().path("replication"),
                                replication -> replication.path("stage").asText().equals("STREAMING")
                                        && !replication.path("appliedPosition").asText().isEmpty()
                                        && !replication.path("appliedPosition").asText().equals(appliedBeforeKill));
                assertThat(resumed.path("lastError").isMissingNode()).as(resumed.toString()).isTrue();

                RestClient.Response cancel = rest.post("/v1/" + SERVICE + ":cancelMigration", token, "{}");
                assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
                assertThat(awaitDone(rest, token, cancel.body().get("name").asText()).has("error")).isFalse();
                assertThat(ferry.terminate(Duration.ofMinutes(1))).isEqualTo(143);
            }
        }
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
