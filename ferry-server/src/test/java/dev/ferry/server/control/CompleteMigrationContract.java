package dev.ferry.server.control;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.PrometheusText;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.LockComponent;
import org.apache.hadoop.hive.metastore.api.LockLevel;
import org.apache.hadoop.hive.metastore.api.LockRequest;
import org.apache.hadoop.hive.metastore.api.LockResponse;
import org.apache.hadoop.hive.metastore.api.LockState;
import org.apache.hadoop.hive.metastore.api.LockType;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.UnlockRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * completeMigration under load: eight HMS clients, connected before startMigration, keep calling through the
 * cutover; none of their calls fails, every write the metastore acknowledged is in the own database afterwards,
 * and an Iceberg-style lock, alter_table, unlock that spans the switch succeeds. Run against every kind of source
 * server, one subclass each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CompleteMigrationContract
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    /** Tags the tests of the source's fence and of the watch that replaces it without the grants. */
    private static final String FENCE = "fence";

    @TempDir
    Path directory;

    private SourceMetastore source;
    private FerryFixture ferry;

    /** The source server this run migrates from. */
    abstract SourceServers.Kind kind();

    /**
     * Whether this run tests the source's fence (and the fallback to watching when the grants forbid it). True but for
     * MySQL 8.0 without GTIDs: the fence (LOCK TABLES from the reader's session) and the watch do not depend on the
     * GTID mode, and {@link CompleteMigrationMySql80GtidTest} runs both on the same server version.
     */
    boolean testsTheFence()
    {
        return true;
    }

    @BeforeAll
    void startSource()
            throws Exception
    {
        source = SourceMetastore.start(kind(), 2, 50);
    }

    @AfterAll
    void stopSource()
    {
        if (source != null) {
            source.close();
        }
    }

    /**
     * A Ferry of its own per test: a migrated own database cannot be migrated into again. A test of the fence that
     * this run does not make ({@link #testsTheFence()}) is skipped here, before a Ferry starts for it.
     */
    @BeforeEach
    void startFerry(TestInfo test, @TempDir Path data)
    {
        Assumptions.assumeTrue(testsTheFence() || !test.getTags().contains(FENCE), "the fence and the watch do not depend on the GTID mode: run from MySQL 8.0 with GTIDs");
        ferry = FerryFixture.start(data);
    }

    @AfterEach
    void stopFerry()
    {
        if (ferry != null) {
            ferry.close();
        }
    }

    /** Log lines of engines started on the own database (the first, own, started with Ferry). */
    private static boolean ownEngineStart(String line)
    {
        return line.matches("(?s)\\S+ Engine own-\\d+ started: .*");
    }

    private static long standbyStarts(LogCapture log)
    {
        return log.lines().stream().filter(line -> line.contains("standby engine") && line.contains("started for the cutover")).count();
    }

    @Test
    void completeHoldsWritesAndLosesNone()
            throws Exception
    {
        RestClient rest = ferry.rest();
        String token = ferry.adminToken();
        List<HmsClient> connections = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            connections.add(HmsClient.connect("localhost", ferry.thriftPort()));
        }
        // The clients call from before startMigration on. Until the front serves from the source they only read:
        // a write would land in the own database, which startMigration requires empty.
        AtomicBoolean servingFromSource = new AtomicBoolean();
        try (LogCapture log = LogCapture.install();
                HmsWorkload workload = HmsWorkload.start(connections::get, 8, "load", servingFromSource::get);
                HmsClient iceberg = HmsClient.connect("localhost", ferry.thriftPort())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> workload.calls(HmsWorkload.Operation.READ) > 50);
            RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")));
            assertThat(start.status()).as(start.text()).isEqualTo(200);
            JsonNode started = awaitDone(rest, token, start.body().get("name").asText());
            assertThat(started.has("error")).as(started.toString()).isFalse();
            String execution = started.get("response").get("name").asText();
            long readsBeforeWrites = workload.calls();
            servingFromSource.set(true);

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                    .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));
            // Once the migration streams, the engine the cutover switches to is started as a standby, so that
            // completeMigration starts none while clients call through.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> standbyStarts(log) == 1);
            Thread.sleep(2_000);
            int linesBeforeComplete = log.lines().size();

            // What Iceberg does on commit: lock the table, alter it, unlock; the switch happens in between.
            Table table = iceberg.api().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("sales_0", "orders_0")).getTable();
            LockComponent component = new LockComponent(LockType.EXCLUSIVE, LockLevel.TABLE, "sales_0");
            component.setTablename("orders_0");
            LockResponse lock = iceberg.api().lock(new LockRequest(List.of(component), "iceberg", "localhost"));
            assertThat(lock.getState()).isEqualTo(LockState.ACQUIRED);

            RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            JsonNode done = awaitDone(rest, token, complete.body().get("name").asText());
            assertThat(done.has("error")).as(done.toString()).isFalse();
            assertThat(done.get("metadata").get("verb").asText()).isEqualTo("complete");
            assertThat(done.get("response").get("state").asText()).isEqualTo("SUCCEEDED");
            List<String> cutoverLines = log.lines().subList(linesBeforeComplete, log.lines().size());
            assertThat(cutoverLines).as("engines started by completeMigration").noneMatch(CompleteMigrationContract::ownEngineStart);
            assertThat(standbyStarts(log)).isEqualTo(1);

            table.getParameters().put("metadata_location", "s3://warehouse/orders_0/metadata/00001.json");
            iceberg.api().alter_table("sales_0", "orders_0", table);
            iceberg.api().unlock(new UnlockRequest(lock.getLockid()));

            Thread.sleep(2_000);
            HmsWorkload.Result result = workload.stop();
            assertThat(result.failures()).as("failed calls").isEmpty();
            assertThat(result.totalCalls()).isGreaterThan(100);

            JsonNode succeeded = rest.get("/v1/" + execution, token).body();
            assertThat(succeeded.get("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(succeeded.get("phase").asText()).isEqualTo("CUTOVER");
            assertThat(succeeded.has("endTime")).isTrue();
            long pause = succeeded.get("replication").get("writePauseMillis").asLong();
            System.out.printf("completeMigration from %s under 8 clients: %s calls (%s reads before the front served from the source), 0 failed, write pause %s ms%n",
                    kind(), result.totalCalls(), readsBeforeWrites, pause);
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("ACTIVE");
            // /metrics, read strictly, has the pause in seconds and the workload's calls per HMS method.
            PrometheusText metrics = PrometheusText.parse(rest.get("/metrics", null).text());
            assertThat(metrics.value("ferry_migration_write_pause_seconds", Map.of())).contains(pause / 1e3);
            assertThat(metrics.value("ferry_service_migrating", Map.of())).contains(0.0);
            assertThat(metrics.value("ferry_write_gate_holding", Map.of())).contains(0.0);
            assertThat(metrics.value("ferry_thrift_calls_total", Map.of("method", "get_all_databases", "class", "read")).orElseThrow()).isPositive();

            // Every acknowledged write is in the own database, read with SQL, not through Ferry.
            OwnDatabase own = ferry.server().ownDatabase();
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
                for (Map.Entry<String, Set<String>> entry : result.partitions().entrySet()) {
                    String[] name = entry.getKey().split("\\.");
                    assertThat(ownPartitions(connection, name[0], name[1])).as(entry.getKey())
                            .containsAll(entry.getValue().stream().map(value -> "part=" + value).toList());
                }
                try (PreparedStatement select = connection.prepareStatement("""
                        SELECT p."PARAM_VALUE" FROM "TABLE_PARAMS" p JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
                        WHERE d."NAME" = 'sales_0' AND t."TBL_NAME" = 'orders_0' AND p."PARAM_KEY" = 'metadata_location'""");
                        ResultSet rows = select.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo("s3://warehouse/orders_0/metadata/00001.json");
                }
            }
            // New objects go to the own database and get ids above every copied one.
            long sourceDatabaseId = source.queryLong("SELECT MAX(DB_ID) FROM DBS");
            long sourceTableId = source.queryLong("SELECT MAX(TBL_ID) FROM TBLS");
            long sourcePartitionId = source.queryLong("SELECT MAX(PART_ID) FROM PARTITIONS");
            long sourceTransactionId = source.queryLong("SELECT MAX(TXN_ID) FROM TXNS");
            long sourceLockId = source.queryLong("SELECT NL_NEXT FROM NEXT_LOCK_ID") - 1;
            long sourceEventId = source.queryLong("SELECT MAX(EVENT_ID) FROM NOTIFICATION_LOG");
            assertThat(iceberg.api().get_current_notificationEventId().getEventId()).isGreaterThanOrEqualTo(sourceEventId);
            iceberg.api().create_database(HmsObjects.database("after_cutover"));
            Table created = HmsObjects.partitionedTable("after_cutover", "t", List.of("day"));
            iceberg.api().create_table(created);
            created = iceberg.api().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("after_cutover", "t")).getTable();
            iceberg.api().add_partition(HmsObjects.partition(created, List.of("2027-01-01")));
            long transaction = iceberg.api().open_txns(new org.apache.hadoop.hive.metastore.api.OpenTxnRequest(1, "after", "localhost")).getTxn_ids().get(0);
            iceberg.api().commit_txn(new org.apache.hadoop.hive.metastore.api.CommitTxnRequest(transaction));
            LockComponent afterComponent = new LockComponent(LockType.SHARED_READ, LockLevel.DB, "after_cutover");
            LockResponse afterLock = iceberg.api().lock(new LockRequest(List.of(afterComponent), "after", "localhost"));
            iceberg.api().unlock(new UnlockRequest(afterLock.getLockid()));
            assertThat(iceberg.api().get_all_databases()).contains("after_cutover", "sales_0", "sales_1");
            assertThat(transaction).isGreaterThan(sourceTransactionId);
            assertThat(afterLock.getLockid()).isGreaterThan(sourceLockId);
            try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
                assertThat(ownLong(connection, "SELECT \"DB_ID\" FROM \"DBS\" WHERE \"NAME\" = 'after_cutover'")).isGreaterThan(sourceDatabaseId);
                assertThat(ownLong(connection, "SELECT \"TBL_ID\" FROM \"TBLS\" WHERE \"TBL_NAME\" = 't'")).isGreaterThan(sourceTableId);
                assertThat(ownLong(connection, "SELECT MAX(\"PART_ID\") FROM \"PARTITIONS\"")).isGreaterThan(sourcePartitionId);
                // Event ids continue from the source's: every copied id is there, then one after another, no gap, no repeat.
                long first = ownLong(connection, "SELECT MIN(\"EVENT_ID\") FROM \"NOTIFICATION_LOG\"");
                long last = ownLong(connection, "SELECT MAX(\"EVENT_ID\") FROM \"NOTIFICATION_LOG\"");
                long events = ownLong(connection, "SELECT COUNT(DISTINCT \"EVENT_ID\") FROM \"NOTIFICATION_LOG\"");
                assertThat(first).isEqualTo(source.queryLong("SELECT MIN(EVENT_ID) FROM NOTIFICATION_LOG"));
                assertThat(last).isGreaterThan(sourceEventId);
                assertThat(events).isEqualTo(last - first + 1);
                assertThat(ownLong(connection, "SELECT COUNT(*) FROM \"NOTIFICATION_LOG\"")).isEqualTo(events);
            }
        }
    }

    @Test
    @Tag(FENCE)
    void withoutLockTablesTheCutoverWatchesForAnotherMetastoreAbortsNamingTheTablesThenSucceedsAndSaysSo()
            throws Exception
    {
        RestClient rest = ferry.rest();
        String token = ferry.adminToken();
        LogCapture log = LogCapture.install();
        RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBodyWithoutLockTables(UUID.randomUUID().toString(), directory.resolve("bucket")));
        assertThat(start.status()).as(start.text()).isEqualTo(200);
        JsonNode started = awaitDone(rest, token, start.body().get("name").asText());
        assertThat(started.has("error")).as(started.toString()).isFalse();
        String execution = started.get("response").get("name").asText();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));

        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        try (dev.ferry.engine.Engine other = source.engine()) {
            Table table = other.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("sales_1", "orders_1")).getTable();
            Thread writer = new Thread(() -> {
                for (int i = 0; writing.get(); i++) {
                    try {
                        other.client().add_partition(HmsObjects.partition(table, List.of("other-%05d".formatted(i))));
                        written.incrementAndGet();
                        Thread.sleep(5);
                    }
                    catch (Exception e) {
                        return;
                    }
                }
            }, "other-metastore");
            writer.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > 10);

            RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}");
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            JsonNode aborted = awaitDone(rest, token, complete.body().get("name").asText());
            writing.set(false);
            writer.join(10_000);

            assertThat(aborted.has("error")).as(aborted.toString()).isTrue();
            String message = aborted.get("error").get("message").asText();
            assertThat(message).startsWith("cutover aborted, serving from the source again: something else wrote the source after writes were held");
            // The tables staged after the fence when the check ran: the other writer's add_partition writes its rows
            // in one transaction, but DataNucleus takes their ids from SEQUENCE_TABLE in one of its own before it, so
            // the check may see only that one yet.
            java.util.regex.Matcher tables = java.util.regex.Pattern.compile("tables ([A-Z_, ]+)\\. Stop it").matcher(message);
            if (tables.find()) {
                assertThat(List.of(tables.group(1).split(", "))).as(message).isNotEmpty()
                        .isSubsetOf("SEQUENCE_TABLE", "PARTITIONS", "SDS", "SERDES", "SERDE_PARAMS", "SD_PARAMS", "PARTITION_KEY_VALS", "PARTITION_PARAMS",
                                "NOTIFICATION_LOG", "NOTIFICATION_SEQUENCE", "CDS", "COLUMNS_V2", "BUCKETING_COLS", "SORT_COLS", "TBLS", "TABLE_PARAMS");
            }
            else {
                // Written, but not staged within the check's 2 s: the message gives the source positions instead.
                assertThat(message).contains("tables (source position moved from ");
            }
            JsonNode running = rest.get("/v1/" + execution, token).body();
            assertThat(running.get("phase").asText()).isEqualTo("REPLICATION");
            // RUNNING; or, when apply hit a conflict with the other writer's changes, AWAITING_USER_ACTION until the retry.
            assertThat(running.get("state").asText()).as(running.toString()).isIn("RUNNING", "AWAITING_USER_ACTION");
            if (running.get("state").asText().equals("RUNNING")) {
                assertThat(running.get("stateMessage").asText()).isEqualTo(aborted.get("error").get("message").asText());
            }
            assertThat(rest.get("/v1/" + SERVICE, token).body().get("state").asText()).isEqualTo("MIGRATING");
        }

        // The other metastore stopped: now the cutover goes through.
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300))
                .until(() -> rest.get("/v1/" + execution, token).body(), body -> body.path("state").asText().equals("RUNNING")
                        && body.path("replication").path("stage").asText().equals("STREAMING"));
        RestClient.Response again = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}");
        assertThat(again.status()).as(again.text()).isEqualTo(200);
        JsonNode done = awaitDone(rest, token, again.body().get("name").asText());
        assertThat(done.has("error")).as(done.toString()).isFalse();
        // One engine on the own database for both cutovers: the aborted one's, which served nothing, was kept.
        log.close();
        assertThat(log.lines().stream().filter(CompleteMigrationContract::ownEngineStart)).as(String.join("\n", log.lines())).hasSize(1);
        JsonNode succeeded = rest.get("/v1/" + execution, token).body();
        assertThat(succeeded.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(succeeded.get("stateMessage").asText()).contains("the source could not be fenced (the reader may not LOCK TABLES on its metastore database): "
                + "other writers were watched for 150 ms after the fence instead");
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_partition_names("sales_1", "orders_1", (short) -1)).hasSize(50 + (int) written.get());
        }
    }

    /**
     * With the LOCK TABLES grant, the source is fenced from the fence to the switch: another metastore still writing
     * it is held back (its calls wait, none fails), nothing it writes lands between the fence and the switch, and the
     * cutover completes. The fence is released: the other metastore's later writes go to the source again.
     */
    @Test
    @Tag(FENCE)
    void anotherMetastoreWritingTheSourceIsFencedOutAndCompleteSucceeds()
            throws Exception
    {
        RestClient rest = ferry.rest();
        String token = ferry.adminToken();
        RestClient.Response start = rest.post("/v1/" + SERVICE + ":startMigration", token, source.startMigrationBody(UUID.randomUUID().toString(), directory.resolve("bucket")));
        assertThat(start.status()).as(start.text()).isEqualTo(200);
        JsonNode started = awaitDone(rest, token, start.body().get("name").asText());
        assertThat(started.has("error")).as(started.toString()).isFalse();
        String execution = started.get("response").get("name").asText();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300))
                .until(() -> rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText().equals("STREAMING"));

        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<String> failed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (dev.ferry.engine.Engine other = source.engine()) {
            Table table = other.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("sales_0", "orders_1")).getTable();
            Thread writer = new Thread(() -> {
                for (int i = 0; writing.get(); i++) {
                    String value = "fenced-%05d".formatted(i);
                    try {
                        other.client().add_partition(HmsObjects.partition(table, List.of(value)));
                        written.incrementAndGet();
                        Thread.sleep(5);
                    }
                    catch (InterruptedException e) {
                        return;
                    }
                    catch (Exception e) {
                        failed.add(value + ": " + e);
                    }
                }
            }, "other-metastore");
            writer.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > 10);

            RestClient.Response complete = rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}");
            assertThat(complete.status()).as(complete.text()).isEqualTo(200);
            JsonNode done = awaitDone(rest, token, complete.body().get("name").asText());
            assertThat(done.has("error")).as(done.toString()).isFalse();
            long afterSwitch = written.get();
            // The fence is gone: the other metastore writes the source again.
            await().atMost(Duration.ofSeconds(30)).until(() -> written.get() > afterSwitch + 5);
            writing.set(false);
            writer.join(10_000);
            // Taking the fence waits for the other metastore's transaction in flight to commit, and its later writes
            // wait for the fence. But LOCK TABLES takes its table locks one by one, in name order: when that
            // transaction has written a table after the one the fence waits for (SERDES) and then asks for one the
            // fence already holds (SDS), MySQL breaks the cycle by failing that transaction, as a deadlock, rolled
            // back whole. So at most that one call fails, and nothing of it is written.
            assertThat(failed).as("calls of the other metastore that failed").hasSizeLessThanOrEqualTo(1);
            for (String failure : failed) {
                String value = failure.substring(0, failure.indexOf(':'));
                assertThatThrownBy(() -> other.client().get_partition("sales_0", "orders_1", List.of(value)))
                        .as("the partition of the refused call %s, on the source", failure)
                        .isInstanceOf(org.apache.hadoop.hive.metastore.api.NoSuchObjectException.class);
            }
        }
        JsonNode succeeded = rest.get("/v1/" + execution, token).body();
        assertThat(succeeded.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(succeeded.get("stateMessage").asText()).contains("the source was fenced (its metastore tables locked) from the fence to the switch");
    }

    private static long ownLong(Connection connection, String sql)
            throws Exception
    {
        try (PreparedStatement select = connection.prepareStatement(sql); ResultSet rows = select.executeQuery()) {
            assertThat(rows.next()).as(sql).isTrue();
            return rows.getLong(1);
        }
    }

    private static Set<String> ownPartitions(Connection connection, String database, String table)
            throws Exception
    {
        Set<String> names = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT p."PART_NAME" FROM "PARTITIONS" p JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
                WHERE d."NAME" = ? AND t."TBL_NAME" = ?""")) {
            select.setString(1, database);
            select.setString(2, table);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }
}
