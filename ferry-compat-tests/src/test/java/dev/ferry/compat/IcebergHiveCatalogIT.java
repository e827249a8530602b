package dev.ferry.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hive.HiveCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Apache Iceberg's HiveCatalog against {@code ferry serve}: every commit of an Iceberg table swaps the table's
 * {@code metadata_location} in the metastore under an HMS lock (lock, check_lock, alter_table, unlock), so concurrent
 * writers contend on Ferry's locks exactly as on a plain metastore. Four writers append for 20 seconds; no commit may
 * fail and none may be lost. The appended entries name data files that are not written: the metastore only sees the
 * commits.
 */
class IcebergHiveCatalogIT
{
    private static final int WRITERS = 4;
    private static final Duration WRITING = Duration.ofSeconds(20);
    private static final Schema SCHEMA = new Schema(
            Types.NestedField.required(1, "id", Types.LongType.get()),
            Types.NestedField.required(2, "day", Types.StringType.get()));

    private static Path work;
    private static MetastoreProcess ferry;

    @TempDir
    Path warehouse;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-iceberg-");
        ferry = MetastoreProcess.ferryServe(work);
    }

    @AfterAll
    static void stopFerry()
    {
        if (ferry != null) {
            ferry.close();
        }
        TempDirectories.delete(work);
    }

    @Test
    void fourWritersCommitConcurrentlyForTwentySecondsWithNoCommitFailedOrLost()
            throws Exception
    {
        HiveCatalog catalog = catalog();
        catalog.createNamespace(Namespace.of("iceberg_compat"));
        TableIdentifier name = TableIdentifier.of("iceberg_compat", "events");
        PartitionSpec spec = PartitionSpec.builderFor(SCHEMA).identity("day").build();
        // Contention is the point: Iceberg retries a commit that lost the race as often as it takes.
        catalog.createTable(name, SCHEMA, spec, Map.of(
                TableProperties.COMMIT_NUM_RETRIES, "1000",
                TableProperties.COMMIT_MIN_RETRY_WAIT_MS, "5",
                TableProperties.COMMIT_MAX_RETRY_WAIT_MS, "200"));

        Set<String> committed = ConcurrentHashMap.newKeySet();
        List<String> failures = new ArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        long deadline = System.nanoTime() + WRITING.toNanos();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int writer = 0; writer < WRITERS; writer++) {
                int id = writer;
                running.add(writers.submit(() -> {
                    for (int commit = 0; System.nanoTime() < deadline; commit++) {
                        String path = warehouse.resolve("data/writer-%s-%05d.parquet".formatted(id, commit)).toString();
                        attempts.incrementAndGet();
                        try {
                            Table table = catalog.loadTable(name);
                            DataFile file = DataFiles.builder(spec)
                                    .withPath(path)
                                    .withFormat(FileFormat.PARQUET)
                                    .withPartitionPath("day=d%02d".formatted(commit % 7))
                                    .withFileSizeInBytes(1024)
                                    .withRecordCount(10)
                                    .build();
                            table.newAppend().appendFile(file).commit();
                            committed.add(path);
                        }
                        catch (RuntimeException e) {
                            synchronized (failures) {
                                failures.add(path + ": " + e);
                            }
                        }
                    }
                }));
            }
            for (Future<?> writer : running) {
                writer.get();
            }
        }
        finally {
            writers.shutdownNow();
        }

        assertThat(failures).as("failed commits").isEmpty();
        assertThat(committed).hasSize(attempts.get()).hasSizeGreaterThan(WRITERS);

        Table table = catalog.loadTable(name);
        Set<String> scanned = new HashSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                scanned.add(task.file().path().toString());
            }
        }
        assertThat(scanned).as("files in the table's current snapshot").isEqualTo(committed);
        int snapshots = 0;
        for (Snapshot ignored : table.snapshots()) {
            snapshots++;
        }
        assertThat(snapshots).as("one snapshot per commit").isEqualTo(committed.size());

        // The metastore points at the table's current metadata file, as HiveCatalog left it after the last commit.
        try (TSocket socket = new TSocket("127.0.0.1", ferry.thriftPort(), 60_000)) {
            socket.open();
            org.apache.hadoop.hive.metastore.api.Table stored = new ThriftHiveMetastore.Client(new TBinaryProtocol(socket)).get_table("iceberg_compat", "events");
            assertThat(stored.getParameters())
                    .containsEntry("table_type", "ICEBERG")
                    .containsEntry("metadata_location", ((org.apache.iceberg.HasTableOperations) table).operations().current().metadataFileLocation());
        }
        System.out.printf("Iceberg through Ferry: %s writers, %s commits in %s s, 0 failed, 0 missing%n", WRITERS, committed.size(), WRITING.toSeconds());
    }

    private HiveCatalog catalog()
    {
        HiveCatalog catalog = new HiveCatalog();
        catalog.setConf(new Configuration());
        catalog.initialize("ferry", Map.of(
                CatalogProperties.URI, ferry.metastoreUri(),
                CatalogProperties.WAREHOUSE_LOCATION, warehouse.toUri().toString(),
                CatalogProperties.CLIENT_POOL_SIZE, Integer.toString(WRITERS)));
        return catalog;
    }
}
