package dev.ferry.demo;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.ColumnStatistics;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsData;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsDesc;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsObj;
import org.apache.hadoop.hive.metastore.api.Decimal;
import org.apache.hadoop.hive.metastore.api.DecimalColumnStatsData;
import org.apache.hadoop.hive.metastore.api.LongColumnStatsData;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SetPartitionsStatsRequest;
import org.apache.hadoop.hive.metastore.api.StringColumnStatsData;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The customer's metastore: an embedded MariaDB or MySQL with the binlog and grant tables on, Hive's schema made by
 * its schema tool, filled through a real HMS engine, with the metastore's login ({@value #USER}, which also has what
 * Ferry's reader needs) and a replication user ({@value #CDC_USER}) as docs/REPLICATION.md asks for.
 */
final class DemoSource
        implements AutoCloseable
{
    static final String DATABASE = "hms";
    static final String USER = "hive";
    static final String CDC_USER = "ferry_cdc";
    /** The prefix of the source's Hive databases, so that checks can tell them from the workload's. */
    static final String DATABASE_PREFIX = "sales_";

    private static final LocalDate FIRST_DAY = LocalDate.of(2024, 1, 1);

    private static final Logger log = LoggerFactory.getLogger(DemoSource.class);
    private static final int DEADLOCK_ATTEMPTS = 5;

    private final LongAdder createTableNanos = new LongAdder();
    private final LongAdder addPartitionsNanos = new LongAdder();
    private final LongAdder statisticsNanos = new LongAdder();
    private final SourceServer server;
    private final String url;
    private final String password;
    private final String cdcPassword;
    private final Path warehouse;

    /** What filling took. */
    record Filled(long partitions, Duration elapsed) {}

    private DemoSource(SourceServer server, String url, String password, String cdcPassword, Path warehouse)
    {
        this.warehouse = requireNonNull(warehouse, "warehouse is null");
        this.server = requireNonNull(server, "server is null");
        this.url = requireNonNull(url, "url is null");
        this.password = requireNonNull(password, "password is null");
        this.cdcPassword = requireNonNull(cdcPassword, "cdcPassword is null");
    }

    /** Starts the server, creates the metastore database and its users, and makes Hive's schema in it. */
    static DemoSource start(SourceServers.Kind kind, EngineHost host, Path warehouse)
            throws Exception
    {
        boolean mariaDb = kind == SourceServers.Kind.MARIADB_10_11;
        SourceServer server = mariaDb ? EmbeddedMariaDb.builder().withGrantTables().start() : kind.start();
        try {
            String password = "Hive-" + UUID.randomUUID();
            String cdcPassword = "Cdc-" + UUID.randomUUID();
            String url = server.createDatabase(DATABASE);
            try (Connection connection = server.connect(DATABASE); Statement statement = connection.createStatement()) {
                statement.execute("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(USER, password));
                statement.execute("GRANT ALL ON %s.* TO %s@'%%'".formatted(DATABASE, USER));
                statement.execute("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(CDC_USER, cdcPassword));
                // MariaDB 10.5.2 split BINLOG MONITOR out of REPLICATION CLIENT (docs/REPLICATION.md).
                statement.execute("GRANT REPLICATION SLAVE, %s ON *.* TO %s@'%%'".formatted(mariaDb ? "BINLOG MONITOR" : "REPLICATION CLIENT", CDC_USER));
                statement.execute("GRANT SELECT ON %s.* TO %s@'%%'".formatted(DATABASE, CDC_USER));
            }
            DemoSource source = new DemoSource(server, url, password, cdcPassword, warehouse);
            host.initializeSchema(source.settings(warehouse));
            return source;
        }
        catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    /** What runs the source, such as {@code MySQL 8.0.15 (GTID on)}. */
    String description()
    {
        return server.description();
    }

    static EngineHost engineHost()
    {
        String home = System.getProperty("ferry.engine.home");
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("no engine home: the launcher sets -Dferry.engine.home; run the demo with bin/ferry demo");
        }
        return new EngineHost(EngineHome.of(Path.of(home)));
    }

    EngineSettings settings(Path warehouse)
    {
        return new EngineSettings("customer-hms", url, USER, password, warehouse, EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of());
    }

    /**
     * Fills the metastore through an HMS engine, as the customer's clients did: databases, then per table its
     * partitions in one {@code add_partitions} and their column statistics in one {@code set_aggr_stats_for},
     * tables spread over {@code threads} threads. {@code progress} gets the partitions made so far.
     */
    Filled fill(Engine engine, DemoOptions options, LongConsumer progress)
            throws Exception
    {
        long started = System.nanoTime();
        ThriftHiveMetastore.Iface hms = engine.client();
        List<Runnable> tables = new ArrayList<>();
        AtomicLong made = new AtomicLong();
        int table = 0;
        for (int d = 0; d < options.databases(); d++) {
            String database = DATABASE_PREFIX + "%02d".formatted(d);
            hms.create_database(HmsObjects.database(database));
            for (int t = 0; t < options.tablesIn(d); t++) {
                String name = "orders_%03d".formatted(t);
                int partitions = options.partitionsOf(table++);
                tables.add(() -> {
                    try {
                        fillTable(hms, database, name, partitions);
                    }
                    catch (Exception e) {
                        throw new IllegalStateException("cannot fill %s.%s in the source: %s".formatted(database, name, e.getMessage()), e);
                    }
                    progress.accept(made.addAndGet(partitions));
                });
            }
        }
        ExecutorService threads = Executors.newFixedThreadPool(options.fillThreads(), runnable -> {
            Thread thread = new Thread(runnable, "demo-fill");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable task : tables) {
                futures.add(threads.submit(task));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                }
                catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        }
        finally {
            threads.shutdownNow();
        }
        log.info("Source filled in {} ms; time in HMS summed over {} threads: create_table {} ms, add_partitions {} ms, set_aggr_stats_for {} ms",
                (System.nanoTime() - started) / 1_000_000, options.fillThreads(), createTableNanos.sum() / 1_000_000, addPartitionsNanos.sum() / 1_000_000,
                statisticsNanos.sum() / 1_000_000);
        return new Filled(made.get(), Duration.ofNanos(System.nanoTime() - started));
    }

    private void fillTable(ThriftHiveMetastore.Iface hms, String database, String name, int partitions)
            throws Exception
    {
        long begin = System.nanoTime();
        // External tables over data already written (beside the warehouse, where Hive wants external data): the
        // directories exist before the metastore is told, as when a job writes the files and then adds partitions.
        Path tableDirectory = Files.createDirectories(warehouse.resolveSibling("source-data").resolve(database + ".db").resolve(name));
        Table table = HmsObjects.partitionedTable(database, name, List.of("day"));
        table.getSd().setLocation(tableDirectory.toUri().toString());
        retryingDeadlocks("create_table " + database + "." + name, () -> hms.create_table(table));
        createTableNanos.add(System.nanoTime() - begin);
        if (partitions == 0) {
            return;
        }
        List<Partition> list = new ArrayList<>(partitions);
        List<ColumnStatistics> statistics = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            String day = FIRST_DAY.plusDays(p).toString();
            Partition partition = HmsObjects.partition(table, List.of(day));
            partition.getSd().setLocation(Files.createDirectories(tableDirectory.resolve("day=" + day)).toUri().toString());
            partition.putToParameters("numRows", Long.toString(10_000L + p));
            partition.putToParameters("rawDataSize", Long.toString(1_000_000L + p * 97L));
            list.add(partition);
            statistics.add(statistics(database, name, "day=" + day, p));
        }
        begin = System.nanoTime();
        retryingDeadlocks("add_partitions to " + database + "." + name, () -> hms.add_partitions(list));
        addPartitionsNanos.add(System.nanoTime() - begin);
        begin = System.nanoTime();
        retryingDeadlocks("set_aggr_stats_for " + database + "." + name, () -> hms.set_aggr_stats_for(new SetPartitionsStatsRequest(statistics)));
        statisticsNanos.add(System.nanoTime() - begin);
    }

    interface HmsCall
    {
        void run()
                throws Exception;
    }

    /**
     * Runs a call, again when the source rolled it back as a deadlock victim (HMS's column statistics ids, taken by
     * concurrent calls, can deadlock on the source; the whole transaction was undone), as a client would retry.
     */
    static void retryingDeadlocks(String what, HmsCall call)
            throws Exception
    {
        for (int attempt = 1; ; attempt++) {
            try {
                call.run();
                return;
            }
            catch (Exception e) {
                if (attempt >= DEADLOCK_ATTEMPTS || !deadlock(e)) {
                    throw e;
                }
                log.info("{}: rolled back by the source as a deadlock victim (attempt {} of {}); calling it again", what, attempt, DEADLOCK_ATTEMPTS);
                Thread.sleep(ThreadLocalRandom.current().nextLong(10, 50L * attempt));
            }
        }
    }

    /** Whether the source's deadlock error (MariaDB's and MySQL's read the same) is the exception's message or a cause's (HMS passes it on as text). */
    private static boolean deadlock(Throwable e)
    {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains("Deadlock found when trying to get lock")) {
                return true;
            }
        }
        return false;
    }

    /** Statistics of the three columns of {@link HmsObjects#partitionedTable}, as ANALYZE TABLE writes them. */
    private static ColumnStatistics statistics(String database, String table, String partitionName, int p)
    {
        ColumnStatisticsDesc description = new ColumnStatisticsDesc(false, database, table);
        description.setPartName(partitionName);
        LongColumnStatsData id = new LongColumnStatsData(0, 10_000L + p);
        id.setLowValue(1);
        id.setHighValue(10_000L + p);
        StringColumnStatsData customer = new StringColumnStatsData(64, 17.5, 3, 800 + p % 100);
        DecimalColumnStatsData amount = new DecimalColumnStatsData(12, 5_000);
        amount.setLowValue(new Decimal((short) 2, ByteBuffer.wrap(BigInteger.valueOf(100).toByteArray())));
        amount.setHighValue(new Decimal((short) 2, ByteBuffer.wrap(BigInteger.valueOf(99_999_900L + p).toByteArray())));
        return new ColumnStatistics(description, List.of(
                new ColumnStatisticsObj("id", "bigint", ColumnStatisticsData.longStats(id)),
                new ColumnStatisticsObj("name", "string", ColumnStatisticsData.stringStats(customer)),
                new ColumnStatisticsObj("amount", "decimal(18,2)", ColumnStatisticsData.decimalStats(amount))));
    }

    int port()
    {
        return server.port();
    }

    Connection connect()
            throws SQLException
    {
        return server.connect(DATABASE);
    }

    /** The startMigration body of the Dataproc Metastore API, pointing at this source, staging under {@code bucket}. */
    String startMigrationBody(String requestId, Path bucket)
    {
        return """
                {
                  "requestId": "%s",
                  "migrationExecution": {
                    "cloudSqlMigrationConfig": {
                      "cloudSqlConnectionConfig": {
                        "instanceConnectionName": "demo/local/hms-source",
                        "hiveDatabaseName": "%s",
                        "ipAddress": "127.0.0.1",
                        "port": %d,
                        "username": "%s",
                        "password": "%s"
                      },
                      "cdcConfig": {
                        "username": "%s",
                        "password": "%s",
                        "bucket": "file://%s",
                        "rootPath": "/migration"
                      }
                    }
                  }
                }
                """.formatted(requestId, DATABASE, port(), USER, password, CDC_USER, cdcPassword, bucket.toAbsolutePath());
    }

    @Override
    public void close()
    {
        server.close();
    }
}
