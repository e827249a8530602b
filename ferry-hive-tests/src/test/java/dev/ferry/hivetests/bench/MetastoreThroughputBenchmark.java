package dev.ferry.hivetests.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.ferry.hivetests.PlainMetastoreMain;
import dev.ferry.hivetests.ServerProcess;
import dev.ferry.hivetests.Targets;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.TempDirectories;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;

/**
 * The same HMS workload through Ferry ({@code bin/ferry serve}, its own database an external PostgreSQL) and through a
 * plain Hive Metastore 4.0.1, both on one PostgreSQL server (two databases), in alternating rounds in one run, so that
 * whatever else the machine does falls on both alike. Prints latency p50 and p99 of reads and writes per target and
 * the ratio Ferry / plain. docs/BENCHMARKS.md has the command and the results.
 *
 * <p>Options (system properties): {@code rounds} (per target, default 3), {@code seconds} (per round, 20),
 * {@code clients} (4), {@code notificationLog} (Ferry's engine.notification-log, default true as Ferry ships; a plain
 * HMS 4.0.1 writes no notification log without hive-hcatalog's listener).
 */
public final class MetastoreThroughputBenchmark
{
    private static final int PREFILLED_PARTITIONS = 200;
    private static final int PARTITIONS_PER_WRITE = 5;

    private MetastoreThroughputBenchmark() {}

    private enum Kind
    {
        READ,
        WRITE,
    }

    /** Latencies of one target over all its rounds, in microseconds. */
    private static final class Latencies
    {
        private final Map<Kind, List<Long>> micros = new LinkedHashMap<>();
        private long calls;
        private long failures;
        private double seconds;

        synchronized void add(Kind kind, long elapsedMicros)
        {
            micros.computeIfAbsent(kind, k -> new ArrayList<>()).add(elapsedMicros);
            calls++;
        }

        synchronized void failed()
        {
            failures++;
        }

