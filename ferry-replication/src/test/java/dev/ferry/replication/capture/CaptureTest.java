package dev.ferry.replication.capture;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CaptureTest
{
    private static EmbeddedMariaDb mariaDb;
    private static SourceDatabase source;
    private static SchemaMapping mapping;

    @TempDir
    Path staging;

    @BeforeAll
    static void startSource()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        mapping = HmsFixture.mapping();
        source = HmsFixture.source(mariaDb, "hms_capture");
    }

    @AfterAll
    static void stopSource()
    {
        mariaDb.close();
    }

    private static ReplicationStore.CaptureStart currentPosition()
            throws Exception
    {
        try (Connection connection = DriverManager.getConnection(source.jdbcUrl(), source.user(), source.password());
                Statement statement = connection.createStatement();
                ResultSet status = statement.executeQuery("SHOW MASTER STATUS")) {
            status.next();
            String file = status.getString("File");
            long position = status.getLong("Position");
            try (ResultSet gtid = statement.executeQuery("SELECT BINLOG_GTID_POS('%s', %s)".formatted(file, position))) {
                gtid.next();
                return new ReplicationStore.CaptureStart(file, position, gtid.getString(1));
            }
        }
    }

    private static List<SourceTransaction> staged(StagingLog log)
    {
        List<SourceTransaction> transactions = new ArrayList<>();
        StagingPosition from = StagingPosition.START;
        for (List<StagingLog.Entry> batch = log.read(from, 1000); !batch.isEmpty(); batch = log.read(from, 1000)) {
            batch.forEach(entry -> transactions.add(entry.transaction()));
            from = batch.get(batch.size() - 1).next();
        }
        return transactions;
    }

    @Test
    void stagesEveryHmsWriteAsWholeTransactionsAndResumesWithoutDuplicates()
            throws Exception
    {
        ReplicationStore.CaptureStart start = currentPosition();
        try (Engine engine = HmsFixture.engine(source)) {
            engine.client().create_database(HmsObjects.database("captured"));
            Table table = HmsObjects.partitionedTable("captured", "events", List.of("day"));
            engine.client().create_table(table);
            table = engine.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("captured", "events")).getTable();

            try (StagingLog log = StagingLog.open(staging, 1024 * 1024);
                    Capture capture = new Capture("m1", source, mapping, log)) {
                capture.start(start);
                engine.client().add_partition(HmsObjects.partition(table, List.of("d1")));
                engine.client().add_partition(HmsObjects.partition(table, List.of("d2")));
                await().atMost(Duration.ofMinutes(1)).until(() -> staged(log).stream().flatMap(t -> t.changes().stream())
                        .filter(change -> change.table().equals("PARTITIONS")).count() == 2);
            }
            long stagedBefore;
            try (StagingLog log = StagingLog.open(staging, 1024 * 1024)) {
                List<SourceTransaction> transactions = staged(log);
                stagedBefore = transactions.size();
                assertThat(transactions).extracting(SourceTransaction::gtid).doesNotHaveDuplicates().allMatch(gtid -> gtid.matches("\\d+-\\d+-\\d+"));
                int name = mapping.table("DBS").columnIndex("NAME");
                // The engine's first start created `default` after the start position: it is captured too.
                assertThat(transactions.stream().flatMap(t -> t.changes().stream())
                        .filter(change -> change.table().equals("DBS") && change.operation() == RowChange.Operation.INSERT)
                        .map(change -> change.after().get(name)))
                        .contains("default", "captured");
                RowChange storage = transactions.stream().flatMap(t -> t.changes().stream())
                        .filter(change -> change.table().equals("SDS")).findFirst().orElseThrow();
                assertThat(storage.after().get(mapping.table("SDS").columnIndex("IS_COMPRESSED"))).isEqualTo(false);
            }

            // A restarted capture resumes from its committed offset: nothing staged twice, new writes staged.
            try (StagingLog log = StagingLog.open(staging, 1024 * 1024);
                    Capture capture = new Capture("m1", source, mapping, log)) {
                capture.start(start);
                engine.client().drop_partition("captured", "events", List.of("d1"), false);
                await().atMost(Duration.ofMinutes(1)).until(() -> staged(log).stream().flatMap(t -> t.changes().stream())
                        .anyMatch(change -> change.table().equals("PARTITIONS") && change.operation() == RowChange.Operation.DELETE));
                List<SourceTransaction> transactions = staged(log);
                assertThat(transactions).extracting(SourceTransaction::gtid).doesNotHaveDuplicates();
                assertThat(transactions.size()).isGreaterThan((int) stagedBefore);
                Set<String> tables = new HashSet<>();
                transactions.forEach(t -> t.changes().forEach(change -> tables.add(change.table())));
                assertThat(tables).contains("DBS", "TBLS", "SDS", "PARTITIONS", "PARTITION_KEY_VALS");
                System.out.printf("Captured %s transactions touching %s%n", transactions.size(), tables);
            }
        }
    }
}
