package dev.ferry.replication.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.apply.SnapshotFilter;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.capture.Capture;
import dev.ferry.replication.capture.DurableOffsetStore;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourceConnections;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.GeneratedMetastore;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.PGConnection;

/**
 * The replication benchmark: prints, from one run on this machine, backfill rows/s against the raw PostgreSQL COPY
 * rate and Debezium's own snapshot-and-upsert rate for the same rows, then apply lag at 2,000 row changes/s and the
 * highest sustained rate with bounded lag. Run it with the command in docs/BENCHMARKS.md. System properties:
 * {@code source} (a {@link SourceServers.Kind}: MARIADB_10_11, the default, MYSQL_8_0_GTID, MYSQL_8_0 or MYSQL_5_7),
 * {@code partitions} (default 150,000: about 1,050,000 rows across HMS tables), {@code seconds} (default 20, the
 * 2,000/s phase), {@code sourceSet} (global settings of the source server, comma-separated, such as {@code sync_binlog=0}), {@code postgresSet}
 * (settings of PostgreSQL, such as {@code autovacuum=off}).
 */
public final class ReplicationBenchmark
{
    private static final int WORKERS = Integer.getInteger("workers", Backfill.Options.defaults().workers());
    private static final int CHUNK_ROWS = Integer.getInteger("chunkRows", Backfill.Options.defaults().chunkRows());

    private ReplicationBenchmark() {}

