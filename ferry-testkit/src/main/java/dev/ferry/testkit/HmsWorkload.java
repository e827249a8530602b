package dev.ferry.testkit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

import org.apache.hadoop.hive.metastore.api.AbortTxnRequest;
import org.apache.hadoop.hive.metastore.api.CommitTxnRequest;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.LockComponent;
import org.apache.hadoop.hive.metastore.api.LockLevel;
import org.apache.hadoop.hive.metastore.api.LockRequest;
import org.apache.hadoop.hive.metastore.api.LockResponse;
import org.apache.hadoop.hive.metastore.api.LockState;
import org.apache.hadoop.hive.metastore.api.LockType;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.ShowLocksRequest;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.hive.metastore.api.UnlockRequest;

import static java.util.Objects.requireNonNull;

/**
 * A mixed HMS client workload: each client has its own connection, database and partitioned table, and loops over
 * reads, partition adds, alters and drops, table alters and renames, short-lived databases created and dropped,
 * transactions committed, aborted and (a few) left open, and lock/unlock pairs, the way engines and table formats
 * use a metastore. It records every failed call and every write the metastore
 * acknowledged, so a test can check that none is lost.
 */
public final class HmsWorkload
        implements AutoCloseable
{
    public enum Operation
    {
        READ,
        ADD_PARTITION,
        ALTER_PARTITION,
        DROP_PARTITION,
        ALTER_TABLE,
        RENAME_TABLE,
        DROP_DATABASE,
        TRANSACTION,
        LOCK_UNLOCK,
    }

    /** A failed call: which client, which operation, what the metastore said. */
    public record Failure(int client, Operation operation, String error) {}

    /**
     * What the workload did. {@code partitions} holds, per table ({@code db.table}), the partition values the
     * metastore acknowledged and that were not dropped afterwards: what must be in any copy of the metastore.
     */
    public record Result(Map<Operation, Long> calls, List<Failure> failures, Map<String, Set<String>> partitions, Duration elapsed)
    {
        public Result
        {
            calls = Map.copyOf(calls);
            failures = List.copyOf(failures);
            partitions = Map.copyOf(partitions);
            requireNonNull(elapsed, "elapsed is null");
        }

        public long totalCalls()
        {
            return calls.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<Operation, LongAdder> calls = new EnumMap<>(Operation.class);
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, Set<String>> partitions = new ConcurrentHashMap<>();
    private final long started = System.nanoTime();

    private HmsWorkload() {}

    /**
     * Connects the clients, creates their databases and tables ({@code {prefix}_{client}.events}), and starts
     * them looping until {@link #stop()}. Returns once every client is connected and set up.
     */
    public static HmsWorkload start(String host, int port, int clients, String prefix)
            throws InterruptedException
    {
        return start(client -> HmsClient.connect(host, port), clients, prefix);
    }

    /** Like {@link #start(String, int, int, String)}, with each client's connection made by the given function. */
    public static HmsWorkload start(IntFunction<HmsConnection> connections, int clients, String prefix)
            throws InterruptedException
    {
        return start(connections, clients, prefix, () -> true);
    }

    /**
     * Like {@link #start(IntFunction, int, String)}, but each client only reads (databases, open transactions,
     * locks) until {@code writesAllowed} says yes, then sets up its database and table and runs the mixed workload:
     * for a metastore that must stay empty for a while (Ferry's own database before startMigration). Returns once
     * every client is connected.
     */
    public static HmsWorkload start(IntFunction<HmsConnection> connections, int clients, String prefix, BooleanSupplier writesAllowed)
            throws InterruptedException
    {
        HmsWorkload workload = new HmsWorkload();
        for (Operation operation : Operation.values()) {
            workload.calls.put(operation, new LongAdder());
        }
        CountDownLatch ready = new CountDownLatch(clients);
        for (int client = 0; client < clients; client++) {
            int number = client;
            Thread thread = new Thread(() -> workload.run(connections, number, prefix + "_" + number, ready, writesAllowed), "hms-workload-" + client);
            thread.setDaemon(true);
            workload.threads.add(thread);
            thread.start();
        }
        if (!ready.await(2, TimeUnit.MINUTES)) {
            workload.stop();
            throw new IllegalStateException("workload clients did not connect within 2 minutes: " + workload.failures);
        }
        return workload;
    }

    private void run(IntFunction<HmsConnection> connections, int client, String database, CountDownLatch ready, BooleanSupplier writesAllowed)
    {
        Set<String> live = Collections.newSetFromMap(new ConcurrentHashMap<>());
        String table = "events";
        partitions.put(database + "." + table, live);
        // Each client counts down once: when connected if it waits to write, else when set up.
        boolean counted = false;
        try (HmsConnection connection = connections.apply(client)) {
            ThriftHiveMetastore.Iface api = connection.api();
            if (!writesAllowed.getAsBoolean()) {
                ready.countDown();
                counted = true;
                while (running.get() && !writesAllowed.getAsBoolean()) {
                    call(client, Operation.READ, api::get_all_databases);
                    call(client, Operation.READ, api::get_open_txns);
                    call(client, Operation.READ, () -> api.show_locks(new ShowLocksRequest()));
                    try {
                        Thread.sleep(10);
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (!running.get()) {
                    return;
                }
            }
            Table created;
            try {
                api.create_database(HmsObjects.database(database));
                api.create_table(HmsObjects.partitionedTable(database, table, List.of("part")));
                created = api.get_table_req(new GetTableRequest(database, table)).getTable();
            }
            catch (Exception e) {
                failures.add(new Failure(client, Operation.READ, "setup: " + e));
                return;
            }
            finally {
                if (!counted) {
                    ready.countDown();
                }
            }
            String hostName = hostName();
            for (long i = 0; running.get(); i++) {
                String value = Long.toString(i);
                if (call(client, Operation.ADD_PARTITION, () -> api.add_partition(HmsObjects.partition(created, List.of(value))))) {
                    live.add(value);
                }
                call(client, Operation.READ, () -> api.get_partition(database, table, List.of(value)));
                call(client, Operation.ALTER_PARTITION, () -> {
                    Partition partition = api.get_partition(database, table, List.of(value));
                    partition.putToParameters("last-writer", "workload-" + client);
                    api.alter_partition(database, table, partition);
                    return null;
                });
                if (i % 5 == 4) {
                    String old = Long.toString(i - 2);
                    if (call(client, Operation.DROP_PARTITION, () -> api.drop_partition(database, table, List.of(old), false))) {
                        live.remove(old);
                    }
                    call(client, Operation.READ, () -> api.get_partition_names(database, table, (short) -1));
                }
                if (i % 10 == 9) {
                    call(client, Operation.ALTER_TABLE, () -> {
                        Table current = api.get_table_req(new GetTableRequest(database, table)).getTable();
                        current.putToParameters("iteration", value);
                        api.alter_table(database, table, current);
                        return null;
                    });
                    long iteration = i;
                    call(client, Operation.TRANSACTION, () -> {
                        long transaction = api.open_txns(new OpenTxnRequest(1, "workload", hostName)).getTxn_ids().get(0);
                        if (iteration % 40 == 39) {
                            // Left open, as a running query's transaction is.
                            return null;
                        }
                        if (iteration % 20 == 19) {
                            api.abort_txn(new AbortTxnRequest(transaction));
                        }
                        else {
                            api.commit_txn(new CommitTxnRequest(transaction));
                        }
                        return null;
                    });
                    call(client, Operation.LOCK_UNLOCK, () -> {
                        LockComponent component = new LockComponent(LockType.EXCLUSIVE, LockLevel.TABLE, database);
                        component.setTablename(table);
                        LockResponse lock = api.lock(new LockRequest(List.of(component), "workload", hostName));
                        if (lock.getState() != LockState.ACQUIRED) {
                            throw new IllegalStateException("lock " + lock.getLockid() + " is " + lock.getState());
                        }
                        api.unlock(new UnlockRequest(lock.getLockid()));
                        return null;
                    });
                }
                if (i % 25 == 24) {
                    String scratch = "scratch_" + value;
                    call(client, Operation.RENAME_TABLE, () -> {
                        api.create_table(HmsObjects.partitionedTable(database, scratch, List.of("part")));
                        Table renamed = api.get_table_req(new GetTableRequest(database, scratch)).getTable();
                        renamed.setTableName("renamed_" + value);
                        api.alter_table(database, scratch, renamed);
                        return null;
                    });
                }
                if (i % 50 == 49) {
                    String temporary = database + "_tmp_" + value;
                    call(client, Operation.DROP_DATABASE, () -> {
                        api.create_database(HmsObjects.database(temporary));
                        api.create_table(HmsObjects.partitionedTable(temporary, "t", List.of("part")));
                        Table createdTable = api.get_table_req(new GetTableRequest(temporary, "t")).getTable();
                        api.add_partition(HmsObjects.partition(createdTable, List.of("1")));
                        api.drop_database(temporary, true, true);
                        return null;
                    });
                }
            }
        }
        catch (RuntimeException e) {
            failures.add(new Failure(client, Operation.READ, "connection: " + e));
            if (!counted) {
                ready.countDown();
            }
        }
    }

    private interface Call
    {
        Object run()
                throws Exception;
    }

    private boolean call(int client, Operation operation, Call call)
    {
        calls.get(operation).increment();
        try {
            call.run();
            return true;
        }
        catch (Exception e) {
            failures.add(new Failure(client, operation, e.toString()));
            return false;
        }
    }

    private static String hostName()
    {
        try {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Calls of one operation made so far. */
    public long calls(Operation operation)
    {
        return calls.get(operation).sum();
    }

    /** Calls made so far. */
    public long calls()
    {
        return calls.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Stops every client after its current call and returns what the workload did. */
    public Result stop()
            throws InterruptedException
    {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(2));
        }
        Map<Operation, Long> counts = new EnumMap<>(Operation.class);
        calls.forEach((operation, count) -> counts.put(operation, count.sum()));
        Map<String, Set<String>> acknowledged = new HashMap<>();
        partitions.forEach((table, values) -> acknowledged.put(table, Set.copyOf(values)));
        return new Result(counts, new ArrayList<>(failures), acknowledged, Duration.ofNanos(System.nanoTime() - started));
    }

    @Override
    public void close()
            throws InterruptedException
    {
        if (running.get()) {
            stop();
        }
    }
}
