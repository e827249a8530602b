package dev.ferry.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.FerryServer;
import dev.ferry.server.control.RestClient;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGKILL of Ferry at each cutover step around the switch record, with a client writing through Ferry: after a
 * restart there is exactly one consistent state, RUNNING/REPLICATION serving from the source before the record,
 * SUCCEEDED serving from the own database after it, and no write the metastore acknowledged is lost. The process
 * stops at the step (the crash-test setting {@value FerryServer#CUTOVER_PAUSE_PROPERTY}) and the test kills it there.
 */
class CutoverCrashIT
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    /** One source per kind, started on first use; each step's run uses a table of its own. */
    private static final Map<SourceServers.Kind, SourceMetastore> sources = new EnumMap<>(SourceServers.Kind.class);
    private Path work;

    private static synchronized SourceMetastore source(SourceServers.Kind kind)
            throws Exception
    {
        SourceMetastore source = sources.get(kind);
        if (source == null) {
            source = SourceMetastore.start(kind, 2, 20);
            sources.put(kind, source);
        }
        return source;
    }

    @AfterAll
    static void stopSources()
    {
        sources.values().forEach(SourceMetastore::close);
    }

    /**
     * Each step against two sources that differ in what matters at a crash (how a position is read back: MariaDB's
     * GTID, MySQL's GTID set, MySQL's file:offset; the fence's locks dying with the process on MariaDB and on MySQL),
     * and every source at least once: the whole 4 x 3 matrix took 18 minutes of a CI run on 2 cores, and running every
     * step against both MariaDB and MySQL 8.0 with GTIDs (8 kills) still took 5.5 minutes.
     */
    static Stream<Arguments> stepsAndSources()
    {
        return Stream.of(
                Arguments.of(SourceServers.Kind.MARIADB_10_11, "BEFORE_SWITCH_RECORD"),
                Arguments.of(SourceServers.Kind.MYSQL_8_0, "BEFORE_SWITCH_RECORD"),
                Arguments.of(SourceServers.Kind.MYSQL_8_0_GTID, "AFTER_SWITCH_RECORD"),
                Arguments.of(SourceServers.Kind.MYSQL_5_7, "AFTER_SWITCH_RECORD"),
                Arguments.of(SourceServers.Kind.MARIADB_10_11, "DURING_RELEASE"),
                Arguments.of(SourceServers.Kind.MYSQL_8_0_GTID, "DURING_RELEASE"));
    }

    @AfterEach
    void stopLeftovers()
    {
        if (work != null) {
            PostgresProcesses.stopAll(work.resolve("data").resolve("postgres"));
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("stepsAndSources")
    void killedAtACutoverStepComesBackInExactlyOneConsistentState(SourceServers.Kind kind, String step)
            throws Exception
    {
        SourceMetastore source = source(kind);
        work = Files.createTempDirectory("ferry-cutover-crash-");
        int thriftPort = FreePorts.next();
        int httpPort = FreePorts.next();
        Path config = FerryProcess.writeConfig(work, thriftPort, httpPort);
        RestClient rest = new RestClient(httpPort);
        String table = "orders_" + step.toLowerCase();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        String execution;

        try (FerryProcess ferry = FerryProcess.start(work, Map.of("FERRY_JAVA_OPTS", "-D%s=%s".formatted(FerryServer.CUTOVER_PAUSE_PROPERTY, step)),
                "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            String token = token();
            RestClient.Response started = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), work.resolve("bucket")));
            assertThat(started.status()).as(started.text()).isEqualTo(200);
            JsonNode running = awaitDone(rest, token, started.body().get("name").asText());
            assertThat(running.has("error")).as(running.toString()).isFalse();
            execution = running.get("response").get("name").asText();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
                    .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));

            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> write(thriftPort, table, acknowledged, writing), "writer");
            writer.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 20);

            RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}");
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> ferry.stdout().contains("Cutover paused at " + step));

            ferry.killJvm(Duration.ofSeconds(30));
            writing.set(false);
            writer.join(30_000);
        }

        // The killed Ferry held the source's fence (its metastore tables locked) from the fence to the release: the
        // server released it with the session, so the source takes writes again without Ferry.
        source.execute(List.of("SET SESSION lock_wait_timeout = 5", "UPDATE VERSION SET VERSION_COMMENT = VERSION_COMMENT"));

        try (FerryProcess ferry = FerryProcess.start(work, "serve", "--config", config.toString())) {
            ferry.awaitReady(httpPort, START_TIMEOUT);
            String token = token();
            JsonNode state = rest.get("/v1/" + execution, token).body();
            String service = rest.get("/v1/" + SERVICE, token).body().get("state").asText();
            JsonNode completeOperation = rest.get("/v1/projects/ferry/locations/local/operations?filter=" + java.net.URLEncoder.encode("metadata.verb = \"complete\"", java.nio.charset.StandardCharsets.UTF_8), token)
                    .body().get("operations").get(0);
            JsonNode operation = await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300))
                    .until(() -> rest.get("/v1/" + completeOperation.get("name").asText(), token).body(), body -> body.path("done").asBoolean());
            state = rest.get("/v1/" + execution, token).body();
            service = rest.get("/v1/" + SERVICE, token).body().get("state").asText();

            String probe = "probe_" + step.toLowerCase();
            try (HmsClient client = HmsClient.connect("127.0.0.1", thriftPort)) {
                client.api().create_database(HmsObjects.database(probe));
                List<String> partitions = client.api().get_partition_names("sales_0", table, (short) -1);
                assertThat(partitions).as("acknowledged partitions").containsAll(acknowledged.stream().map(value -> "day=" + value).toList());
            }
            if (step.equals("BEFORE_SWITCH_RECORD")) {
                assertThat(state.get("state").asText()).isEqualTo("RUNNING");
                assertThat(state.get("phase").asText()).isEqualTo("REPLICATION");
                assertThat(service).isEqualTo("MIGRATING");
                assertThat(operation.get("error").get("message").asText()).contains("cutover interrupted before the switch: the replica running it stopped");
                assertThat(source.hasDatabase(probe)).as("a write after the restart goes to the source").isTrue();
            }
            else {
                assertThat(state.get("state").asText()).isEqualTo("SUCCEEDED");
                assertThat(state.get("phase").asText()).isEqualTo("CUTOVER");
                assertThat(service).isEqualTo("ACTIVE");
                assertThat(operation.has("error")).as(operation.toString()).isFalse();
                assertThat(source.hasDatabase(probe)).as("a write after the restart goes to the own database, not the source").isFalse();
            }
            System.out.printf("cutover from %s killed at %s: %s acknowledged writes, all present; execution %s/%s, service %s%n", kind, step, acknowledged.size(),
                    state.get("state").asText(), state.get("phase").asText(), service);
            assertThat(ferry.terminate(Duration.ofMinutes(1))).isEqualTo(143);
        }
    }

    /** Adds partitions one by one through Ferry; records each one the metastore acknowledged. */
    private static void write(int thriftPort, String tableName, Set<String> acknowledged, AtomicBoolean writing)
    {
        try (HmsClient client = HmsClient.connect("127.0.0.1", thriftPort)) {
            Table table = HmsObjects.partitionedTable("sales_0", tableName, List.of("day"));
            client.api().create_table(table);
            table = client.api().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("sales_0", tableName)).getTable();
            for (int i = 0; writing.get(); i++) {
                String value = "v%05d".formatted(i);
                client.api().add_partition(HmsObjects.partition(table, List.of(value)));
                acknowledged.add(value);
            }
        }
        catch (Exception e) {
            // The kill ends the connection; a call that got no answer was not acknowledged.
        }
    }

    private String token()
            throws Exception
    {
        return Files.readString(work.resolve("data").resolve("admin-token")).trim();
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
