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
import dev.ferry.testkit.GeneratedMetastore;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;

import static org.awaitility.Awaitility.await;

/**
 * The write-pause benchmark of docs/BENCHMARKS.md: {@code mvn -B -pl ferry-server exec:java}. One embedded source
 * ({@code source}, a SourceServers.Kind: MARIADB_10_11 by default, or MYSQL_8_0_GTID, MYSQL_8_0, MYSQL_5_7) of
 * HMS-shaped rows generated with SQL, then {@code cutovers} times: a Ferry with a fresh data directory,
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
    /**
     * Writers that leave no moment without a write in flight, at the same {@code rate}: a writer whose call ends with
     * fewer than {@code inFlight} calls in flight wakes an idle writer to call at once, so that when any call ends
     * another is still running. Calls are smaller ({@code partitionsPerCall} 5 by default) so that calls overlapping
     * all the time still make about {@code rate} row changes/s, not the several times more (and a saturated machine)
     * of writers that simply call again at once.
     */
    private static final boolean CONTINUOUS = Boolean.getBoolean("continuous");
    private static final int PARTITIONS_PER_CALL = Integer.getInteger("partitionsPerCall", CONTINUOUS ? 5 : 20);
    private static final int IN_FLIGHT = Integer.getInteger("inFlight", 2);
    /**
     * Reader threads that call a round of read methods through Ferry (about 20 calls/s each): reads are never held,
     * so their latency overlapping completeMigration is what the own engine's first calls cost, per method.
     */
    private static final int READERS = Integer.getInteger("readers", 2);
    /**
     * Tables the writers share out (writer w writes table w modulo this): by default one each. HMS 4's add_partitions
     * holds a lock per table for the whole call, so writers on one table (`-Dtables=1`) queue behind each other there.
     */
    private static final int TABLES = Integer.getInteger("tables", WRITERS);
    /** Whether completeMigration waits for the background maintenance's first full verify, as after a long migration. */
    private static final boolean SETTLED = Boolean.parseBoolean(System.getProperty("settled", "true"));
    /**
     * Samples (every 5 ms, from completeMigration until a second after it) the stacks of threads inside the own
     * engine's handler, and says per method where the time went: class loading, DataNucleus's id allocation, the
     * notification listener, the file system, PostgreSQL, other code. Off by default: sampling costs CPU.
     */
    private static final boolean SAMPLE = Boolean.getBoolean("sample");
    /**
     * Replicas of the service per cutover, cycled through the list (e.g. {@code -Dreplicas=1,3}: odd cutovers with one,
     * even ones with three, so that both counts share the run's conditions). Unset: one Ferry on its embedded
     * PostgreSQL, as before. Set: every Ferry of the run on one external PostgreSQL (a database per cutover), the
     * writers and readers spread over the replicas (writer w on replica w modulo the count), startMigration and
     * completeMigration sent to the first.
     */
    private static final List<Integer> REPLICAS = System.getProperty("replicas", "").isBlank() ? List.of()
            : java.util.Arrays.stream(System.getProperty("replicas").split(",")).map(String::trim).map(Integer::valueOf).toList();
    private static final String KEY = java.util.Base64.getEncoder().encodeToString(new byte[32]);

    /** One group's figures: all cutovers of a run, or those with one replica count. */
    private static final class Results
    {
        final List<Long> pauses = new ArrayList<>();
        /** With replicas: per cutover, the longest write pause of any replica (the first's, or one the others logged). */
        final List<Long> servicePauses = new ArrayList<>();
        final List<Long> stalls = new ArrayList<>();
        final List<Long> tails = new ArrayList<>();
        final List<Long> completions = new ArrayList<>();
        int failedCutovers;
        int heldInFlight;
        long failedCalls;
    }

    private CutoverBenchmark() {}

    public static void main(String[] args)
    {
        try {
            run();
        }
        catch (Throwable e) {
            // exec:java's own report of a failed main can be lost behind the engines' shutdown hooks.
            System.out.println("the benchmark failed: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void run()
            throws Exception
    {
        LogCapture logs = LogCapture.install();
        java.util.Map<Integer, Results> groups = new java.util.TreeMap<>();
        List<String> steps = new ArrayList<>();
        java.util.Map<String, List<Long>> methodStalls = new java.util.TreeMap<>();
        java.util.Map<String, List<Long>> methodTails = new java.util.TreeMap<>();
        java.util.Map<String, java.util.Map<String, Integer>> samplesTotal = new java.util.TreeMap<>();
        SourceServers.Kind kind = SourceServers.Kind.valueOf(System.getProperty("source", SourceServers.Kind.MARIADB_10_11.name()));
        dev.ferry.testkit.EmbeddedPostgresServer shared = REPLICAS.isEmpty() ? null : dev.ferry.testkit.EmbeddedPostgresServer.start();
        try (SourceMetastore source = SourceMetastore.start(kind, 0, 0)) {
            System.out.println("source: " + source.server().description());
            long started = System.nanoTime();
            long rows = generate(source, PARTITIONS);
            System.out.printf("source: %,d generated rows (%s partitions) in %.1f s%n", rows, PARTITIONS, (System.nanoTime() - started) / 1e9);
            Path root = Files.createTempDirectory("ferry-cutover-bench-");
            // Twenty Ferry data directories and staging logs: gigabytes, removed however the run ends.
            try {
                double changesPerCall = 0;
                for (int i = 0; i < CUTOVERS; i++) {
                    int replicaCount = REPLICAS.isEmpty() ? 1 : REPLICAS.get(i % REPLICAS.size());
                    Results results = groups.computeIfAbsent(replicaCount, count -> new Results());
                    List<FerryFixture> replicas = startReplicas(root, i, replicaCount, shared);
                    int[] ports = replicas.stream().mapToInt(FerryFixture::thriftPort).toArray();
                    try (FerryFixture ferry = replicas.get(0); AutoCloseable others = () -> replicas.subList(1, replicas.size()).forEach(FerryFixture::close)) {
                        RestClient rest = ferry.rest();
                        String token = replicas.stream().filter(replica -> Files.exists(replica.dataDirectory().resolve("admin-token"))).findFirst().orElseThrow().adminToken();
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
                        if (SETTLED) {
                            // A migration streams for hours or days before completeMigration: by then the background
                            // maintenance restored the foreign keys and verified every table once, and only verifies
                            // what changed every 30 s. Measured right after the backfill, the cutover would overlap
                            // that first full verify, which a real one does not.
                            await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(250))
                                    .until(() -> !rest.get("/v1/" + execution, token).body().path("replication").path("lastFullVerification").isMissingNode());
                        }
                        if (i == 0) {
                            try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
                                client.api().create_database(HmsObjects.database("bench_load"));
                                for (int t = 0; t < TABLES; t++) {
                                    client.api().create_table(HmsObjects.partitionedTable("bench_load", writesTable(t), List.of("part")));
                                }
                                changesPerCall = calibrate(client, rest, token, execution);
                            }
                            System.out.printf("one add_partitions call of %s partitions = %.1f row changes%n", PARTITIONS_PER_CALL, changesPerCall);
                        }
                        int logged = logs.lines().size();
                        try (Writers writers = Writers.start(ports, RATE / changesPerCall, "c" + i);
                                Readers readers = Readers.start(ports)) {
                            Thread.sleep(2_000);
                            long events = eventsApplied(rest, token, execution);
                            long measured = System.nanoTime();
                            Thread.sleep(STREAMING_SECONDS * 1_000L);
                            double rate = (eventsApplied(rest, token, execution) - events) / ((System.nanoTime() - measured) / 1e9);
                            StackSampler sampler = SAMPLE ? StackSampler.start() : null;
                            long completeBegan = System.nanoTime();
                            JsonNode done = awaitDone(rest, token, rest.post("/v1/" + SERVICE + ":completeMigration", token, "{}").body().get("name").asText());
                            long completeEnded = System.nanoTime();
                            Thread.sleep(1_000);
                            if (sampler != null) {
                                java.util.Map<String, java.util.Map<String, Integer>> samples = sampler.stop();
                                System.out.printf("cutover %2d: own engine handler samples (5 ms each) from completeMigration on: %s%n", i + 1, samples);
                                samples.forEach((method, byCategory) -> byCategory.forEach((category, count) ->
                                        samplesTotal.computeIfAbsent(method, name -> new java.util.TreeMap<>()).merge(category, count, Integer::sum)));
                            }
                            long failures = writers.stop() + readers.stop();
                            readers.longestOverlappingByMethod(completeBegan, completeEnded)
                                    .forEach((method, longest) -> methodStalls.computeIfAbsent(method, name -> new ArrayList<>()).add(longest));
                            readers.p99ByMethod(measured, completeBegan)
                                    .forEach((method, p99) -> methodTails.computeIfAbsent(method, name -> new ArrayList<>()).add(p99));
                            // The load's own tail: calls of the streaming seconds before completeMigration. What clients
                            // feel of the cutover: the longest call that overlapped completeMigration, whole.
                            List<Long> before = writers.latencies(measured, completeBegan);
                            java.util.Optional<long[]> longest = writers.longestOverlapping(completeBegan, completeEnded);
                            long stall = longest.map(call -> (call[1] - call[0]) / 1_000_000).orElse(0L);
                            String stallAt = longest.map(call -> "+%d..+%d ms".formatted((call[0] - completeBegan) / 1_000_000, (call[1] - completeBegan) / 1_000_000))
                                    .orElse("none");
                            long completion = (completeEnded - completeBegan) / 1_000_000;
                            results.failedCalls += failures;
                            if (done.has("error")) {
                                results.failedCutovers++;
                                System.out.printf("cutover %2d: FAILED %s%n", i + 1, done.get("error"));
                                continue;
                            }
                            long pause = rest.get("/v1/" + execution, token).body().get("replication").get("writePauseMillis").asLong();
                            results.pauses.add(pause);
                            results.stalls.add(stall);
                            results.completions.add(completion);
                            if (!before.isEmpty()) {
                                results.tails.add(percentile(before, 99));
                            }
                            List<String> cutoverLines = logs.lines().subList(logged, logs.lines().size());
                            String step = cutoverLines.stream().filter(line -> line.contains("cutover steps")).findFirst()
                                    .map(line -> line.substring(line.indexOf("cutover steps"))).orElse("(no step line)");
                            String closed = cutoverLines.stream().filter(line -> line.contains("gate closed")).findFirst()
                                    .map(line -> line.substring(line.indexOf("write pause"))).orElse("(no write pause line)");
                            boolean heldWithWritesInFlight = cutoverLines.stream().anyMatch(line -> line.contains("writes held with writes in flight"));
                            if (heldWithWritesInFlight) {
                                results.heldInFlight++;
                            }
                            long replicaHolds = cutoverLines.stream().filter(line -> line.contains("writes held for the switch")).count();
                            // The other replicas' pauses, as each logs it when it releases: the service's pause is the longest.
                            List<Long> followerPauses = cutoverLines.stream().filter(line -> line.contains("writes released: write pause "))
                                    .map(line -> Long.parseLong(line.substring(line.indexOf("writes released: write pause ") + "writes released: write pause ".length()).split(" ")[0]))
                                    .toList();
                            if (replicaCount > 1) {
                                long longestFollower = followerPauses.stream().mapToLong(Long::longValue).max().orElse(0);
                                results.servicePauses.add(Math.max(pause, longestFollower));
                                step = "%d replicas (%d held writes for the switch; their write pauses %s ms); ".formatted(replicaCount, replicaHolds, followerPauses) + step;
                            }
                            step = closed + (heldWithWritesInFlight ? ", held with writes in flight" : ", held at a moment with none in flight") + "; " + step;
                            steps.add(step);
                            System.out.printf("cutover %2d: backfill+start %.1f s, %.0f row changes/s applied before, calls before completeMigration p50 %d ms p99 %d ms max %d ms (%d calls),"
                                            + " completeMigration %d ms, longest call overlapping it (client-visible stall) %d ms at %s from completeMigration, write pause %d ms, failed calls %d; %s%n",
                                    i + 1, backfillSeconds, rate, before.isEmpty() ? -1 : percentile(before, 50), before.isEmpty() ? -1 : percentile(before, 99),
                                    before.isEmpty() ? -1 : before.get(before.size() - 1), before.size(), completion, stall, stallAt, pause, failures, step);
                        }
                    }
                }
            }
            finally {
                deleteRecursively(root);
            }
        }
        finally {
            if (shared != null) {
                shared.close();
            }
        }
        for (java.util.Map.Entry<Integer, Results> group : groups.entrySet()) {
            summarize(REPLICAS.isEmpty() ? "" : "%d replica%s, ".formatted(group.getKey(), group.getKey() == 1 ? "" : "s"), group.getValue());
        }
        if (!methodStalls.isEmpty()) {
            System.out.println("  reads, per method: longest call overlapping completeMigration (p50 / p99 / max over cutovers), and the p99 of the same calls in the seconds before it (median over cutovers)");
            methodStalls.forEach((method, longest) -> {
                List<Long> sortedLongest = longest.stream().sorted().toList();
                List<Long> sortedBefore = methodTails.getOrDefault(method, List.of()).stream().sorted().toList();
                System.out.printf("    %-34s %5d / %5d / %5d ms   before: p99 %s ms%n", method, percentile(sortedLongest, 50), percentile(sortedLongest, 99),
                        sortedLongest.get(sortedLongest.size() - 1), sortedBefore.isEmpty() ? "-" : Long.toString(percentile(sortedBefore, 50)));
            });
        }
        if (!samplesTotal.isEmpty()) {
            System.out.println("  own engine handler samples (5 ms each) from completeMigration on, all cutovers, per method and where: " + samplesTotal);
        }
        System.exit(0);
    }

    /**
     * The Ferrys of cutover {@code i}: one on its embedded PostgreSQL when {@code shared} is null; else {@code count}
     * replicas of one service over a new database of {@code shared}.
     */
    private static List<FerryFixture> startReplicas(Path root, int i, int count, dev.ferry.testkit.EmbeddedPostgresServer shared)
    {
        if (shared == null) {
            return List.of(FerryFixture.start(root.resolve("ferry-" + i)));
        }
        String url = shared.createDatabase("ferry_" + i);
        List<FerryFixture> replicas = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            replicas.add(FerryFixture.start(root.resolve("ferry-%s-r%s".formatted(i, r)), FerryFixture.replicaYaml(url, KEY)));
        }
        return replicas;
    }

    private static void summarize(String label, Results results)
    {
        List<Long> sorted = results.pauses.stream().sorted().toList();
        if (!sorted.isEmpty()) {
            List<Long> sortedStalls = results.stalls.stream().sorted().toList();
            List<Long> sortedTails = results.tails.stream().sorted().toList();
            List<Long> sortedCompletions = results.completions.stream().sorted().toList();
            System.out.printf("%s%s writers (%d on %d tables, %d partitions per call), %d cutovers (failed cutovers %d, failed calls %d; writes held with writes in flight in %d, at a moment with none in %d):%n",
                    label, CONTINUOUS ? "continuous" : "paced", WRITERS, TABLES, PARTITIONS_PER_CALL, sorted.size(), results.failedCutovers, results.failedCalls,
                    results.heldInFlight, sorted.size() - results.heldInFlight);
            System.out.printf("  write pause: p50 %d ms, p99 %d ms, max %d ms%s%n", percentile(sorted, 50), percentile(sorted, 99), sorted.get(sorted.size() - 1),
                    REPLICAS.isEmpty() ? "" : " (the replica that ran the cutover)");
            if (!results.servicePauses.isEmpty()) {
                List<Long> sortedService = results.servicePauses.stream().sorted().toList();
                System.out.printf("  write pause of any replica (the longest per cutover): p50 %d ms, p99 %d ms, max %d ms%n", percentile(sortedService, 50),
                        percentile(sortedService, 99), sortedService.get(sortedService.size() - 1));
            }
            System.out.printf("  client-visible stall (longest call overlapping completeMigration): p50 %d ms, p99 %d ms, max %d ms%n",
                    percentile(sortedStalls, 50), percentile(sortedStalls, 99), sortedStalls.get(sortedStalls.size() - 1));
            if (!sortedTails.isEmpty()) {
                System.out.printf("  the load's own tail (p99 of calls in the %d s before completeMigration): p50 %d ms, p99 %d ms%n", STREAMING_SECONDS,
                        percentile(sortedTails, 50), percentile(sortedTails, 99));
            }
            System.out.printf("  completeMigration: p50 %d ms, max %d ms%n", percentile(sortedCompletions, 50), sortedCompletions.get(sortedCompletions.size() - 1));
        }
    }

    /** Samples the stacks of the own engine's handler threads; see {@link #SAMPLE}. */
    private static final class StackSampler
    {
        private final java.util.Map<String, java.util.Map<String, Integer>> samples = new java.util.TreeMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        private StackSampler()
        {
            thread = new Thread(this::run, "cutover-bench-sampler");
            thread.setDaemon(true);
        }

        static StackSampler start()
        {
            StackSampler sampler = new StackSampler();
            sampler.thread.start();
            return sampler;
        }

        private void run()
        {
            while (running.get()) {
                for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
                    // The HMS method: the outermost frame of the own engine's handler that is not its proxy's invoke
                    // or a thread pool's lambda; "<init>" is a thread's handler made on its first call.
                    String method = null;
                    for (StackTraceElement frame : stack) {
                        if (frame.getClassName().endsWith("HMSHandler") && frame.getClassLoaderName() != null && frame.getClassLoaderName().contains("-own-")
                                && !frame.getMethodName().startsWith("invoke")) {
                            method = frame.getMethodName();
                        }
                    }
                    if (method != null) {
                        synchronized (samples) {
                            samples.computeIfAbsent(method, name -> new java.util.TreeMap<>()).merge(category(stack), 1, Integer::sum);
                        }
                    }
                }
                try {
                    Thread.sleep(5);
                }
                catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static String category(StackTraceElement[] stack)
        {
            java.util.function.Predicate<java.util.function.Predicate<StackTraceElement>> any = test -> java.util.Arrays.stream(stack).anyMatch(test);
            if (any.test(frame -> (frame.getClassName().endsWith("ClassLoader") && (frame.getMethodName().startsWith("loadClass") || frame.getMethodName().startsWith("defineClass")
                    || frame.getMethodName().startsWith("findClass"))) || frame.getClassName().startsWith("jdk.internal.loader"))) {
                return "class loading";
            }
            if (any.test(frame -> frame.getClassName().toLowerCase(java.util.Locale.ROOT).contains("valuegenerat"))) {
                return "id allocation";
            }
            if (any.test(frame -> frame.getClassName().contains("NotificationListener") || frame.getClassName().contains("ListenerNotifier"))) {
                return "notification listener";
            }
            if (any.test(frame -> frame.getClassName().equals("org.apache.hadoop.util.Shell"))) {
                return "file system (a forked chmod)";
            }
            if (any.test(frame -> frame.getClassName().startsWith("org.apache.hadoop.fs"))) {
                return "file system";
            }
            if (any.test(frame -> frame.getClassName().endsWith("FutureTask"))) {
                return "waiting for the directory threads";
            }
            if (any.test(frame -> frame.getClassName().startsWith("org.postgresql") || frame.getClassName().startsWith("com.zaxxer"))) {
                return "PostgreSQL";
            }
            if (any.test(frame -> frame.getClassName().contains("datanucleus"))) {
                return "DataNucleus";
            }
            if (stack.length > 0 && (stack[0].getMethodName().equals("park") || stack[0].getMethodName().equals("wait") || stack[0].getMethodName().startsWith("wait0"))) {
                return "waiting (" + java.util.Arrays.stream(stack).filter(frame -> frame.getClassName().contains("hive")).findFirst().map(StackTraceElement::getMethodName).orElse("?") + ")";
            }
            return "other Hive code";
        }

        java.util.Map<String, java.util.Map<String, Integer>> stop()
                throws InterruptedException
        {
            running.set(false);
            thread.join();
            synchronized (samples) {
                return new java.util.TreeMap<>(samples);
            }
        }
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

    /** The tables writers write: {@code writes} (the one readers read and the calibration writes), then {@code writes_1}, ... */
    private static String writesTable(int index)
    {
        return index == 0 ? "writes" : "writes_" + index;
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

    /** Reader threads calling a round of read methods through Ferry's Thrift port, each on its own connection. */
    private static final class Readers
            implements AutoCloseable
    {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong failures = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        /** Every call: its method, when it began and ended (nanoTime). */
        private final List<Object[]> calls = new ArrayList<>();

        static Readers start(int[] ports)
                throws Exception
        {
            Readers readers = new Readers();
            for (int r = 0; r < READERS; r++) {
                HmsClient client = HmsClient.connect("localhost", ports[r % ports.length]);
                Thread thread = new Thread(() -> readers.read(client), "bench-reader-" + r);
                thread.setDaemon(true);
                readers.threads.add(thread);
            }
            readers.threads.forEach(Thread::start);
            return readers;
        }

        private void read(HmsClient client)
        {
            try (client) {
                org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore.Iface api = client.api();
                List<String> names = api.get_partition_names("bench_load", "writes", (short) 5);
                while (running.get()) {
                    call("get_table_req", () -> api.get_table_req(new GetTableRequest("bench_load", "writes")));
                    call("get_partition_names", () -> api.get_partition_names("bench_load", "writes", (short) 10));
                    call("get_partitions_by_names", () -> api.get_partitions_by_names("bench_load", "writes", names));
                    call("get_partitions_ps", () -> api.get_partitions_ps("bench_load", "writes", List.of(names.isEmpty() ? "" : names.get(0).substring("part=".length())), (short) 1));
                    call("get_all_databases", api::get_all_databases);
                    call("get_all_tables", () -> api.get_all_tables("bench_load"));
                    org.apache.hadoop.hive.metastore.api.GetTablesRequest tables = new org.apache.hadoop.hive.metastore.api.GetTablesRequest("bench_load");
                    tables.setTblNames(List.of("writes"));
                    call("get_table_objects_by_name_req", () -> api.get_table_objects_by_name_req(tables));
                    call("get_table_column_statistics", () -> {
                        try {
                            return api.get_table_statistics_req(new org.apache.hadoop.hive.metastore.api.TableStatsRequest("bench_load", "writes", List.of("value")));
                        }
                        catch (org.apache.hadoop.hive.metastore.api.NoSuchObjectException none) {
                            return null;
                        }
                    });
                    call("get_current_notificationEventId", api::get_current_notificationEventId);
                    call("show_locks", () -> api.show_locks(new org.apache.hadoop.hive.metastore.api.ShowLocksRequest()));
                    call("get_open_txns", api::get_open_txns);
                    Thread.sleep(50);
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            catch (Exception e) {
                failures.incrementAndGet();
                System.out.printf("reader: %s%n", e);
            }
        }

        private interface Call
        {
            Object run()
                    throws Exception;
        }

        private void call(String method, Call call)
        {
            long begin = System.nanoTime();
            try {
                call.run();
            }
            catch (Exception e) {
                failures.incrementAndGet();
                System.out.printf("reader %s: %s%n", method, e);
            }
            long end = System.nanoTime();
            synchronized (calls) {
                calls.add(new Object[] {method, begin, end});
            }
        }

        java.util.Map<String, Long> longestOverlappingByMethod(long from, long to)
        {
            java.util.Map<String, Long> longest = new java.util.TreeMap<>();
            synchronized (calls) {
                for (Object[] call : calls) {
                    long begin = (long) call[1];
                    long end = (long) call[2];
                    if (end >= from && begin <= to) {
                        longest.merge((String) call[0], (end - begin) / 1_000_000, Math::max);
                    }
                }
            }
            return longest;
        }

        java.util.Map<String, Long> p99ByMethod(long from, long to)
        {
            java.util.Map<String, List<Long>> latencies = new java.util.TreeMap<>();
            synchronized (calls) {
                for (Object[] call : calls) {
                    long begin = (long) call[1];
                    if (begin >= from && begin < to) {
                        latencies.computeIfAbsent((String) call[0], name -> new ArrayList<>()).add(((long) call[2] - begin) / 1_000_000);
                    }
                }
            }
            java.util.Map<String, Long> p99 = new java.util.TreeMap<>();
            latencies.forEach((method, values) -> p99.put(method, percentile(values.stream().sorted().toList(), 99)));
            return p99;
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

    /** Writer threads adding partitions through Ferry's Thrift port at a fixed rate of calls, each on its own connection. */
    private static final class Writers
            implements AutoCloseable
    {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong failures = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        /** Every call: when it began and ended, in nanoTime. */
        private final List<long[]> calls = new ArrayList<>();
        /** Continuous writers: the calls in flight, and the signal that they fell below {@link #IN_FLIGHT}. */
        private final java.util.concurrent.locks.ReentrantLock relay = new java.util.concurrent.locks.ReentrantLock();
        private final java.util.concurrent.locks.Condition fewInFlight = relay.newCondition();
        private int inFlight;

        static Writers start(int[] ports, double callsPerSecond, String prefix)
                throws Exception
        {
            Writers writers = new Writers();
            long intervalNanos = callsPerSecond <= 0 ? 0 : (long) (WRITERS * 1e9 / callsPerSecond);
            long start = System.nanoTime();
            for (int w = 0; w < WRITERS; w++) {
                HmsClient client = HmsClient.connect("localhost", ports[w % ports.length]);
                Table table = client.api().get_table_req(new GetTableRequest("bench_load", writesTable(w % TABLES))).getTable();
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
                    if (CONTINUOUS) {
                        awaitTurn(next);
                        // Not behind a schedule that calls woken early pushed back: the rate stays the one asked for.
                        next = Math.max(next, System.nanoTime()) + intervalNanos;
                    }
                    else {
                        long wait = next - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        next += intervalNanos;
                    }
                    try {
                        long begin = System.nanoTime();
                        client.api().add_partitions(partitions(table, name + "-" + n));
                        long end = System.nanoTime();
                        synchronized (calls) {
                            calls.add(new long[] {begin, end});
                        }
                    }
                    catch (Exception e) {
                        failures.incrementAndGet();
                        System.out.printf("writer %s: %s%n", name, e);
                    }
                    finally {
                        if (CONTINUOUS) {
                            relay.lock();
                            try {
                                if (--inFlight < IN_FLIGHT) {
                                    fewInFlight.signal();
                                }
                            }
                            finally {
                                relay.unlock();
                            }
                        }
                    }
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Continuous writers: waits until the writer's next call is due or fewer than IN_FLIGHT calls run, and counts its call in. */
        private void awaitTurn(long due)
                throws InterruptedException
        {
            relay.lock();
            try {
                long wait;
                while (running.get() && inFlight >= IN_FLIGHT && (wait = due - System.nanoTime()) > 0) {
                    fewInFlight.awaitNanos(wait);
                }
                inFlight++;
            }
            finally {
                relay.unlock();
            }
        }

        /** Latencies in ms, sorted, of the calls that began in [from, to). */
        List<Long> latencies(long from, long to)
        {
            synchronized (calls) {
                return calls.stream().filter(call -> call[0] >= from && call[0] < to).map(call -> (call[1] - call[0]) / 1_000_000).sorted().toList();
            }
        }

        /** The longest call that was running at some moment of [from, to], as {begin, end} in nanoTime, if any. */
        java.util.Optional<long[]> longestOverlapping(long from, long to)
        {
            synchronized (calls) {
                return calls.stream().filter(call -> call[1] >= from && call[0] <= to).max(java.util.Comparator.comparingLong(call -> call[1] - call[0]));
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
        try (java.sql.Connection connection = source.server().connect(SourceMetastore.DATABASE)) {
            long rows = GeneratedMetastore.fill(connection, partitions);
            GeneratedMetastore.raiseIdGenerators(connection, partitions);
            return rows;
        }
    }
}
