package dev.ferry.server.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Concurrent mutations of the one service: six startMigration calls at once without a requestId, and mixes of start,
 * cancel and complete, round after round. Every answer is 200 or a documented 4xx (never a 5xx), exactly one of six
 * starts on an ACTIVE service wins, and a watcher that lists the executions all along never sees two live ones. Some
 * rounds migrate from a real source (an embedded MariaDB filled through HMS), so cancel and complete race with a
 * live migration; the others point at a closed port and fail at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcurrentMutationsTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final String START = "/v1/" + SERVICE + ":startMigration";
    private static final String CANCEL = "/v1/" + SERVICE + ":cancelMigration";
    private static final String COMPLETE = "/v1/" + SERVICE + ":completeMigration";
    private static final String EXECUTIONS = "/v1/" + SERVICE + "/migrationExecutions";
    private static final Set<String> LIVE = Set.of("STARTING", "RUNNING", "AWAITING_USER_ACTION", "CANCELLING");
    private static final int ROUNDS = 20;
    private static final int CALLS = 6;

    @TempDir
    static Path directory;

    private static SourceMetastore source;
    private static FerryFixture ferry;
    private static RestClient rest;
    private static String token;
    private static ExecutorService callers;
    private static Thread watcher;
    private static final AtomicBoolean watching = new AtomicBoolean(true);
    private static final AtomicInteger mostLive = new AtomicInteger();
    private static final List<String> watcherErrors = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start()
            throws Exception
    {
        source = SourceMetastore.start(1, 5);
        ferry = FerryFixture.start(directory.resolve("data"));
        rest = ferry.rest();
        token = ferry.adminToken();
        callers = Executors.newFixedThreadPool(CALLS);
        watcher = new Thread(() -> {
            while (watching.get()) {
                try {
                    RestClient.Response list = rest.get(EXECUTIONS, token);
                    if (list.status() != 200) {
                        watcherErrors.add(list.toString());
                    }
                    else {
                        int live = 0;
                        for (JsonNode execution : list.body().path("migrationExecutions")) {
                            live += LIVE.contains(execution.get("state").asText()) ? 1 : 0;
                        }
                        mostLive.accumulateAndGet(live, Math::max);
                    }
                    Thread.sleep(10);
                }
                catch (InterruptedException e) {
                    return;
                }
                catch (RuntimeException e) {
                    watcherErrors.add(e.toString());
                }
            }
        }, "live-execution-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    @AfterAll
    static void stop()
            throws InterruptedException
    {
        watching.set(false);
        if (watcher != null) {
            watcher.join(5_000);
        }
        if (callers != null) {
            callers.shutdownNow();
        }
        if (ferry != null) {
            ferry.close();
        }
        if (source != null) {
            source.close();
        }
    }

    @Test
    @Order(1)
    void sixConcurrentStartsGiveOneMigrationAndFiveFailedPreconditions()
            throws Exception
    {
        for (int round = 0; round < ROUNDS; round++) {
            boolean real = round % 5 == 0;
            String body = real ? source.startMigrationBody("", directory.resolve("bucket")).replace("\"request_id\": \"\",", "") : closedPortBody();
            List<RestClient.Response> answers = concurrently(Collections.nCopies(CALLS, () -> rest.post(START, token, body)));

            assertDocumented(answers);
            assertThat(answers.stream().filter(answer -> answer.status() == 200).count()).as("round %s: %s", round, answers).isEqualTo(1);
            answers.stream().filter(answer -> answer.status() != 200)
                    .forEach(answer -> assertThat(answer.errorStatus()).as(answer.text()).isEqualTo("FAILED_PRECONDITION"));
            if (real) {
                awaitExecutionState("RUNNING");
                assertThat(rest.post(CANCEL, token, "{}").status()).isEqualTo(200);
            }
            cancelWhatIsLive();
        }
        assertThat(mostLive.get()).isEqualTo(1);
        assertThat(watcherErrors).isEmpty();
    }

    @Test
    @Order(2)
    void mixedStartsCancelsAndCompletesNeverFailWithAServerError()
            throws Exception
    {
        Random random = new Random(15);
        int racedWithARunningMigration = 0;
        for (int round = 0; round < ROUNDS; round++) {
            boolean real = round % 4 == 0;
            Path bucket = directory.resolve("bucket");
            if (real) {
                // A migration of the real source, live (STARTING or RUNNING) as the calls race.
                RestClient.Response started = rest.post(START, token, source.startMigrationBody(UUID.randomUUID().toString(), bucket));
                assertThat(started.status()).as(started.text()).isEqualTo(200);
                if (round % 8 == 0 && awaitsRunning()) {
                    racedWithARunningMigration++;
                }
            }
            List<Callable<RestClient.Response>> calls = new ArrayList<>();
            calls.add(() -> rest.post(START, token, source.startMigrationBody(UUID.randomUUID().toString(), bucket)));
            calls.add(() -> rest.post(START, token, closedPortBody()));
            calls.add(() -> rest.post(CANCEL, token, "{}"));
            calls.add(() -> rest.post(CANCEL, token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID())));
            calls.add(() -> rest.post(COMPLETE, token, "{}"));
            calls.add(() -> rest.post(COMPLETE, token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID())));
            Collections.shuffle(calls, random);
            List<RestClient.Response> answers = concurrently(calls);

            assertDocumented(answers);
            cancelWhatIsLive();
        }
        assertThat(racedWithARunningMigration).as("rounds that raced with a RUNNING migration").isPositive();
        assertThat(mostLive.get()).isEqualTo(1);
        assertThat(watcherErrors).isEmpty();
    }

    @Test
    @Order(3)
    void cancelsWhileACancelRunsAnswerItsOperation()
            throws Exception
    {
        RestClient.Response started = rest.post(START, token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")));
        assertThat(started.status()).as(started.text()).isEqualTo(200);
        awaitExecutionState("RUNNING");
        String execution = rest.get(EXECUTIONS + "?orderBy=createTime%20desc", token).body().path("migrationExecutions").get(0).get("name").asText();

        List<RestClient.Response> answers = concurrently(List.of(
                () -> rest.post(CANCEL, token, "{}"),
                () -> rest.post(CANCEL, token, "{}"),
                () -> rest.post(CANCEL, token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID())),
                () -> rest.post(CANCEL, token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()))));
        RestClient.Response later = rest.post(CANCEL, token, "{}");

        // One cancel runs; each call, at once or while it runs, answers its operation (none FAILED_PRECONDITION unless
        // the cancel had already finished: then the execution is no longer live).
        Set<String> operations = new java.util.HashSet<>();
        for (RestClient.Response answer : answers) {
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            operations.add(answer.body().get("name").asText());
        }
        assertThat(operations).hasSize(1);
        if (later.status() == 200) {
            assertThat(later.body().get("name").asText()).isIn(operations);
        }
        else {
            assertThat(later.errorStatus()).as(later.text()).isEqualTo("FAILED_PRECONDITION");
        }
        awaitQuiet();
        long cancels = 0;
        for (JsonNode operation : rest.get("/v1/projects/ferry/locations/local/operations?pageSize=1000", token).body().path("operations")) {
            if (operation.path("metadata").path("verb").asText().equals("cancel") && operation.path("response").path("name").asText().equals(execution)) {
                cancels++;
            }
        }
        assertThat(cancels).as("cancel operations of %s", execution).isEqualTo(1);
        assertThat(rest.get("/v1/" + execution, token).body().get("state").asText()).isEqualTo("CANCELLED");
    }

    private static boolean awaitsRunning()
    {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode executions = rest.get(EXECUTIONS + "?orderBy=" + "createTime%20desc", token).body().path("migrationExecutions");
            return !executions.isEmpty() && !executions.get(0).get("state").asText().equals("STARTING");
        });
        JsonNode newest = rest.get(EXECUTIONS + "?orderBy=createTime%20desc", token).body().path("migrationExecutions").get(0);
        return newest.get("state").asText().equals("RUNNING");
    }

    private static void awaitExecutionState(String state)
    {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode executions = rest.get(EXECUTIONS + "?orderBy=createTime%20desc", token).body().path("migrationExecutions");
            return !executions.isEmpty() && executions.get(0).get("state").asText().equals(state);
        });
    }

    /**
     * Whatever is still live is cancelled (a cutover that won is let finish; a cancel that failed is called again,
     * as its state message says), so that the next round starts afresh.
     */
    private static void cancelWhatIsLive()
    {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
            RestClient.Response cancel = rest.post(CANCEL, token, "{}");
            assertThat(cancel.status()).as(cancel.text()).isLessThan(500);
            return liveExecutions() == 0;
        });
        awaitQuiet();
    }

    private static void awaitQuiet()
    {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> liveExecutions() == 0 && rest.get("/v1/" + SERVICE, token).body().path("state").asText().equals("ACTIVE"));
    }

    private static long liveExecutions()
    {
        JsonNode executions = rest.get(EXECUTIONS, token).body().path("migrationExecutions");
        int live = 0;
        for (JsonNode execution : executions) {
            live += LIVE.contains(execution.get("state").asText()) ? 1 : 0;
        }
        return live;
    }

    /** Runs the calls at once (released together) and returns their answers. */
    private static List<RestClient.Response> concurrently(List<Callable<RestClient.Response>> calls)
            throws Exception
    {
        CountDownLatch ready = new CountDownLatch(calls.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RestClient.Response>> futures = new ArrayList<>();
        for (Callable<RestClient.Response> call : calls) {
            futures.add(callers.submit(() -> {
                ready.countDown();
                go.await();
                return call.call();
            }));
        }
        ready.await();
        go.countDown();
        List<RestClient.Response> answers = new ArrayList<>();
        for (Future<RestClient.Response> future : futures) {
            answers.add(future.get());
        }
        return answers;
    }

    /** 200, or FAILED_PRECONDITION 400 or ABORTED 409 as docs/API.md has them for a mutation that lost; never 5xx. */
    private static void assertDocumented(List<RestClient.Response> answers)
    {
        for (RestClient.Response answer : answers) {
            assertThat(answer.status()).as(answer.text()).isLessThan(500);
            if (answer.status() != 200) {
                assertThat(answer.errorStatus()).as(answer.text()).isIn("FAILED_PRECONDITION", "ABORTED");
            }
        }
    }

    /** A valid start whose source is a closed port: it fails at once, in the background. */
    private static String closedPortBody()
    {
        return """
                {"migrationExecution": {"cloudSqlMigrationConfig": {
                  "cloudSqlConnectionConfig": {"ipAddress": "127.0.0.1", "port": 1, "hiveDatabaseName": "hms", "username": "hive", "password": "pw"},
                  "cdcConfig": {"username": "cdc", "password": "pw"}}}}""";
    }
}