        double percentile(Kind kind, double percentile)
        {
            long[] sorted = micros.getOrDefault(kind, List.of()).stream().mapToLong(Long::longValue).sorted().toArray();
            if (sorted.length == 0) {
                return Double.NaN;
            }
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length) - 1)] / 1000.0;
        }
    }

    public static void main(String[] arguments)
            throws Exception
    {
        int rounds = Integer.getInteger("rounds", 3);
        int seconds = Integer.getInteger("seconds", 20);
        int clients = Integer.getInteger("clients", 4);
        boolean notificationLog = Boolean.parseBoolean(System.getProperty("notificationLog", "true"));
        Path work = Files.createTempDirectory("ferry-throughput-");
        List<AutoCloseable> started = new ArrayList<>();
        try {
            EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
            started.add(postgres);
            String ferryUrl = postgres.createDatabase("ferry");
            String plainUrl = postgres.createDatabase("hms");

            int ferryPort = FreePorts.next();
            Path ferryConfig = Files.writeString(work.resolve("ferry.yaml"), """
                    data-directory: %s
                    own-database:
                      url: %s
                      user: %s
                      password: %s
                    engine:
                      notification-log: %s
                    thrift:
                      host: 127.0.0.1
                      port: %s
                    http:
                      host: 127.0.0.1
                      port: %s
                    """.formatted(work.resolve("ferry"), ferryUrl, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, notificationLog,
                    ferryPort, FreePorts.next()));
            ServerProcess ferry = ServerProcess.start("ferry serve", ServerProcess.Stop.TERMINATE,
                    List.of(Path.of(Targets.property("ferry.distribution")).resolve("bin/ferry").toString(), "serve", "--config", ferryConfig.toString()),
                    Map.of(), work.resolve("ferry-process"));
            started.add(ferry);

            int plainPort = FreePorts.next();
            Path plainWarehouse = work.resolve("hms-warehouse");
            Map<String, String> site = new LinkedHashMap<>();
            site.put(ConfVars.CONNECT_URL_KEY.getVarname(), plainUrl);
            site.put(ConfVars.CONNECTION_DRIVER.getVarname(), "org.postgresql.Driver");
            site.put(ConfVars.CONNECTION_USER_NAME.getVarname(), EmbeddedPostgresServer.USER);
            site.put(ConfVars.PWD.getVarname(), EmbeddedPostgresServer.PASSWORD);
            site.put(ConfVars.WAREHOUSE.getVarname(), plainWarehouse.resolve("managed").toUri().toString());
            site.put(ConfVars.WAREHOUSE_EXTERNAL.getVarname(), plainWarehouse.resolve("external").toUri().toString());
            // The standalone metastore's defaults name hive-exec classes it does not ship (as Hive's own tests set).
            site.put(ConfVars.EXPRESSION_PROXY_CLASS.getVarname(), "org.apache.hadoop.hive.metastore.DefaultPartitionExpressionProxy");
            site.put(ConfVars.TASK_THREADS_ALWAYS.getVarname(), "org.apache.hadoop.hive.metastore.events.EventCleanerTask");
            Path conf = work.resolve("hms-conf");
            Targets.writeSiteFile(conf.resolve("metastore-site.xml"), site);
            ServerProcess plain = ServerProcess.start("plain Hive Metastore 4.0.1", ServerProcess.Stop.TERMINATE,
                    List.of(ServerProcess.java(), "-Xmx1g", "-cp", Targets.plainMetastoreClasspath(), PlainMetastoreMain.class.getName(),
                            Targets.property("ferry.engine.home"), Integer.toString(plainPort)),
                    Map.of("METASTORE_CONF_DIR", conf.toString()), work.resolve("hms-process"));
            started.add(plain);
            ferry.awaitPort(ferryPort);
            plain.awaitPort(plainPort);

            Map<String, Integer> targets = new LinkedHashMap<>();
            targets.put("ferry", ferryPort);
            targets.put("plain-hms", plainPort);
            for (int port : targets.values()) {
                prefill(port);
            }
            System.out.printf("Ferry (notification log %s) and a plain HMS 4.0.1 on one PostgreSQL; %s rounds of %s s each, alternating, %s clients; "
                    + "a warm-up round each first%n", notificationLog ? "on" : "off", rounds, seconds, clients);
            Map<String, Latencies> results = new LinkedHashMap<>();
            for (Map.Entry<String, Integer> target : targets.entrySet()) {
                runRound(target.getValue(), Math.min(seconds, 5), clients, new Latencies(), "warm-up");
                results.put(target.getKey(), new Latencies());
            }
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, Integer> target : targets.entrySet()) {
                    Latencies latencies = results.get(target.getKey());
                    runRound(target.getValue(), seconds, clients, latencies, "round %s %s".formatted(round, target.getKey()));
                }
            }
            report(results);
        }
        finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                try {
                    started.get(i).close();
                }
                catch (Exception e) {
                    System.err.println("could not stop " + started.get(i) + ": " + e);
                }
            }
            TempDirectories.deleteRecursively(work);
        }
    }

    /** A database and a table with {@value #PREFILLED_PARTITIONS} partitions that the reads read. */
    private static void prefill(int port)
            throws Exception
    {
        try (HmsClient client = HmsClient.connect("127.0.0.1", port)) {
            ThriftHiveMetastore.Iface api = client.api();
            api.create_database(HmsObjects.database("bench"));
            api.create_table(HmsObjects.partitionedTable("bench", "reads", List.of("day")));
            Table table = api.get_table_req(new GetTableRequest("bench", "reads")).getTable();
            List<Partition> partitions = new ArrayList<>();
            for (int i = 0; i < PREFILLED_PARTITIONS; i++) {
                partitions.add(HmsObjects.partition(table, List.of("d%04d".formatted(i))));
            }
            api.add_partitions(partitions);
            api.create_table(HmsObjects.partitionedTable("bench", "writes", List.of("day")));
        }
    }

    /**
     * Each client, on a connection of its own, calls in a loop: three reads (get_table_req, get_partitions_by_names of
     * ten partitions, get_partitions of fifty), then one write (add_partitions of five new partitions).
     */
    private static void runRound(int port, int seconds, int clients, Latencies latencies, String name)
            throws Exception
    {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong written = new AtomicLong(System.nanoTime());
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long started = System.nanoTime();
        long callsBefore = latencies.calls;
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    try (HmsClient client = HmsClient.connect("127.0.0.1", port)) {
                        ThriftHiveMetastore.Iface api = client.api();
                        Table writes = api.get_table_req(new GetTableRequest("bench", "writes")).getTable();
                        while (System.nanoTime() < deadline) {
                            call(latencies, Kind.READ, () -> api.get_table_req(new GetTableRequest("bench", "reads")));
                            List<String> names = new ArrayList<>();
                            int first = ThreadLocalRandom.current().nextInt(PREFILLED_PARTITIONS - 10);
                            for (int i = first; i < first + 10; i++) {
                                names.add("day=d%04d".formatted(i));
                            }
                            call(latencies, Kind.READ, () -> api.get_partitions_by_names("bench", "reads", names));
                            call(latencies, Kind.READ, () -> api.get_partitions("bench", "reads", (short) 50));
                            List<Partition> partitions = new ArrayList<>();
                            for (int i = 0; i < PARTITIONS_PER_WRITE; i++) {
                                partitions.add(HmsObjects.partition(writes, List.of("w" + written.incrementAndGet())));
                            }
                            call(latencies, Kind.WRITE, () -> api.add_partitions(partitions));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        finally {
            pool.shutdownNow();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        latencies.seconds += elapsed;
        System.out.printf(Locale.ROOT, "  %-24s %6d calls in %.1f s%n", name, latencies.calls - callsBefore, elapsed);
    }

    private interface Call
    {
        Object run()
                throws Exception;
    }

    private static void call(Latencies latencies, Kind kind, Call call)
    {
        long started = System.nanoTime();
        try {
            call.run();
            latencies.add(kind, (System.nanoTime() - started) / 1_000);
        }
        catch (Exception e) {
            latencies.failed();
        }
    }

    private static void report(Map<String, Latencies> results)
    {
        Latencies ferry = results.get("ferry");
        Latencies plain = results.get("plain-hms");
        System.out.println();
        System.out.printf(Locale.ROOT, "%-10s %14s %14s %14s %14s %10s %8s%n", "target", "read p50 ms", "read p99 ms", "write p50 ms", "write p99 ms", "calls/s", "failed");
        for (Map.Entry<String, Latencies> result : results.entrySet()) {
            Latencies latencies = result.getValue();
            System.out.printf(Locale.ROOT, "%-10s %14.2f %14.2f %14.2f %14.2f %10.1f %8d%n", result.getKey(),
                    latencies.percentile(Kind.READ, 0.50), latencies.percentile(Kind.READ, 0.99),
                    latencies.percentile(Kind.WRITE, 0.50), latencies.percentile(Kind.WRITE, 0.99),
                    latencies.calls / latencies.seconds, latencies.failures);
        }
        double[] ratios = {
                ferry.percentile(Kind.READ, 0.50) / plain.percentile(Kind.READ, 0.50),
                ferry.percentile(Kind.READ, 0.99) / plain.percentile(Kind.READ, 0.99),
                ferry.percentile(Kind.WRITE, 0.50) / plain.percentile(Kind.WRITE, 0.50),
                ferry.percentile(Kind.WRITE, 0.99) / plain.percentile(Kind.WRITE, 0.99)};
        System.out.printf(Locale.ROOT, "%-10s %14.3f %14.3f %14.3f %14.3f%n", "ratio", ratios[0], ratios[1], ratios[2], ratios[3]);
        boolean within = Arrays.stream(ratios).allMatch(ratio -> ratio <= 1.05);
        System.out.println(within ? "Ferry within 1.05x of the plain HMS on every figure" : "Ferry NOT within 1.05x of the plain HMS on every figure");
    }
}