    public static void main(String[] args)
            throws Exception
    {
        int partitions = Integer.getInteger("partitions", 150_000);
        int seconds = Integer.getInteger("seconds", 20);
        SourceServers.Kind kind = SourceServers.Kind.valueOf(System.getProperty("source", SourceServers.Kind.MARIADB_10_11.name()));
        Path staging = Files.createTempDirectory("ferry-bench-staging-");
        try (SourceServer server = kind.start(); EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            SchemaMapping mapping = HmsFixture.mapping();
            SourceDatabase source = HmsFixture.source(server, "bench");
            SourceDialect dialect = HmsFixture.dialect(source);
            System.out.printf("Source: %s (%s)%n", server.description(), dialect.describe());
            // -DsourceSet=sync_binlog=0,... : global settings of the source server, to see what its own fsyncs cost the
            // servers beside it (on this machine the source and PostgreSQL share one disk).
            for (String setting : System.getProperty("sourceSet", "").split(",")) {
                if (!setting.isBlank()) {
                    try (Connection connection = server.connect(source.database()); java.sql.Statement statement = connection.createStatement()) {
                        statement.execute("SET GLOBAL " + setting);
                    }
                    System.out.printf("Source: SET GLOBAL %s%n", setting);
                }
            }
            // -DpostgresSet=autovacuum=off,... : settings of PostgreSQL (ALTER SYSTEM, then reloaded), to see what its
            // background work costs the lag.
            for (String setting : System.getProperty("postgresSet", "").split(",")) {
                if (!setting.isBlank()) {
                    try (Connection connection = postgres.connect("postgres"); java.sql.Statement statement = connection.createStatement()) {
                        String[] parts = setting.split("=", 2);
                        statement.execute("ALTER SYSTEM SET %s = '%s'".formatted(parts[0].trim(), parts[1].trim()));
                        statement.execute("SELECT pg_reload_conf()");
                    }
                    System.out.printf("PostgreSQL: ALTER SYSTEM SET %s%n", setting);
                }
            }
            long generated = generate(server, source, partitions);
            Map<String, Long> counts = HmsFixture.sourceCounts(source, mapping);
            long rows = counts.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf("Source: %,d partitions generated; %,d rows across %s HMS tables (%,d written by the generator)%n",
                    partitions, rows, counts.size(), generated);

            // The baseline is COPY at its best: the faster of 2 and 4 streams, rows rendered in memory beforehand. It
            // is measured right before each backfill run, as this machine's speed drifts over the tens of seconds
            // between them (raw COPY varied by 20% within a run on 2026-12-04): each backfill run is also set against
            // the COPY of its own round. The backfill runs twice, into fresh databases, and counts at its best as the
            // baseline does: the first run in this JVM also pays for compiling its code paths, which a backfill of a
            // large metastore pays once.
            double copyRate = 0;
            OwnDatabaseTarget own = null;
            ReplicationStore store = null;
            BinlogEnd start = null;
            double backfillRate = 0;
            List<String> againstRound = new ArrayList<>();
            for (int run = 1; run <= 2; run++) {
                double roundCopyRate = 0;
                for (int streams : new int[] {2, 4}) {
                    String database = "own_copy_%s_%s".formatted(streams, run);
                    flushDirtyPages("raw COPY, " + streams + " streams");
                    double rate = rawCopy(source, HmsFixture.own(postgres, database), mapping, rows, streams);
                    dropDatabase(postgres, database);
                    System.out.printf("Raw PostgreSQL COPY, round %s, %s streams, rows rendered in memory beforehand: %,.0f rows/s%n", run, streams, rate);
                    roundCopyRate = Math.max(roundCopyRate, rate);
                }
                copyRate = Math.max(copyRate, roundCopyRate);
                own = HmsFixture.own(postgres, "own_backfill_" + run);
                store = new ReplicationStore(own);
                store.ensureSchema();
                flushDirtyPages("backfill, run " + run);
                Backfill backfill = new Backfill("bench", source, dialect, own, mapping, store, new Backfill.Options(WORKERS, CHUNK_ROWS));
                start = backfill.prepare();
                long began = System.nanoTime();
                backfill.run();
                double rate = rows / ((System.nanoTime() - began) / 1e9);
                System.out.printf("Ferry backfill, run %s, %s workers, chunks of %,d rows: %,.0f rows/s = %.0f%% of this round's raw COPY at its best%n", run, WORKERS,
                        CHUNK_ROWS, rate, 100 * rate / roundCopyRate);
                againstRound.add("run %s %.0f%%".formatted(run, 100 * rate / roundCopyRate));
                backfillRate = Math.max(backfillRate, rate);
            }
            System.out.printf("Ferry backfill at its best: %,.0f rows/s = %.0f%% of raw COPY at its best over both rounds (%,.0f rows/s); against its own round's: %s%n",
                    backfillRate, 100 * backfillRate / copyRate, copyRate, String.join(", ", againstRound));

            OwnDatabaseTarget ownDebezium = HmsFixture.own(postgres, "own_debezium");
            double debeziumRate = debeziumSnapshotAndUpsert(source, dialect, ownDebezium, mapping, rows, staging.resolve("debezium.offsets"));
            System.out.printf("Debezium snapshot + batched upsert: %,.0f rows/s%n", debeziumRate);

            // The first backfill's and Debezium's databases go before streaming, as the raw COPY's went once measured:
            // PostgreSQL's autovacuum would otherwise vacuum and analyze their million rows each during it (seen on
            // 2026-12-04), work that a migration, which has only its own database, does not have. The second
            // backfill's database stays: it is the one streamed into, and its autovacuum is a migration's own.
            dropDatabase(postgres, "own_backfill_1");
            dropDatabase(postgres, "own_debezium");
            streaming(server, source, dialect, own, mapping, store, start, staging.resolve("bench"), seconds);
        }
        finally {
            dev.ferry.testkit.TempDirectories.deleteRecursively(staging);
        }
        System.exit(0);
    }

    /** Rows shaped like HMS's, written with SQL as the server's administrator: one table with {@code partitions} partitions. */
    private static long generate(SourceServer server, SourceDatabase source, int partitions)
            throws SQLException
    {
        try (Connection connection = server.connect(source.database())) {
            return GeneratedMetastore.fill(connection, partitions);
        }
    }

