package dev.ferry.replication.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.apply.SnapshotFilter;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.TempDirectories;

/**
 * How fast apply catches up with a backlog: stages {@code transactions} (default 3,000) HMS-shaped transactions of 7
 * row changes (a database, five parameters, the database altered) and times apply from its start until it has
 * applied them all into a metastore schema on PostgreSQL (foreign keys in place), {@code runs} times (default 3):
 * the rate a lagging apply catches up at. {@code busyThreads} (default 0) threads spin while apply is timed, so that
 * apply and PostgreSQL wait for a core as on a machine running the test suite (load averages of 20 to 40 on 2
 * cores). Command in docs/BENCHMARKS.md.
 */
public final class ApplyBenchmark
{
    private ApplyBenchmark() {}

    public static void main(String[] args)
            throws Exception
    {
        int transactions = Integer.getInteger("transactions", 3_000);
        int runs = Integer.getInteger("runs", 3);
        int busyThreads = Integer.getInteger("busyThreads", 0);
        SchemaMapping mapping = HmsFixture.mapping();
        Path staging = Files.createTempDirectory("ferry-apply-bench-");
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            for (int run = 1; run <= runs; run++) {
                OwnDatabaseTarget own = HmsFixture.own(postgres, "apply_bench_" + run);
                ReplicationStore store = new ReplicationStore(own);
                store.ensureSchema();
                List<SourceTransaction> staged = backlog(mapping, transactions);
                long changes = staged.stream().mapToLong(transaction -> transaction.changes().size()).sum();
                try (StagingLog log = StagingLog.open(staging.resolve("run-" + run), 64L * 1024 * 1024);
                        Apply apply = new Apply("bench-" + run, mapping, store, log, nothingCopied(mapping), Apply.Options.defaults())) {
                    StagingPosition end = log.append(staged);
                    AtomicBoolean spinning = new AtomicBoolean(true);
                    for (int i = 0; i < busyThreads; i++) {
                        Thread busy = new Thread(() -> {
                            while (spinning.get()) {
                                Thread.onSpinWait();
                            }
                        }, "busy-" + i);
                        busy.setDaemon(true);
                        busy.start();
                    }
                    long began = System.nanoTime();
                    try {
                        apply.start();
                        if (!apply.awaitApplied(end, Duration.ofMinutes(10))) {
                            throw new IllegalStateException("apply did not finish within 10 minutes");
                        }
                    }
                    finally {
                        spinning.set(false);
                    }
                    double seconds = (System.nanoTime() - began) / 1e9;
                    System.out.printf("Run %s: %,d transactions, %,d row changes applied in %.2f s with %s busy threads: %,.0f changes/s, %,.0f transactions/s (load average %s)%n",
                            run, transactions, changes, seconds, busyThreads, changes / seconds, transactions / seconds, loadAverage());
                }
            }
        }
        finally {
            TempDirectories.deleteRecursively(staging);
        }
    }

    private static List<SourceTransaction> backlog(SchemaMapping mapping, int transactions)
    {
        TableMapping databases = mapping.table("DBS");
        TableMapping parameters = mapping.table("DATABASE_PARAMS");
        List<SourceTransaction> staged = new ArrayList<>();
        for (int i = 1; i <= transactions; i++) {
            long id = 1_000 + i;
            List<RowChange> changes = new ArrayList<>();
            List<Object> database = row(databases, Map.of("DB_ID", id, "DB_LOCATION_URI", "file:/warehouse/db" + i + ".db", "NAME", "db" + i, "OWNER_NAME", "hive",
                    "OWNER_TYPE", "USER", "CTLG_NAME", "hive", "CREATE_TIME", 1_700_000_000L, "TYPE", "NATIVE"));
            changes.add(new RowChange("DBS", RowChange.Operation.INSERT, List.of(), database));
            for (int p = 0; p < 5; p++) {
                changes.add(new RowChange("DATABASE_PARAMS", RowChange.Operation.INSERT, List.of(),
                        row(parameters, Map.of("DB_ID", id, "PARAM_KEY", "key" + p, "PARAM_VALUE", "value" + p))));
            }
            List<Object> altered = new ArrayList<>(database);
            altered.set(databases.columnIndex("OWNER_NAME"), "etl");
            changes.add(new RowChange("DBS", RowChange.Operation.UPDATE, database, altered));
            staged.add(new SourceTransaction("0-1-" + i, "binlog.000001", i * 1_000L, System.currentTimeMillis(), changes));
        }
        return staged;
    }

    private static List<Object> row(TableMapping table, Map<String, Object> values)
    {
        Object[] row = new Object[table.columns().size()];
        values.forEach((column, value) -> row[table.columnIndex(column)] = value);
        return Arrays.asList(row);
    }

    private static SnapshotFilter nothingCopied(SchemaMapping mapping)
    {
        Map<String, List<ReplicationStore.ChunkSnapshot>> snapshots = new HashMap<>();
        for (String table : mapping.tables().keySet()) {
            snapshots.put(table, List.of(new ReplicationStore.ChunkSnapshot(Optional.empty(), "0-1-0")));
        }
        return SnapshotFilter.of(snapshots);
    }

    private static String loadAverage()
            throws Exception
    {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }
}
