package dev.ferry.server.control;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.replication.staging.ObjectStore;
import dev.ferry.replication.staging.S3ObjectStores;
import dev.ferry.testkit.EmbeddedS3;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A migration that stages to an {@code s3://} bucket of an S3-compatible server (Adobe S3Mock, as a process): a bucket
 * Ferry cannot write is refused before the front switches; one it can holds the staging log while the migration
 * streams, and cancelMigration deletes its objects.
 */
class ObjectStoreStagingApiTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @Test
    void aBucketFerryCannotWriteIsRefusedBeforeTheSwitchAndCancelDeletesTheObjects(@TempDir Path directory)
            throws Exception
    {
        try (EmbeddedS3 s3 = EmbeddedS3.start(Path.of("target", "s3mock", "s3mock.jar"), "staging");
                S3ObjectStores stores = new S3ObjectStores(new S3ObjectStores.Settings(Optional.of(URI.create(s3.endpoint())), "us-east-1", true, Optional.of("ferry"),
                        Optional.of("ferry-secret")));
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 2, 20);
                FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                          object-store:
                            endpoint: %s
                            path-style-access: true
                            access-key-id: ferry
                            secret-access-key: ferry-secret
                        """.formatted(s3.endpoint()))) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();

            // A bucket that does not exist: refused before the front switches, naming it.
            JsonNode refused = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":startMigration", token,
                    source.startMigrationBody(UUID.randomUUID().toString(), "s3://no-such-bucket/ferry")).body().get("name").asText());
            assertThat(refused.path("error").path("code").asInt()).as(refused.toString()).isEqualTo(9);
            assertThat(refused.path("error").path("message").asText()).contains("cannot stage to s3://no-such-bucket/ferry/migration/", "nothing was started");
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");

            // The bucket that exists: the migration streams with its staging log there.
            JsonNode started = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":startMigration", token,
                    source.startMigrationBody(UUID.randomUUID().toString(), "s3://staging/ferry")).body().get("name").asText());
            assertThat(started.has("error")).as(started.toString()).isFalse();
            String execution = started.get("response").get("name").asText();
            String prefix = "ferry/migration/%s/".formatted(execution.substring(execution.lastIndexOf('/') + 1));
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250))
                    .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                client.api().create_database(HmsObjects.database("staged_in_s3"));
                client.api().create_table(HmsObjects.partitionedTable("staged_in_s3", "events", List.of("day")));
            }
            ObjectStore bucket = stores.bucket("staging");
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                    .until(() -> bucket.list(prefix + "segment-").size() >= 1);
            assertThat(bucket.list(prefix).stream().map(ObjectStore.StoredObject::key)).noneMatch(key -> key.contains(".ferry-probe"));

            JsonNode cancelled = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":cancelMigration", token, "{}").body().get("name").asText());
            assertThat(cancelled.has("error")).as(cancelled.toString()).isFalse();
            assertThat(rest.get("/v1/" + execution, token).body().get("state").asText()).isEqualTo("CANCELLED");
            assertThat(bucket.list(prefix)).as("the staging log's objects after cancelMigration").isEmpty();
        }
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