    /** COPY of the same rows into emptied tables, rendered to COPY text first so that only COPY is timed. */
    private static double rawCopy(SourceDatabase source, OwnDatabaseTarget own, SchemaMapping mapping, long rows, int streamCount)
            throws Exception
    {
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        new Backfill("raw-copy", source, HmsFixture.dialect(source), own, mapping, store, Backfill.Options.defaults()).prepare();
        Map<TableMapping, byte[]> rendered = new HashMap<>();
        try (Connection connection = JdbcConnections.source(source);
                Statement statement = connection.createStatement()) {
            for (TableMapping table : mapping.tables().values()) {
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                try (ResultSet results = statement.executeQuery("SELECT %s FROM %s".formatted(
                        String.join(", ", table.columns().stream().map(ColumnMapping::sourceIdentifier).toList()), table.sourceIdentifier()))) {
                    StringBuilder line = new StringBuilder();
                    while (results.next()) {
                        line.setLength(0);
                        for (int i = 0; i < table.columns().size(); i++) {
                            ColumnMapping column = table.columns().get(i);
                            Object value = results.getObject(i + 1);
                            if (value instanceof Blob blob) {
                                value = blob.getBytes(1, (int) blob.length());
                            }
                            line.append(i > 0 ? "\t" : "").append(column.conversion().copyText(column.conversion().canonical(value)));
                        }
                        text.writeBytes(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
                    }
                }
                rendered.put(table, text.toByteArray());
            }
        }
        List<TableMapping> largestFirst = new ArrayList<>(rendered.keySet());
        largestFirst.sort(Comparator.comparingInt((TableMapping table) -> rendered.get(table).length).reversed());
        ConcurrentLinkedQueue<TableMapping> work = new ConcurrentLinkedQueue<>(largestFirst);
        ExecutorService streams = Executors.newFixedThreadPool(streamCount);
        long began = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < streamCount; i++) {
            done.add(streams.submit(() -> {
                try (Connection connection = store.connect()) {
                    for (TableMapping table = work.poll(); table != null; table = work.poll()) {
                        connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY %s (%s) FROM STDIN".formatted(table.targetIdentifier(),
                                String.join(", ", table.columns().stream().map(ColumnMapping::targetIdentifier).toList())), new ByteArrayInputStream(rendered.get(table)));
                        connection.commit();
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        double rate = rows / ((System.nanoTime() - began) / 1e9);
        streams.shutdown();
        return rate;
    }

    /**
     * Debezium's own way to copy a database: its snapshot, each record upserted into PostgreSQL in batches of 1,000
     * with rewritten batched inserts.
     */
    private static double debeziumSnapshotAndUpsert(SourceDatabase source, SourceDialect dialect, OwnDatabaseTarget own, SchemaMapping mapping, long rows, Path offsets)
            throws Exception
    {
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        new Backfill("debezium", source, dialect, own, mapping, store, Backfill.Options.defaults()).prepare();
        Properties properties = new Properties();
        properties.setProperty("name", "ferry-benchmark-snapshot");
        properties.setProperty("connector.class", dialect.connectorClass());
        SourceConnections.debeziumOptions(source, dialect.version().flavor()).forEach(properties::setProperty);
        properties.setProperty("offset.storage", DurableOffsetStore.class.getName());
        properties.setProperty("offset.storage.file.filename", offsets.toString());
        properties.setProperty("offset.flush.interval.ms", "60000");
        properties.setProperty("database.hostname", source.host());
        properties.setProperty("database.port", Integer.toString(source.port()));
        properties.setProperty("database.user", source.cdcUser());
        properties.setProperty("database.password", source.cdcPassword());
        properties.setProperty("database.server.id", "424242");
        properties.setProperty("database.include.list", source.database());
        properties.setProperty("topic.prefix", "bench");
        properties.setProperty("snapshot.mode", "initial");
        properties.setProperty("snapshot.locking.mode", "none");
        properties.setProperty("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
        properties.setProperty("include.schema.changes", "false");
        properties.setProperty("binary.handling.mode", "bytes");
        properties.setProperty("max.batch.size", "8192");
        properties.setProperty("max.queue.size", "32768");
        AtomicLong upserted = new AtomicLong();
        CountDownLatch complete = new CountDownLatch(1);
        String url = own.jdbcUrl() + (own.jdbcUrl().contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
        try (Connection connection = DriverManager.getConnection(url, own.user(), own.password())) {
            connection.setAutoCommit(false);
            Map<String, PreparedStatement> upserts = new HashMap<>();
            long began = System.nanoTime();
            DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(properties)
                    .notifying((records, committer) -> {
                        try {
                            Map<String, Integer> batched = new HashMap<>();
                            for (RecordChangeEvent<SourceRecord> event : records) {
                                if (!(event.record().value() instanceof Struct value) || value.schema().field("after") == null || value.getStruct("after") == null) {
                                    committer.markProcessed(event);
                                    continue;
                                }
                                TableMapping table = mapping.tables().get(value.getStruct("source").getString("table"));
                                if (table != null) {
                                    PreparedStatement upsert = upserts.computeIfAbsent(table.name(), name -> prepareUpsert(connection, table));
                                    Struct after = value.getStruct("after");
                                    for (int i = 0; i < table.columns().size(); i++) {
                                        ColumnMapping column = table.columns().get(i);
                                        bind(upsert, i + 1, column.conversion().canonical(after.get(column.name())));
                                    }
                                    upsert.addBatch();
                                    batched.merge(table.name(), 1, Integer::sum);
                                    upserted.incrementAndGet();
                                }
                                committer.markProcessed(event);
                            }
                            for (String table : batched.keySet()) {
                                upserts.get(table).executeBatch();
                            }
                            connection.commit();
                            committer.markBatchFinished();
                            if (upserted.get() >= rows) {
                                complete.countDown();
                            }
                        }
                        catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .build();
            ExecutorService runner = Executors.newSingleThreadExecutor();
            runner.execute(engine);
            if (!complete.await(30, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Debezium snapshot did not finish: " + upserted.get() + " of " + rows);
            }
            double rate = rows / ((System.nanoTime() - began) / 1e9);
            engine.close();
            runner.shutdown();
            runner.awaitTermination(1, TimeUnit.MINUTES);
            return rate;
        }
    }

    private static PreparedStatement prepareUpsert(Connection connection, TableMapping table)
    {
        String columns = String.join(", ", table.columns().stream().map(ColumnMapping::targetIdentifier).toList());
        String values = String.join(", ", table.columns().stream().map(column -> "?").toList());
        String conflict = table.rowKey().isEmpty() ? "" : " ON CONFLICT (%s) DO UPDATE SET %s".formatted(
                String.join(", ", table.rowKey().stream().map(name -> table.column(name).targetIdentifier()).toList()),
                String.join(", ", table.columns().stream().map(column -> column.targetIdentifier() + " = excluded." + column.targetIdentifier()).toList()));
        try {
            return connection.prepareStatement("INSERT INTO %s (%s) VALUES (%s)%s".formatted(table.targetIdentifier(), columns, values, conflict));
        }
        catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void bind(PreparedStatement statement, int parameter, Object value)
            throws SQLException
    {
        if (value == null) {
            statement.setNull(parameter, Types.NULL);
        }
        else if (value instanceof byte[] bytes) {
            statement.setBytes(parameter, bytes);
        }
        else {
            statement.setObject(parameter, value);
        }
    }

    /**
     * Streaming: a writer updates PARTITION_PARAMS on the source in transactions of 10 row changes, writing its
     * clock into each value and noting when the source acknowledged the commit; apply's observer notes, per applied
     * transaction, its commit on the own database. Apply lag is that commit minus the source's acknowledgement; the
     * lag from the writer's first statement, which adds the source's own commit time (MySQL 8.0 syncs its binlog
     * and redo log at every commit by default), is printed beside it.
     */
    private static void streaming(SourceServer server, SourceDatabase source, SourceDialect dialect, OwnDatabaseTarget own, SchemaMapping mapping, ReplicationStore store,
            BinlogEnd start, Path stagingDirectory, int seconds)
            throws Exception
    {
        TableMapping parameters = mapping.table("PARTITION_PARAMS");
        int valueColumn = parameters.columnIndex("PARAM_VALUE");
        Lags lags = new Lags();
        long segmentBytes = Long.getLong("segmentMb", 4) * 1024 * 1024;
        java.util.List<Long> onDisk = java.util.Collections.synchronizedList(new ArrayList<>());
        StagingPosition endOfRun;
        try (StagingLog staging = StagingLog.open(stagingDirectory, segmentBytes);
                Capture capture = new Capture("bench", source, dialect, mapping, staging)) {
            capture.start(start);
            SnapshotFilter filter;
            try (Connection connection = store.connect()) {
                filter = SnapshotFilter.of(store.snapshots(connection, "bench"));
            }
            try (Apply apply = new Apply("bench", mapping, store, staging, filter, Apply.Options.defaults())) {
                apply.observe(transactions -> {
                    long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
                    for (SourceTransaction transaction : transactions) {
                        for (RowChange change : transaction.changes()) {
                            if (change.table().equals("PARTITION_PARAMS") && change.after().get(valueColumn) instanceof String value && value.startsWith("t")) {
                                lags.applied.put(value, now);
                                break;
                            }
                        }
                    }
                });
                // As Replication does: applied segments go once checkpointed.
                apply.onCheckpoint(checkpoint -> staging.removeBefore(checkpoint.position().segment(), checkpoint.applied().toString()));
                apply.start();
                // A reader at the staging log's end notes when each transaction became durable there, and a
                // thread that sleeps 10 ms at a time notes how late it wakes: a pause of the whole JVM (a collection)
                // or of the machine shows there, and not in one stage only.
                java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.ConcurrentLinkedQueue<long[]> pauses = new java.util.concurrent.ConcurrentLinkedQueue<>();
                Thread stagedReader = daemon("bench-staged", () -> readStaged(staging, valueColumn, lags, stopped));
                Thread pauseWatch = daemon("bench-pauses", () -> watchPauses(pauses, stopped));
                flushDirtyPages("streaming");
                Phase warm = load(server, source, 500, 3, lags);
                java.util.concurrent.ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
                sampler.scheduleAtFixedRate(() -> onDisk.add(staging.bytesOnDisk()), 0, 5, TimeUnit.SECONDS);
                long targetBegan = System.nanoTime();
                java.time.Instant targetBeganAt = java.time.Instant.now();
                Phase target = load(server, source, 2_000, seconds, lags);
                long targetEnded = System.nanoTime();
                sampler.shutdownNow();
                System.out.printf("Streaming at %,d row changes/s in transactions of 10 (achieved %,.0f/s, %s s): apply lag p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                                + "(from the writer's first statement, the source's commit included: p50 %.1f ms, p99 %.1f ms, max %.1f ms)%n",
                        2_000, target.achievedRate(), seconds, target.percentile(50), target.percentile(99), target.percentile(100),
                        target.fromStatement(50), target.fromStatement(99), target.fromStatement(100));
                System.out.printf("  lags above p99: %s (the phase began at %s, for logs of the JVM's collections or the servers)%n", target.tail(), targetBeganAt);
                System.out.printf("  split: %s%n", lags.stages());
                System.out.printf("  pauses of this JVM over 100 ms (a 10 ms sleep woke late): %s%n", pauses.stream()
                        .filter(pause -> pause[0] >= targetBegan && pause[0] <= targetEnded)
                        .map(pause -> "%d ms at +%.1f s".formatted(pause[1], (pause[0] - targetBegan) / 1e9))
                        .reduce((a, b) -> a + ", " + b).orElse("none"));
                int highest = 0;
                boolean generatorLimited = false;
                for (int rate = 4_000; rate <= 64_000; rate *= 2) {
                    Phase phase = load(server, source, rate, 10, lags);
                    boolean bounded = phase.caughtUp() && phase.tailPercentile(99) < 1_000;
                    generatorLimited = phase.achievedRate() < 0.95 * rate;
                    System.out.printf("  %,d changes/s asked, %,.0f/s written: lag p50 %.1f ms, p99 %.1f ms (second half p99 %.1f ms) -> %s%n", rate, phase.achievedRate(),
                            phase.percentile(50), phase.percentile(99), phase.tailPercentile(99),
                            !bounded ? "not bounded" : generatorLimited ? "bounded, but the source took no more" : "bounded");
                    if (!bounded) {
                        break;
                    }
                    highest = (int) phase.achievedRate();
                    if (generatorLimited) {
                        break;
                    }
                }
                System.out.printf("Highest sustained rate with bounded lag (second-half p99 under 1 s): %,d row changes/s%s%n", highest,
                        generatorLimited ? " (the source accepted no more writes: a limit of the load, not of replication)" : "");
                if (warm.samples().isEmpty()) {
                    System.out.println("warning: no lag samples in the warm-up phase");
                }
                stopped.set(true);
                stagedReader.join();
                pauseWatch.join();
            }
            endOfRun = staging.end();
        }
        // Disk use over the 2,000 changes/s phase, in thirds, and what a restart reads: only the segments left.
        List<Long> samples = List.copyOf(onDisk);
        int third = Math.max(1, samples.size() / 3);
        System.out.printf("Staging log on disk over the %s s at 2,000 changes/s (segments of %s MB, sampled every 5 s): first third avg %.1f MB, last third avg %.1f MB, max %.1f MB%n",
                seconds, segmentBytes >> 20, average(samples.subList(0, third)) / 1e6, average(samples.subList(samples.size() - third, samples.size())) / 1e6,
                samples.stream().mapToLong(Long::longValue).max().orElse(0) / 1e6);
        long began = System.nanoTime();
        long read = 0;
        try (StagingLog reopened = StagingLog.open(stagingDirectory, segmentBytes)) {
            StagingPosition position = reopened.start();
            for (List<StagingLog.Entry> batch = reopened.read(position, 1000); !batch.isEmpty(); batch = reopened.read(position, 1000)) {
                read += batch.size();
                position = batch.get(batch.size() - 1).next();
            }
            System.out.printf("Written to the staging log in the run: about %.1f MB (%,d transactions removed once applied); a restart opened it and read the %,d transactions left in %d ms%n",
                    ((endOfRun.segment() - 1) * segmentBytes + endOfRun.offset()) / 1e6, reopened.removed().map(StagingLog.Removed::transactions).orElse(0L), read,
                    (System.nanoTime() - began) / 1_000_000);
        }
    }

    private static Thread daemon(String name, Runnable task)
    {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void readStaged(StagingLog staging, int valueColumn, Lags lags, java.util.concurrent.atomic.AtomicBoolean stopped)
    {
        StagingPosition position = staging.end();
        while (!stopped.get()) {
            try {
                staging.awaitBeyond(position, 100);
                List<StagingLog.Entry> batch = staging.read(position, 1000);
                long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
                for (StagingLog.Entry entry : batch) {
                    for (RowChange change : entry.transaction().changes()) {
                        if (change.table().equals("PARTITION_PARAMS") && change.after().get(valueColumn) instanceof String value && value.startsWith("t")) {
                            lags.staged.putIfAbsent(value, now);
                            break;
                        }
                    }
                }
                if (!batch.isEmpty()) {
                    position = batch.get(batch.size() - 1).next();
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (RuntimeException e) {
                // Apply removed the segment under this reader: go on from the end.
                position = staging.end();
            }
        }
    }

    private static void dropDatabase(EmbeddedPostgresServer postgres, String database)
            throws java.sql.SQLException
    {
        try (Connection connection = postgres.connect("postgres"); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /**
     * Writes the page cache's dirty pages to disk ({@code sync}) before a measured part, so that the kernel does not
     * write back the earlier parts' data (the baselines', the backfill runs', about 1 GB at the default size) in the
     * middle of it, as it does 30 s after they were written: the source servers, PostgreSQL (fsync off) and the
     * staging log share this machine's one disk. Seen on 2026-12-04 as a single 100 ms stall of apply in the
     * streaming phase, at the moment /proc/meminfo's Dirty fell from 731 MB to 191 MB. What is written during the part
     * itself is still written back during it.
     */
    private static void flushDirtyPages(String before)
            throws IOException, InterruptedException
    {
        long began = System.nanoTime();
        Process sync = new ProcessBuilder("sync").inheritIO().start();
        if (sync.waitFor() != 0) {
            throw new IOException("sync failed before " + before);
        }
        System.out.printf("  (dirty pages written to disk before %s: sync took %d ms)%n", before, (System.nanoTime() - began) / 1_000_000);
    }

    private static void watchPauses(java.util.concurrent.ConcurrentLinkedQueue<long[]> pauses, java.util.concurrent.atomic.AtomicBoolean stopped)
    {
        while (!stopped.get()) {
            long before = System.nanoTime();
            LockSupport.parkNanos(10_000_000);
            long late = (System.nanoTime() - before) / 1_000_000 - 10;
            if (late > 100) {
                pauses.add(new long[] {before, late});
            }
        }
    }

    private static double average(List<Long> values)
    {
        return values.stream().mapToLong(Long::longValue).average().orElse(0);
    }

    /**
     * Per transaction, keyed by the value its first change writes (the writer's clock, "t" and microseconds): when
     * the source acknowledged its commit to the writer, and when apply committed it on the own database.
     */
    private static final class Lags
    {
        static long writtenAt(String value)
        {
            return Long.parseLong(value.substring(1, value.indexOf('-')));
        }

        final Map<String, Long> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, Long> applied = new java.util.concurrent.ConcurrentHashMap<>();
        /** When the transaction was durable in the staging log (captured), as a reader at its end saw it. */
        final Map<String, Long> staged = new java.util.concurrent.ConcurrentHashMap<>();

        void clear()
        {
            acknowledged.clear();
            applied.clear();
            staged.clear();
        }

        /**
         * The lag split at the staging log, p50 / p99 / max of each part: from the acknowledgement to the staging
         * log (binlog delivery and capture) and from there to the own database's commit (apply).
         */
        String stages()
        {
            List<String> values = inWritingOrder().stream().filter(staged::containsKey).toList();
            List<Double> capture = values.stream().map(value -> Math.max(0, staged.get(value) - acknowledged.get(value)) / 1000.0).toList();
            List<Double> apply = values.stream().map(value -> Math.max(0, applied.get(value) - staged.get(value)) / 1000.0).toList();
            return "to the staging log (capture) p50 %.1f / p99 %.1f / max %.1f ms; from it to the own database (apply) p50 %.1f / p99 %.1f / max %.1f ms (%d samples)"
                    .formatted(Phase.percentileOf(capture, 50), Phase.percentileOf(capture, 99), Phase.percentileOf(capture, 100),
                            Phase.percentileOf(apply, 50), Phase.percentileOf(apply, 99), Phase.percentileOf(apply, 100), values.size());
        }

        /** Lag from the acknowledgement, in writing order; never below 0 (apply can commit before the writer hears back). */
        List<Double> fromAcknowledgement()
        {
            return inWritingOrder().stream().map(value -> Math.max(0, applied.get(value) - acknowledged.get(value)) / 1000.0).toList();
        }

        /** When each sample's transaction was written, in seconds from the first, in writing order. */
        List<Double> secondsIntoPhase()
        {
            List<String> values = inWritingOrder();
            long first = values.isEmpty() ? 0 : writtenAt(values.get(0));
            return values.stream().map(value -> (writtenAt(value) - first) / 1e6).toList();
        }

        List<Double> fromStatement()
        {
            return inWritingOrder().stream().map(value -> (applied.get(value) - writtenAt(value)) / 1000.0).toList();
        }

        private List<String> inWritingOrder()
        {
            return applied.keySet().stream()
                    .filter(acknowledged::containsKey)
                    .sorted(Comparator.comparingLong(Lags::writtenAt))
                    .toList();
        }
    }

    /**
     * The lag samples of one load phase, in milliseconds, in writing order (from the source's acknowledgement, and
     * from the writer's first statement); whether apply caught up with it.
     */
    private record Phase(List<Double> samples, List<Double> statementSamples, List<Double> secondsIntoPhase, double achievedRate, boolean caughtUp)
    {
        /** Where the samples above the 99th percentile were written: "at +4.2..+5.9 s of 20 (40 samples)". */
        String tail()
        {
            double p99 = percentile(99);
            List<Double> at = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                if (samples.get(i) > p99) {
                    at.add(secondsIntoPhase.get(i));
                }
            }
            return at.isEmpty() ? "none above p99" : "written at +%.1f..+%.1f s (%s samples)".formatted(Collections.min(at), Collections.max(at), at.size());
        }

        double percentile(int percentile)
        {
            return percentileOf(samples, percentile);
        }

        double fromStatement(int percentile)
        {
            return percentileOf(statementSamples, percentile);
        }

        double tailPercentile(int percentile)
        {
            return percentileOf(samples.subList(samples.size() / 2, samples.size()), percentile);
        }

        private static double percentileOf(List<Double> values, int percentile)
        {
            if (values.isEmpty()) {
                return Double.NaN;
            }
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
        }
    }

    /**
     * Writes {@code rate} row changes per second for {@code seconds} from four connections, each on its own range of
     * partitions, then waits for apply to catch up.
     */
    private static Phase load(SourceServer server, SourceDatabase source, int rate, int seconds, Lags lags)
            throws Exception
    {
        int writers = 4;
        lags.clear();
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        List<Future<Long>> written = new ArrayList<>();
        long began = System.nanoTime();
        for (int writer = 0; writer < writers; writer++) {
            long firstPart = 1001 + writer * 4_000L;
            written.add(threads.submit(() -> write(server, source, rate / (double) writers, seconds, firstPart, lags)));
        }
        long changes = 0;
        for (Future<Long> future : written) {
            changes += future.get();
        }
        double achieved = changes / ((System.nanoTime() - began) / 1e9);
        threads.shutdown();
        long expectedTransactions = changes / 10;
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lags.applied.size() < expectedTransactions && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        return new Phase(lags.fromAcknowledgement(), lags.fromStatement(), lags.secondsIntoPhase(), achieved, lags.applied.size() >= expectedTransactions);
    }

    private static long write(SourceServer server, SourceDatabase source, double rate, int seconds, long firstPart, Lags lags)
            throws SQLException
    {
        long changes = 0;
        try (Connection connection = server.connect(source.database());
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE PARTITION_PARAMS SET PARAM_VALUE = ? WHERE PART_ID = ? AND PARAM_KEY = 'totalSize'")) {
            connection.setAutoCommit(false);
            long began = System.nanoTime();
            long end = began + TimeUnit.SECONDS.toNanos(seconds);
            long part = firstPart;
            while (System.nanoTime() < end) {
                // Sleep until the next transaction is due: a writer that spins would take a core from the servers
                // and from replication on a 2-core machine, and its scheduling delays would show as lag.
                long due = began + (long) (changes / rate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                String first = null;
                for (int i = 0; i < 10; i++) {
                    // Unique per writer and change, so that no two transactions share a key in Lags.
                    String value = "t%d-%d-%d".formatted(System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000, firstPart, changes + i);
                    first = first == null ? value : first;
                    update.setString(1, value);
                    update.setLong(2, part);
                    update.addBatch();
                    part = part >= firstPart + 3_999 ? firstPart : part + 1;
                }
                update.executeBatch();
                connection.commit();
                lags.acknowledged.put(first, System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000);
                changes += 10;
            }
        }
        return changes;
    }
}
