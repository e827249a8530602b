package dev.ferry.dist;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.EmbeddedS3;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.IMetaStoreClient;
import org.apache.hadoop.hive.metastore.RetryingMetaStoreClient;
import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three {@code bin/ferry serve} processes over one PostgreSQL, as replicas of one service: they start at once (one
 * creates the schema and the admin token), list each other, serve HMS clients that know all three URIs; when one is
 * SIGKILLed its clients fail over to another URI as HMS clients do and no acknowledged write is lost; the others
 * show it UNREACHABLE; one stopped with SIGSTOP is UNREACHABLE until SIGCONT; and an upgrade of the Hive version is
 * refused while another replica is live, since replicas do not yet upgrade together.
 */
class ReplicasIT
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final Duration DEAD_AFTER = Duration.ofSeconds(3);
    /** Partitions generated in the source of the takeover during the backfill: 1,050,000 rows, a backfill of seconds. */
    private static final int GENERATED_PARTITIONS = 150_000;
    private static final ObjectMapper json = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path work;

    private record Replica(String name, Path directory, int thriftPort, int httpPort) {}

    @Test
    void threeReplicasOverOnePostgreSql()
            throws Exception
    {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            String url = postgres.createDatabase("ferry");
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            List<Replica> replicas = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                replicas.add(replica("r" + i, url, Base64.getEncoder().encodeToString(key)));
            }
            Map<Replica, FerryProcess> processes = new HashMap<>();
            Replica stopped = null;
            try {
                for (Replica replica : replicas) {
                    processes.put(replica, FerryProcess.start(replica.directory(), "serve", "--config", replica.directory().resolve("ferry.yaml").toString()));
                }
                for (Replica replica : replicas) {
                    processes.get(replica).awaitReady(replica.httpPort(), Duration.ofMinutes(4));
                }
                List<Path> tokens = replicas.stream().map(replica -> replica.directory().resolve("data/admin-token")).filter(Files::exists).toList();
                assertThat(tokens).as("one admin token, made by the replica that started first").hasSize(1);
                String token = Files.readString(tokens.get(0)).trim();

                for (Replica replica : replicas) {
                    JsonNode listed = replicas(replica, token);
                    assertThat(listed).hasSize(3);
                    assertThat(states(listed).values()).containsOnly("SERVING");
                    assertThat(ports(listed)).containsExactlyInAnyOrder(replicas.get(0).thriftPort(), replicas.get(1).thriftPort(), replicas.get(2).thriftPort());
                }

                // Clients that know all three URIs (each prefers another) write while replica r0 is killed.
                AtomicBoolean writing = new AtomicBoolean(true);
                AtomicBoolean killed = new AtomicBoolean();
                Set<String> afterKillByR0sClient = ConcurrentHashMap.newKeySet();
                Set<String> acknowledged = ConcurrentHashMap.newKeySet();
                Set<String> existedOnRetry = ConcurrentHashMap.newKeySet();
                List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                IMetaStoreClient setup = client(replicas, 2);
                setup.createDatabase(HmsObjects.database("replicated"));
                setup.close();
                ExecutorService clients = Executors.newFixedThreadPool(3);
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    int number = c;
                    running.add(clients.submit(() -> {
                        IMetaStoreClient client = client(replicas, number);
                        try {
                            for (int n = 0; writing.get(); n++) {
                                String table = "t_%s_%s".formatted(number, n);
                                try {
                                    boolean afterKill = killed.get();
                                    client.createTable(HmsObjects.partitionedTable("replicated", table, List.of("day")));
                                    acknowledged.add(table);
                                    if (afterKill && number == 0) {
                                        afterKillByR0sClient.add(table);
                                    }
                                }
                                catch (AlreadyExistsException e) {
                                    // A retry on another URI of a call whose answer was lost with its replica.
                                    existedOnRetry.add(table);
                                }
                                catch (Exception e) {
                                    failures.add(table + ": " + e);
                                }
                            }
                        }
                        finally {
                            client.close();
                        }
                        return null;
                    }));
                }
                Thread.sleep(3_000);
                processes.get(replicas.get(0)).killJvm(Duration.ofSeconds(30));
                killed.set(true);
                Thread.sleep(5_000);
                writing.set(false);
                for (Future<?> client : running) {
                    client.get(2, TimeUnit.MINUTES);
                }
                clients.shutdown();
                assertThat(failures).as("failed client calls").isEmpty();
                assertThat(acknowledged).hasSizeGreaterThan(10);
                assertThat(afterKillByR0sClient).as("writes of the client that preferred r0, after r0 was killed (it failed over)").isNotEmpty();
                IMetaStoreClient reader = client(replicas, 1);
                Set<String> tables = Set.copyOf(reader.getAllTables("replicated"));
                reader.close();
                assertThat(tables).containsAll(acknowledged).containsAll(existedOnRetry);

                // r0 died without a clean stop: UNREACHABLE once unseen for dead-after.
                Replica r0 = replicas.get(0);
                Replica r1 = replicas.get(1);
                Replica r2 = replicas.get(2);
                awaitState(r2, token, r0, "UNREACHABLE");

                // While r1 is live, an upgrade of the Hive version (which replicas do not do together yet) is refused on r2, naming r1.
                HttpResponse<String> upgrade = post(r2, ":upgradeHiveVersion", token, "{\"hiveVersion\": \"4.0\"}");
                assertThat(upgrade.statusCode()).as(upgrade.body()).isEqualTo(400);
                JsonNode error = json.readTree(upgrade.body()).get("error");
                assertThat(error.get("status").asText()).isEqualTo("FAILED_PRECONDITION");
                String r1Id = idOf(replicas(r2, token), r1);
                assertThat(error.get("message").asText()).contains("replica " + r1Id);

                // r1 stopped with SIGSTOP: UNREACHABLE; r2 stays ready, alone; after SIGCONT r1 is SERVING again.
                signal("STOP", processes.get(r1));
                stopped = r1;
                awaitState(r2, token, r1, "UNREACHABLE");
                // (r2's next heartbeat, at most 200 ms later, counts r1 out.)
                HttpResponse<String> ready = get(r2, "/readyz", null);
                for (int tries = 0; tries < 25 && !ready.body().contains("of 1 live"); tries++) {
                    Thread.sleep(100);
                    ready = get(r2, "/readyz", null);
                }
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("of 1 live");
                signal("CONT", processes.get(r1));
                stopped = null;
                awaitState(r2, token, r1, "SERVING");

                // A clean stop is STOPPED.
                assertThat(processes.get(r1).terminate(Duration.ofMinutes(1))).as("exit code after SIGTERM").isEqualTo(143);
                awaitState(r2, token, r1, "STOPPED");
            }
            finally {
                if (stopped != null) {
                    signal("CONT", processes.get(stopped));
                }
                for (FerryProcess process : processes.values()) {
                    if (process.handle().isAlive()) {
                        process.terminate(Duration.ofMinutes(1));
                    }
                }
            }
        }
    }

    @Test
    void threeReplicasMigrateTogether()
            throws Exception
    {
        Duration deadAfter = Duration.ofSeconds(30);
        Duration prepareTimeout = Duration.ofSeconds(5);
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 2, 30)) {
            String url = postgres.createDatabase("ferry");
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            List<Replica> replicas = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                replicas.add(replica("m" + i, url, Base64.getEncoder().encodeToString(key), deadAfter, prepareTimeout));
            }
            Replica r0 = replicas.get(0);
            Replica r2 = replicas.get(2);
            Map<Replica, FerryProcess> processes = new HashMap<>();
            boolean r2Stopped = false;
            ExecutorService clients = Executors.newFixedThreadPool(8);
            AtomicBoolean running = new AtomicBoolean(true);
            try {
                for (Replica replica : replicas) {
                    processes.put(replica, FerryProcess.start(replica.directory(), "serve", "--config", replica.directory().resolve("ferry.yaml").toString()));
                }
                for (Replica replica : replicas) {
                    processes.get(replica).awaitReady(replica.httpPort(), Duration.ofMinutes(4));
                }
                String token = Files.readString(replicas.stream().map(replica -> replica.directory().resolve("data/admin-token")).filter(Files::exists).findFirst().orElseThrow()).trim();

                // Eight clients that know all three URIs, each preferring one, from before startMigration to after
                // completeMigration: they read until the front serves from the source (the own database must stay empty
                // for the start), then create tables; they pause while r2 is stopped.
                AtomicBoolean writing = new AtomicBoolean();
                AtomicBoolean paused = new AtomicBoolean();
                java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
                Set<String> acknowledged = ConcurrentHashMap.newKeySet();
                Set<String> existedOnRetry = ConcurrentHashMap.newKeySet();
                java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
                List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                List<Future<?>> writers = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    int number = c;
                    writers.add(clients.submit(() -> {
                        IMetaStoreClient client = client(replicas, number % 3);
                        try {
                            for (int n = 0; running.get(); ) {
                                if (paused.get()) {
                                    Thread.sleep(20);
                                    continue;
                                }
                                inFlight.incrementAndGet();
                                try {
                                    if (paused.get()) {
                                        continue;
                                    }
                                    if (!writing.get()) {
                                        client.getAllDatabases();
                                    }
                                    else {
                                        String table = "t_%s_%s".formatted(number, n++);
                                        try {
                                            client.createTable(HmsObjects.partitionedTable("during", table, List.of("day")));
                                            acknowledged.add(table);
                                        }
                                        catch (AlreadyExistsException e) {
                                            existedOnRetry.add(table);
                                        }
                                    }
                                    calls.incrementAndGet();
                                }
                                catch (Exception e) {
                                    failures.add(number + ": " + e);
                                }
                                finally {
                                    inFlight.decrementAndGet();
                                }
                            }
                        }
                        finally {
                            client.close();
                        }
                        return null;
                    }));
                }
                Thread.sleep(1_000);

                HttpResponse<String> start = post(r0, ":startMigration", token, source.startMigrationBody(java.util.UUID.randomUUID().toString(), work.resolve("bucket")));
                assertThat(start.statusCode()).as(start.body()).isEqualTo(200);
                JsonNode started = awaitOperation(r0, token, json.readTree(start.body()).get("name").asText());
                assertThat(started.has("error")).as(started.toString()).isFalse();
                String execution = started.get("response").get("name").asText();
                assertThat(backends(r0, token)).as("every replica serves from the source").containsOnly("SOURCE");
                IMetaStoreClient setup = client(replicas, 1);
                setup.createDatabase(HmsObjects.database("during"));
                setup.close();
                assertThat(source.hasDatabase("during")).isTrue();
                writing.set(true);
                awaitStreaming(r0, token, execution);
                // Each replica starts its engine on the own database once the migration streams (seconds; tens of seconds
                // on a loaded machine): the cutover below, r2 stopped, must reach its wait for the other replicas while r2
                // still counts as live (dead-after 30 s), not wait for r0's engine first and find r2 dead by then.
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> processes.get(r0).stdout().contains("on the own database started for the cutover")
                        && replicas.stream().skip(1).allMatch(replica -> processes.get(replica).stdout().contains("on the own database started ahead of the cutover")));
                Thread.sleep(2_000);

                // r2 stopped with SIGSTOP (live for dead-after): it cannot start its engine for the switch, so the
                // cutover aborts within replicas.prepare-timeout, and every replica serves on from the source.
                paused.set(true);
                while (inFlight.get() > 0) {
                    Thread.sleep(10);
                }
                signal("STOP", processes.get(r2));
                r2Stopped = true;
                long before = System.nanoTime();
                HttpResponse<String> complete = post(r0, ":completeMigration", token, "{}");
                assertThat(complete.statusCode()).as(complete.body()).isEqualTo(200);
                JsonNode aborted = awaitOperation(r0, token, json.readTree(complete.body()).get("name").asText());
                Duration took = Duration.ofNanos(System.nanoTime() - before);
                assertThat(aborted.path("error").path("message").asText()).as(aborted.toString()).contains(idOf(replicas(r0, token), r2)).contains("did not start an engine");
                assertThat(took).isLessThan(prepareTimeout.plusSeconds(20));
                for (JsonNode listed : replicas(r0, token)) {
                    assertThat(listed.path("gate").asText()).as(listed.toString()).isIn("OPEN", "");
                }
                signal("CONT", processes.get(r2));
                r2Stopped = false;
                awaitState(r0, token, r2, "SERVING");
                paused.set(false);
                Thread.sleep(2_000);

                // completeMigration again, r2 back, sent to r1 this time (r0 runs it): every replica holds, switches and
                // serves from the own database.
                Replica r1 = replicas.get(1);
                HttpResponse<String> again = post(r1, ":completeMigration", token, "{}");
                assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
                JsonNode completed = awaitOperation(r1, token, json.readTree(again.body()).get("name").asText());
                assertThat(completed.has("error")).as(completed.toString()).isFalse();
                assertThat(completed.get("response").get("state").asText()).isEqualTo("SUCCEEDED");
                // The aborted cutover's engines served nothing: the runner and r1 kept them for this one.
                assertThat(processes.get(r0).stdout()).contains("of the aborted cutover is kept for the next cutover");
                assertThat(processes.get(replicas.get(1)).stdout()).contains("(the switch did not happen) for the next cutover");
                Thread.sleep(2_000);
                running.set(false);
                for (Future<?> writer : writers) {
                    writer.get(2, TimeUnit.MINUTES);
                }
                assertThat(failures).as("failed client calls").isEmpty();
                assertThat(acknowledged).hasSizeGreaterThan(50);
                assertThat(backends(r0, token)).as("every replica serves from the own database").containsOnly("OWN");

                // Every acknowledged table is in the own database, and what is written now does not reach the source.
                IMetaStoreClient reader = client(replicas, 2);
                assertThat(reader.getAllTables("during")).containsAll(acknowledged).containsAll(existedOnRetry);
                reader.createDatabase(HmsObjects.database("after_the_migration"));
                reader.close();
                assertThat(source.hasDatabase("after_the_migration")).isFalse();
                System.out.printf("Three replicas through a migration: %s client calls, %s tables written, 0 failed%n", calls.get(), acknowledged.size());
            }
            finally {
                running.set(false);
                clients.shutdownNow();
                if (r2Stopped) {
                    signal("CONT", processes.get(r2));
                }
                for (FerryProcess process : processes.values()) {
                    if (process.handle().isAlive()) {
                        process.terminate(Duration.ofMinutes(1));
                    }
                }
            }
        }
    }

    /**
     * The replica that runs the migration SIGKILLed during the backfill, then the one that took it over SIGKILLed while
     * it streams: each time a live replica takes the work over (within dead-after and its own second) and replication
     * resumes from the checkpoints; completeMigration, sent to the last replica, succeeds; the eight clients, which know
     * all three URIs, fail over and lose nothing; every replica left serves the own database. The staging log is in an
     * S3-compatible object store (S3Mock), not on a file system the replicas share: the last runner reads what the
     * killed one staged from there.
     */
    @Test
    void aKilledRunnersWorkIsTakenOverDuringTheBackfillAndWhileStreaming()
            throws Exception
    {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 2, 30)) {
            // A backfill of some seconds: 150,000 generated partitions (1,050,000 rows) beside what HMS made.
            try (java.sql.Connection connection = source.server().connect(SourceMetastore.DATABASE)) {
                dev.ferry.testkit.GeneratedMetastore.fill(connection, GENERATED_PARTITIONS);
                dev.ferry.testkit.GeneratedMetastore.raiseIdGenerators(connection, GENERATED_PARTITIONS);
            }
            // The staging log in an S3-compatible object store, which each replica reaches: no shared file system.
            try (EmbeddedS3 s3 = EmbeddedS3.start(Path.of("target", "s3mock", "s3mock.jar"), "staging");
                    Cluster cluster = Cluster.start(work, postgres, "k", replica -> Map.of(), Optional.of(s3));
                    Writers writers = Writers.start(cluster.replicas())) {
                Replica first = cluster.replicas().get(0);
                String execution = startMigration(cluster, first, source, writers);

                // The runner SIGKILLed mid-backfill.
                JsonNode backfill = awaitRunnerStage(first, cluster.token(), execution, "BACKFILL");
                cluster.kill(first);
                long killedAt = System.nanoTime();
                long copied = backfill.path("backfill").path("rowsCopied").asLong();
                assertThat(copied).as("rows copied when the runner was killed, of " + backfill.path("backfill").path("rowsTotal")).isPositive()
                        .isLessThan(backfill.path("backfill").path("rowsTotal").asLong());
                Replica second = cluster.awaitRunnerOtherThan(first);
                System.out.printf("Runner %s SIGKILLed during the backfill (%s rows copied); %s took the migration over %s ms later%n", first.name(), copied, second.name(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

                // The replica that took it over SIGKILLed while streaming.
                awaitRunnerStage(second, cluster.token(), execution, "STREAMING");
                Thread.sleep(2_000);
                cluster.kill(second);
                killedAt = System.nanoTime();
                Replica third = cluster.awaitRunnerOtherThan(second);
                assertThat(third).isNotEqualTo(first);
                System.out.printf("Runner %s SIGKILLed while streaming; %s took the migration over %s ms later%n", second.name(), third.name(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
                awaitRunnerStage(third, cluster.token(), execution, "STREAMING");
                java.util.regex.Matcher restored = java.util.regex.Pattern.compile("Staging log s3://staging/ferry/migration/%s/: (\\d+) objects".formatted(execution.substring(execution.lastIndexOf('/') + 1)))
                        .matcher(cluster.processes().get(third).stdout());
                assertThat(restored.find()).as("the runner that took over read the staging log from the object store").isTrue();
                assertThat(Long.parseLong(restored.group(1))).as("objects the killed runners staged").isPositive();
                try (dev.ferry.replication.staging.S3ObjectStores stores = new dev.ferry.replication.staging.S3ObjectStores(new dev.ferry.replication.staging.S3ObjectStores.Settings(
                        Optional.of(URI.create(s3.endpoint())), "us-east-1", true, Optional.of("ferry"), Optional.of("ferry-secret")))) {
                    assertThat(stores.bucket("staging").list("ferry/migration/%s/capture.offsets".formatted(execution.substring(execution.lastIndexOf('/') + 1))))
                            .as("capture's offsets, kept in the store").hasSize(1);
                }
                Thread.sleep(2_000);

                HttpResponse<String> complete = post(third, ":completeMigration", cluster.token(), "{}");
                assertThat(complete.statusCode()).as(complete.body()).isEqualTo(200);
                JsonNode completed = awaitOperation(third, cluster.token(), json.readTree(complete.body()).get("name").asText());
                assertThat(completed.has("error")).as(completed.toString()).isFalse();
                assertThat(completed.get("response").get("state").asText()).isEqualTo("SUCCEEDED");
                writers.assertNothingFailedOrLost(third, source);
                assertThat(backendsOfLive(third, cluster.token())).as("the replica left serves the own database").containsOnly("OWN");
                try (java.sql.Connection own = postgres.connect("ferry"); java.sql.Statement statement = own.createStatement();
                        java.sql.ResultSet rows = statement.executeQuery("SELECT count(*) FROM \"PARTITIONS\"");
                        java.sql.Connection sourceConnection = source.server().connect(SourceMetastore.DATABASE);
                        java.sql.Statement sourceStatement = sourceConnection.createStatement();
                        java.sql.ResultSet sourceRows = sourceStatement.executeQuery("SELECT count(*) FROM PARTITIONS")) {
                    rows.next();
                    sourceRows.next();
                    assertThat(rows.getLong(1)).as("partitions in the own database against the source").isEqualTo(sourceRows.getLong(1));
                }
                System.out.printf("Two runners killed: %s%n", writers.summary());
            }
        }
    }

    /**
     * The runner SIGKILLed in the cutover, before its switch record: the replica that takes over finds the cutover
     * interrupted, ends its operation ABORTED, resumes replication, and a completeMigration sent to it then stops,
     * as this test has it, after its switch record, where it is SIGKILLed too: the last replica takes over and
     * finishes that cutover. Eight clients with all three URIs write throughout: no failed call, no acknowledged
     * write lost, every replica left serving the own database.
     */
    @Test
    void aRunnerKilledInTheCutoverBeforeAndAfterItsSwitchRecordIsTakenOver()
            throws Exception
    {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
                SourceMetastore source = SourceMetastore.start(SourceServers.Kind.MARIADB_10_11, 2, 30);
                // The first stops in its cutover before the switch record, the others after it (crash-test setting).
                Cluster cluster = Cluster.start(work, postgres, "c", replica -> Map.of("FERRY_JAVA_OPTS", "-D%s=%s".formatted(dev.ferry.server.FerryServer.CUTOVER_PAUSE_PROPERTY,
                        replica.name().equals("c0") ? "BEFORE_SWITCH_RECORD" : "AFTER_SWITCH_RECORD")), Optional.empty());
                Writers writers = Writers.start(cluster.replicas())) {
            Replica first = cluster.replicas().get(0);
            String execution = startMigration(cluster, first, source, writers);
            awaitRunnerStage(first, cluster.token(), execution, "STREAMING");
            Thread.sleep(2_000);

            // Killed before the switch record: the operation ends ABORTED, the migration streams on, on another replica.
            HttpResponse<String> complete = post(first, ":completeMigration", cluster.token(), "{}");
            assertThat(complete.statusCode()).as(complete.body()).isEqualTo(200);
            String interrupted = json.readTree(complete.body()).get("name").asText();
            cluster.awaitOutput(first, "Cutover paused at BEFORE_SWITCH_RECORD");
            cluster.kill(first);
            Replica second = cluster.awaitRunnerOtherThan(first);
            JsonNode aborted = awaitOperation(second, cluster.token(), interrupted);
            assertThat(aborted.path("error").path("code").asInt()).as("ABORTED: " + aborted).isEqualTo(10);
            assertThat(aborted.path("error").path("message").asText()).contains("cutover interrupted before the switch");
            awaitRunnerStage(second, cluster.token(), execution, "STREAMING");
            assertThat(backendsOfLive(second, cluster.token())).as("the replicas left serve from the source").containsOnly("SOURCE");
            Thread.sleep(2_000);

            // Killed after the switch record: the last replica finishes the cutover the killed one recorded.
            HttpResponse<String> again = post(second, ":completeMigration", cluster.token(), "{}");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            String recorded = json.readTree(again.body()).get("name").asText();
            cluster.awaitOutput(second, "Cutover paused at AFTER_SWITCH_RECORD");
            cluster.kill(second);
            Replica third = cluster.awaitRunnerOtherThan(second);
            JsonNode completed = awaitOperation(third, cluster.token(), recorded);
            assertThat(completed.has("error")).as(completed.toString()).isFalse();
            assertThat(completed.get("response").get("state").asText()).isEqualTo("SUCCEEDED");
            writers.assertNothingFailedOrLost(third, source);
            assertThat(backendsOfLive(third, cluster.token())).as("the replica left serves the own database").containsOnly("OWN");
            System.out.printf("Runners killed before (%s) and after (%s) the switch record: %s%n", first.name(), second.name(), writers.summary());
        }
    }

    /** startMigration sent to {@code runner}; once the front serves from the source, the writers' database is made and they write. */
    private static String startMigration(Cluster cluster, Replica runner, SourceMetastore source, Writers writers)
            throws Exception
    {
        HttpResponse<String> start = post(runner, ":startMigration", cluster.token(), source.startMigrationBody(java.util.UUID.randomUUID().toString(), cluster.bucket()));
        assertThat(start.statusCode()).as(start.body()).isEqualTo(200);
        JsonNode started = awaitOperation(runner, cluster.token(), json.readTree(start.body()).get("name").asText());
        assertThat(started.has("error")).as(started.toString()).isFalse();
        IMetaStoreClient setup = client(cluster.replicas(), 1);
        setup.createDatabase(HmsObjects.database("during"));
        setup.close();
        writers.write();
        assertThat(cluster.runner()).isEqualTo(runner);
        return started.get("response").get("name").asText();
    }

    /**
     * Three {@code bin/ferry serve} processes over one PostgreSQL, dead-after 3 s, a staging location they share (a
     * directory under {@code work}, or a bucket of the object store {@code s3}); each started with the environment
     * {@code environment} gives it.
     */
    private record Cluster(List<Replica> replicas, Map<Replica, FerryProcess> processes, EmbeddedPostgresServer postgres, String token, String bucket)
            implements AutoCloseable
    {
        private static final Duration DEAD_AFTER = Duration.ofSeconds(3);

        static Cluster start(Path work, EmbeddedPostgresServer postgres, String prefix, java.util.function.Function<Replica, Map<String, String>> environment,
                Optional<EmbeddedS3> s3)
                throws Exception
        {
            String bucket = s3.map(store -> "s3://%s/ferry".formatted(store.bucket())).orElse("file://" + work.resolve("bucket").toAbsolutePath());
            String url = postgres.createDatabase("ferry");
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            List<Replica> replicas = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                replicas.add(replica(work, prefix + i, url, Base64.getEncoder().encodeToString(key), DEAD_AFTER, Duration.ofSeconds(60), s3));
            }
            Map<Replica, FerryProcess> processes = new HashMap<>();
            try {
                for (Replica replica : replicas) {
                    processes.put(replica, FerryProcess.start(replica.directory(), environment.apply(replica), "serve", "--config",
                            replica.directory().resolve("ferry.yaml").toString()));
                }
                for (Replica replica : replicas) {
                    processes.get(replica).awaitReady(replica.httpPort(), Duration.ofMinutes(4));
                }
                String token = Files.readString(replicas.stream().map(replica -> replica.directory().resolve("data/admin-token")).filter(Files::exists).findFirst().orElseThrow()).trim();
                return new Cluster(replicas, processes, postgres, token, bucket);
            }
            catch (Exception | Error e) {
                new Cluster(replicas, processes, postgres, "", bucket).close();
                throw e;
            }
        }

        void kill(Replica replica)
                throws InterruptedException
        {
            processes.get(replica).killJvm(Duration.ofSeconds(30));
        }

        void awaitOutput(Replica replica, String line)
                throws InterruptedException
        {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!processes.get(replica).stdout().contains(line)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no \"%s\" in the output of %s in 3 minutes".formatted(line, replica.name()));
                }
                Thread.sleep(100);
            }
        }

        /** The replica the control store names as the migration's runner (by its data directory). */
        Replica runner()
                throws Exception
        {
            try (java.sql.Connection connection = postgres.connect("ferry"); java.sql.Statement statement = connection.createStatement();
                    java.sql.ResultSet rows = statement.executeQuery("SELECT runner FROM ferry_control.service WHERE id = 1")) {
                rows.next();
                String runner = rows.getString(1);
                return replicas.stream().filter(replica -> runner.endsWith(replica.directory().resolve("data").toString())).findFirst()
                        .orElseThrow(() -> new AssertionError("no replica runs " + runner));
            }
        }

        /** Waits for another replica than {@code old} to take the migration over: dead-after, a second, and some slack. */
        Replica awaitRunnerOtherThan(Replica old)
                throws Exception
        {
            long deadline = System.nanoTime() + DEAD_AFTER.plusSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                Replica runner = runner();
                if (!runner.equals(old)) {
                    return runner;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("no replica took the migration over from %s".formatted(old.name()));
        }

        @Override
        public void close()
                throws InterruptedException
        {
            for (FerryProcess process : processes.values()) {
                if (process.handle().isAlive()) {
                    process.terminate(Duration.ofMinutes(1));
                }
            }
        }
    }

    /**
     * Eight HMS clients that know all three URIs, each preferring one: they read until {@link #write}, then create
     * tables, counting what was acknowledged, what a retry on another URI found made already, and what failed.
     */
    private static final class Writers
            implements AutoCloseable
    {
        private final ExecutorService clients = Executors.newFixedThreadPool(8);
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicBoolean writing = new AtomicBoolean();
        private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        private final Set<String> existedOnRetry = ConcurrentHashMap.newKeySet();
        private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<Future<?>> running8 = new ArrayList<>();
        private final List<Replica> replicas;

        private Writers(List<Replica> replicas)
        {
            this.replicas = replicas;
        }

        static Writers start(List<Replica> replicas)
                throws InterruptedException
        {
            Writers writers = new Writers(replicas);
            for (int c = 0; c < 8; c++) {
                int number = c;
                writers.running8.add(writers.clients.submit(() -> writers.run(number)));
            }
            Thread.sleep(1_000);
            return writers;
        }

        private Void run(int number)
                throws Exception
        {
            IMetaStoreClient client = client(replicas, number % 3);
            try {
                for (int n = 0; running.get(); ) {
                    try {
                        if (!writing.get()) {
                            client.getAllDatabases();
                            Thread.sleep(5);
                        }
                        else {
                            String table = "t_%s_%s".formatted(number, n++);
                            try {
                                client.createTable(HmsObjects.partitionedTable("during", table, List.of("day")));
                                acknowledged.add(table);
                            }
                            catch (AlreadyExistsException e) {
                                existedOnRetry.add(table);
                            }
                        }
                        calls.incrementAndGet();
                    }
                    catch (Exception e) {
                        failures.add(number + ": " + e);
                    }
                }
            }
            finally {
                client.close();
            }
            return null;
        }

        void write()
        {
            writing.set(true);
        }

        /** Stops the clients two seconds from now; no call failed, every table acknowledged is there, none reached the source after. */
        void assertNothingFailedOrLost(Replica reader, SourceMetastore source)
                throws Exception
        {
            Thread.sleep(2_000);
            running.set(false);
            for (Future<?> writer : running8) {
                writer.get(2, TimeUnit.MINUTES);
            }
            assertThat(failures).as("failed client calls").isEmpty();
            assertThat(acknowledged).hasSizeGreaterThan(50);
            IMetaStoreClient client = client(List.of(reader), 0);
            assertThat(client.getAllTables("during")).containsAll(acknowledged).containsAll(existedOnRetry);
            client.createDatabase(HmsObjects.database("after_the_migration"));
            client.close();
            assertThat(source.hasDatabase("after_the_migration")).isFalse();
        }

        String summary()
        {
            return "%s client calls, %s tables written, %s failed".formatted(calls.get(), acknowledged.size(), failures.size());
        }

        @Override
        public void close()
        {
            running.set(false);
            clients.shutdownNow();
        }
    }

    /** The backends the SERVING replicas list. */
    private static List<String> backendsOfLive(Replica on, String token)
            throws Exception
    {
        List<String> backends = new ArrayList<>();
        for (JsonNode listed : replicas(on, token)) {
            if (listed.get("state").asText().equals("SERVING")) {
                backends.add(listed.path("backend").asText());
            }
        }
        return backends;
    }

    /**
     * Waits until replica {@code on} runs the execution's replication itself (its {@code replication} block is its
     * own, not one another replica published: no {@code progressAgeMillis}) in {@code stage}; returns that block.
     */
    private static JsonNode awaitRunnerStage(Replica on, String token, String execution, String stage)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        JsonNode replication = null;
        while (System.nanoTime() < deadline) {
            replication = json.readTree(get(on, "/v1/" + execution, token).body()).path("replication");
            if (replication.path("stage").asText().equals(stage) && !replication.has("progressAgeMillis")) {
                return replication;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("migration execution %s not in %s on %s in 4 minutes: %s".formatted(execution, stage, on.name(), replication));
    }

    /** The backend every replica lists, once all three are SERVING and list the same one. */
    private static List<String> backends(Replica on, String token)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<String> backends = List.of();
        while (System.nanoTime() < deadline) {
            backends = new ArrayList<>();
            for (JsonNode listed : replicas(on, token)) {
                if (listed.get("state").asText().equals("SERVING")) {
                    backends.add(listed.path("backend").asText());
                }
            }
            if (backends.size() == 3 && backends.stream().distinct().count() == 1) {
                return backends;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the replicas did not come to serve from one backend: " + backends);
    }

    private static JsonNode awaitOperation(Replica on, String token, String operation)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (System.nanoTime() < deadline) {
            JsonNode body = json.readTree(get(on, "/v1/" + operation, token).body());
            if (body.path("done").asBoolean()) {
                return body;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("operation %s not done in 4 minutes".formatted(operation));
    }

    private static void awaitStreaming(Replica on, String token, String execution)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (System.nanoTime() < deadline) {
            if (json.readTree(get(on, "/v1/" + execution, token).body()).path("replication").path("stage").asText().equals("STREAMING")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("migration execution %s not STREAMING in 4 minutes".formatted(execution));
    }

    private Replica replica(String name, String url, String key)
            throws IOException
    {
        return replica(name, url, key, DEAD_AFTER, Duration.ofMinutes(2));
    }

    private Replica replica(String name, String url, String key, Duration deadAfter, Duration prepareTimeout)
            throws IOException
    {
        return replica(work, name, url, key, deadAfter, prepareTimeout, Optional.empty());
    }

    /**
     * A replica's directory under {@code work} with its ferry.yaml: staging roots are {@code work}, shared by all, and
     * with {@code s3} the object store.
     */
    private static Replica replica(Path work, String name, String url, String key, Duration deadAfter, Duration prepareTimeout, Optional<EmbeddedS3> s3)
            throws IOException
    {
        Replica replica = new Replica(name, Files.createDirectories(work.resolve(name)), FreePorts.next(), FreePorts.next());
        Files.writeString(replica.directory().resolve("ferry.yaml"), """
                data-directory: %s
                thrift:
                  host: 127.0.0.1
                  port: %s
                http:
                  host: 127.0.0.1
                  port: %s
                own-database:
                  url: "%s"
                  user: %s
                  password: %s
                security:
                  encryption-key: "%s"
                replicas:
                  heartbeat-interval: 200ms
                  dead-after: %ss
                  prepare-timeout: %ss
                migration:
                  retry-interval: 2s
                  staging-roots: ["%s"]
                """.formatted(replica.directory().resolve("data"), replica.thriftPort(), replica.httpPort(), url, EmbeddedPostgresServer.USER,
                EmbeddedPostgresServer.PASSWORD, key, deadAfter.toSeconds(), prepareTimeout.toSeconds(), work.toAbsolutePath())
                + s3.map(store -> """
                          object-store:
                            endpoint: %s
                            path-style-access: true
                            access-key-id: ferry
                            secret-access-key: ferry-secret
                        """.formatted(store.endpoint())).orElse(""));
        return replica;
    }

    /** An HMS client with every replica's URI, replica {@code first} first, failing over in order as HMS clients do. */
    private static IMetaStoreClient client(List<Replica> replicas, int first)
            throws Exception
    {
        List<String> uris = new ArrayList<>();
        for (int i = 0; i < replicas.size(); i++) {
            uris.add("thrift://127.0.0.1:" + replicas.get((first + i) % replicas.size()).thriftPort());
        }
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, MetastoreConf.ConfVars.THRIFT_URIS, String.join(",", uris));
        MetastoreConf.setVar(conf, MetastoreConf.ConfVars.THRIFT_URI_SELECTION, "SEQUENTIAL");
        MetastoreConf.setLongVar(conf, MetastoreConf.ConfVars.THRIFT_FAILURE_RETRIES, 3);
        MetastoreConf.setTimeVar(conf, MetastoreConf.ConfVars.CLIENT_CONNECT_RETRY_DELAY, 1, TimeUnit.SECONDS);
        MetastoreConf.setTimeVar(conf, MetastoreConf.ConfVars.CLIENT_SOCKET_TIMEOUT, 60, TimeUnit.SECONDS);
        return RetryingMetaStoreClient.getProxy(conf, false);
    }

    private static JsonNode replicas(Replica on, String token)
            throws Exception
    {
        HttpResponse<String> response = get(on, "/v1/" + SERVICE + "/replicas", token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body()).get("replicas");
    }

    private static Map<String, String> states(JsonNode listed)
    {
        Map<String, String> states = new HashMap<>();
        listed.forEach(replica -> states.put(replica.get("name").asText(), replica.get("state").asText()));
        return states;
    }

    private static List<Integer> ports(JsonNode listed)
    {
        List<Integer> ports = new ArrayList<>();
        listed.forEach(replica -> ports.add(URI.create(replica.get("endpointUri").asText()).getPort()));
        return ports;
    }

    private static String idOf(JsonNode listed, Replica replica)
    {
        for (JsonNode listedReplica : listed) {
            if (URI.create(listedReplica.get("endpointUri").asText()).getPort() == replica.thriftPort()) {
                String name = listedReplica.get("name").asText();
                return name.substring(name.lastIndexOf('/') + 1);
            }
        }
        throw new AssertionError("replica %s is not listed: %s".formatted(replica.name(), listed));
    }

    /** Waits until {@code on} lists {@code replica} in {@code state}, for at most dead-after and 10 s more. */
    private static void awaitState(Replica on, String token, Replica replica, String state)
            throws Exception
    {
        long deadline = System.nanoTime() + DEAD_AFTER.plusSeconds(10).toNanos();
        String seen = "";
        while (System.nanoTime() < deadline) {
            for (JsonNode listed : replicas(on, token)) {
                if (URI.create(listed.get("endpointUri").asText()).getPort() == replica.thriftPort()) {
                    seen = listed.get("state").asText();
                }
            }
            if (seen.equals(state)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("replica %s was %s, not %s, as %s lists it".formatted(replica.name(), seen, state, on.name()));
    }

    private static void signal(String signal, FerryProcess process)
            throws Exception
    {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.jvm().pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    private static HttpResponse<String> get(Replica on, String path, String token)
            throws Exception
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:%s%s".formatted(on.httpPort(), path))).timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(Replica on, String path, String token, String body)
            throws Exception
    {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:%s/v1/%s%s".formatted(on.httpPort(), SERVICE, path))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
