package dev.ferry.server.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.server.control.FerryFixture;
import dev.ferry.server.control.LogCapture;
import dev.ferry.server.control.RestClient;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;

import static org.awaitility.Awaitility.await;

/**
 * The write-pause benchmark of docs/BENCHMARKS.md: {@code mvn -B -pl ferry-server exec:java}. One embedded MariaDB
 * source of HMS-shaped rows generated with SQL, then {@code cutovers} times: a Ferry with a fresh data directory,
 * startMigration, STREAMING, writers adding partitions through Ferry's Thrift port at {@code rate} row changes/s,
 * completeMigration, and the execution's {@code replication.writePauseMillis} with ControlPlane's step timings.
 */
public final class CutoverBenchmark
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final int PARTITIONS = Integer.getInteger("partitions", 150_000);
    private static final int CUTOVERS = Integer.getInteger("cutovers", 20);
    private static final int RATE = Integer.getInteger("rate", 2_000);
    private static final int STREAMING_SECONDS = Integer.getInteger("streamingSeconds", 10);
    private static final int WRITERS = Integer.getInteger("writers", 4);
    private static final int PARTITIONS_PER_CALL = Integer.getInteger("partitionsPerCall", 20);

    private CutoverBenchmark() {}

    public static void main(String[] args)
            throws Exception
    {
        LogCapture logs = LogCapture.install();
        List<Long> pauses = new ArrayList<>();
        List<String> steps = new ArrayList<>();
        int failedCutovers = 0;
        long failedCalls = 0;
        try (SourceMetastore source = SourceMetastore.start(0, 0)) {
            long started = System.nanoTime();
            long rows = generate(source, PARTITIONS);
            System.out.printf("source: %,d generated rows (%s partitions) in %.1f s%n", rows, PARTITIONS, (System.nanoTime() - started) / 1e9);
            Path root = Files.createTempDirectory("ferry-cutover-bench-");
            // Twenty Ferry data directories and staging logs: gigabytes, removed however the run ends.
            try {
                double changesPerCall = 0;
                for (int i = 0; i < CUTOVERS; i++) {
                    try (FerryFixture ferry = FerryFixture.start(root.resolve("ferry-" + i))) {
                        RestClient rest = ferry.rest();
                        String token = ferry.adminToken();
                        JsonNode startDone = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":startMigration", token,
                                source.startMigrationBody(UUID.randomUUID().toString(), root.resolve("bucket-" + i))).body().get("name").asText());
                        if (startDone.has("error")) {
                            throw new IllegalStateException("startMigration failed: " + startDone);
                        }
                        String execution = startDone.get("response").get("name").asText();
                        long backfillStarted = System.nanoTime();
                        await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(250))
                                .until(() -> stage(rest, token, execution).equals("STREAMING"));
                        double backfillSeconds = (System.nanoTime() - backfillStarted) / 1e9;
                        if (i == 0) {
                            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                                client.api().create_database(HmsObjects.database("bench_load"));
                                client.api().create_table(HmsObjects.partitionedTable("bench_load", "writes", List.of("part")));
                                changesPerCall = calibrate(client, rest, token, execution);
                            }
                            System.out.printf("one add_partitions call of %s partitions = %.1f row changes%n", PARTITIONS_PER_CALL, changesPerCall);
                        }
                        int logged = logs.lines().size();
                        try (Writers writers = Writers.start(ferry.thriftPort(), RATE / changesPerCall, "c" + i)) {
                            Thread.sleep(2_000);
                            writers.latencies(true);
                            long events = eventsApplied(rest, token, execution);
                            long measured = System.nanoTime();
                            Thread.sleep(STREAMING_SECONDS * 1_000L);
                            double rate = (eventsApplied(rest, token, execution) - events) / ((System.nanoTime() - measured) / 1e9);
                            List<Long> before = writers.latencies(true);
                            JsonNode done = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}").body().get("name").asText());
                            Thread.sleep(1_000);
                            long failures = writers.stop();
                            List<Long> during = writers.latencies(false);
                            failedCalls += failures;
                            if (done.has("error")) {
                                failedCutovers++;
                                System.out.printf("cutover %2d: FAILED %s%n", i + 1, done.get("error"));
                                continue;
                            }
                            long pause = rest.get("/v1/" + execution, token).body().get("replication").get("writePauseMillis").asLong();
                            pauses.add(pause);
                            List<String> cutoverLines = logs.lines().subList(logged, logs.lines().size());
                            String step = cutoverLines.stream().filter(line -> line.contains("cutover steps")).findFirst()
                                    .map(line -> line.substring(line.indexOf("cutover steps"))).orElse("(no step line)");
                            String closed = cutoverLines.stream().filter(line -> line.contains("gate closed")).findFirst()
                                    .map(line -> line.substring(line.indexOf("write pause"))).orElse("(no write pause line)");
                            step = closed + "; " + step;
                            steps.add(step);
                            System.out.printf("cutover %2d: backfill+start %.1f s, %.0f row changes/s applied before, calls before completeMigration p50 %d ms p99 %d ms (%d calls),"
                                            + " calls from completeMigration on max %d ms, write pause %d ms, failed calls %d; %s%n",
                                    i + 1, backfillSeconds, rate, before.isEmpty() ? -1 : percentile(before, 50), before.isEmpty() ? -1 : percentile(before, 99), before.size(),
                                    during.isEmpty() ? -1 : during.get(during.size() - 1), pause, failures, step);
                        }
                    }
                }
            }
            finally {
                deleteRecursively(root);
            }
        }
        List<Long> sorted = pauses.stream().sorted().toList();
        if (!sorted.isEmpty()) {
            System.out.printf("write pause over %d cutovers: p50 %d ms, p99 %d ms, max %d ms (failed cutovers %d, failed calls %d)%n",
                    sorted.size(), percentile(sorted, 50), percentile(sorted, 99), sorted.get(sorted.size() - 1), failedCutovers, failedCalls);
        }
        System.exit(0);
    }

    private static void deleteRecursively(Path root)
            throws java.io.IOException
    {
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Nearest rank. */
    private static long percentile(List<Long> sorted, int percentile)
    {
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /** Row changes per add_partitions call, from apply's count of applied row changes. */
    private static double calibrate(HmsClient client, RestClient rest, String token, String execution)
            throws Exception
    {
        Table table = client.api().get_table_req(new GetTableRequest("bench_load", "writes")).getTable();
        Thread.sleep(2_000);
        long before = eventsApplied(rest, token, execution);
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            client.api().add_partitions(partitions(table, "calibrate-" + i));
        }
        Thread.sleep(3_000);
        return (eventsApplied(rest, token, execution) - before) / (double) calls;
    }

    private static List<Partition> partitions(Table table, String prefix)
    {
        List<Partition> partitions = new ArrayList<>();
        for (int k = 0; k < PARTITIONS_PER_CALL; k++) {
            partitions.add(HmsObjects.partition(table, List.of(prefix + "-" + k)));
        }
        return partitions;
    }

    private static String stage(RestClient rest, String token, String execution)
    {
        return rest.get("/v1/" + execution, token).body().path("replication").path("stage").asText();
    }

    private static long eventsApplied(RestClient rest, String token, String execution)
    {
        return rest.get("/v1/" + execution, token).body().path("replication").path("eventsApplied").asLong();
    }

    private static JsonNode awaitDone(RestClient rest, String token, String operation)
    {
        return await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> rest.get("/v1/" + operation, token).body(), body -> body.path("done").asBoolean());
    }

    /** Writer threads adding partitions through Ferry's Thrift port at a fixed rate of calls, each on its own connection. */
    private static final class Writers
            implements AutoCloseable
    {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong failures = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private final List<Long> latencies = new ArrayList<>();

        static Writers start(int port, double callsPerSecond, String prefix)
                throws Exception
        {
            Writers writers = new Writers();
            long intervalNanos = (long) (WRITERS * 1e9 / callsPerSecond);
            long start = System.nanoTime();
            for (int w = 0; w < WRITERS; w++) {
                HmsClient client = HmsClient.connect("localhost", port);
                Table table = client.api().get_table_req(new GetTableRequest("bench_load", "writes")).getTable();
                String name = prefix + "-w" + w;
                // Staggered: writer w calls at start + w/WRITERS of the interval, then every interval, so that calls
                // arrive evenly (all at once, they came in bursts, contended on the source, and a cutover's hold
                // often fell between two bursts and held no write at all).
                long first = start + w * intervalNanos / WRITERS;
                Thread thread = new Thread(() -> writers.write(client, table, name, first, intervalNanos), "bench-writer-" + w);
                thread.setDaemon(true);
                writers.threads.add(thread);
            }
            writers.threads.forEach(Thread::start);
            return writers;
        }

        private void write(HmsClient client, Table table, String name, long first, long intervalNanos)
        {
            long next = first;
            try (client) {
                for (long n = 0; running.get(); n++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    next += intervalNanos;
                    try {
                        long begin = System.nanoTime();
                        client.api().add_partitions(partitions(table, name + "-" + n));
                        synchronized (latencies) {
                            latencies.add((System.nanoTime() - begin) / 1_000_000);
                        }
                    }
                    catch (Exception e) {
                        failures.incrementAndGet();
                        System.out.printf("writer %s: %s%n", name, e);
                    }
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Call latencies so far, in ms, sorted; with {@code reset}, starts a new sample. */
        List<Long> latencies(boolean reset)
        {
            synchronized (latencies) {
                List<Long> sorted = latencies.stream().sorted().toList();
                if (reset) {
                    latencies.clear();
                }
                return sorted;
            }
        }

        long stop()
                throws InterruptedException
        {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(30_000);
            }
            return failures.get();
        }

        @Override
        public void close()
                throws InterruptedException
        {
            stop();
        }
    }

    /**
     * Rows shaped like HMS's, written with SQL after Hive's schema tool (as ReplicationBenchmark does): one table with
     * {@code partitions} partitions, 7 rows each; DataNucleus's SEQUENCE_TABLE raised above them so that the engine
     * can add partitions.
     */
    private static long generate(SourceMetastore source, int partitions)
            throws Exception
    {
        long last = 1000L + partitions;
        source.execute(List.of("""
                SET FOREIGN_KEY_CHECKS = 0;
                INSERT INTO DBS (DB_ID, `DESC`, DB_LOCATION_URI, NAME, OWNER_NAME, OWNER_TYPE, CTLG_NAME, CREATE_TIME, TYPE)
                  VALUES (1000, 'benchmark', 'file:/tmp/bench.db', 'bench', 'ferry', 'USER', 'hive', 0, 'NATIVE');
                INSERT INTO CDS (CD_ID) VALUES (1000);
                INSERT INTO COLUMNS_V2 (CD_ID, COMMENT, COLUMN_NAME, TYPE_NAME, INTEGER_IDX) VALUES (1000, NULL, 'id', 'bigint', 0);
                INSERT INTO SERDES (SERDE_ID, NAME, SLIB) SELECT seq, NULL, 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' FROM seq_1000_to_%1$s;
                INSERT INTO SERDE_PARAMS (SERDE_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'serialization.format', '1' FROM seq_1000_to_%1$s;
                INSERT INTO SDS (SD_ID, INPUT_FORMAT, IS_COMPRESSED, LOCATION, NUM_BUCKETS, OUTPUT_FORMAT, SERDE_ID, CD_ID, IS_STOREDASSUBDIRECTORIES)
                  SELECT seq, 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat', 0, CONCAT('file:/tmp/bench.db/events/day=', seq), -1,
                  'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat', seq, 1000, 0 FROM seq_1000_to_%1$s;
                INSERT INTO TBLS (TBL_ID, CREATE_TIME, DB_ID, LAST_ACCESS_TIME, OWNER, OWNER_TYPE, RETENTION, SD_ID, TBL_NAME, TBL_TYPE, IS_REWRITE_ENABLED)
                  VALUES (1000, 0, 1000, 0, 'ferry', 'USER', 0, 1000, 'events', 'EXTERNAL_TABLE', 0);
                INSERT INTO PARTITION_KEYS (TBL_ID, PKEY_COMMENT, PKEY_NAME, PKEY_TYPE, INTEGER_IDX) VALUES (1000, NULL, 'day', 'string', 0);
                INSERT INTO PARTITIONS (PART_ID, CREATE_TIME, LAST_ACCESS_TIME, PART_NAME, SD_ID, TBL_ID, WRITE_ID)
                  SELECT seq, 0, 0, CONCAT('day=', seq), seq, 1000, 0 FROM seq_1001_to_%1$s;
                INSERT INTO PARTITION_KEY_VALS (PART_ID, PART_KEY_VAL, INTEGER_IDX) SELECT seq, seq, 0 FROM seq_1001_to_%1$s;
                INSERT INTO PARTITION_PARAMS (PART_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'numFiles', '1' FROM seq_1001_to_%1$s;
                INSERT INTO PARTITION_PARAMS (PART_ID, PARAM_KEY, PARAM_VALUE) SELECT seq, 'totalSize', '1024' FROM seq_1001_to_%1$s;
                """.formatted(last).split(";\n")).stream().map(String::strip).filter(sql -> !sql.isEmpty()).toList());
        for (String model : List.of("MDatabase", "MTable", "MPartition", "MStorageDescriptor", "MSerDeInfo", "MColumnDescriptor")) {
            source.execute("INSERT INTO SEQUENCE_TABLE (SEQUENCE_NAME, NEXT_VAL) VALUES ('org.apache.hadoop.hive.metastore.model.%s', %s) ON DUPLICATE KEY UPDATE NEXT_VAL = GREATEST(NEXT_VAL, %s)"
                    .formatted(model, last + 1000, last + 1000));
        }
        return 7L * partitions + 5;
    }
}
