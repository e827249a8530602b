package dev.ferry.replication.capture;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.replication.staging.StagingPosition;
import dev.ferry.testkit.HmsObjects;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Capture from every source dialect: whole transactions staged once, a restart resumes without duplicates. */
class CaptureTest
{
    @TempDir
    Path staging;

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

    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void stagesEveryHmsWriteAsWholeTransactionsAndResumesWithoutDuplicates(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        SchemaMapping mapping = HmsFixture.mapping();
        SourceDatabase source = HmsFixture.source(server, "hms_capture_" + kind.tag());
        SourceDialect dialect = HmsFixture.dialect(source);
        BinlogEnd start;
        try (Connection connection = JdbcConnections.sourceCdc(source)) {
            start = dialect.binlogEnd(connection);
        }
        try (Engine engine = HmsFixture.engine(server, source)) {
            engine.client().create_database(HmsObjects.database("captured"));
            Table table = HmsObjects.partitionedTable("captured", "events", List.of("day"));
            engine.client().create_table(table);
            table = engine.client().get_table_req(new GetTableRequest("captured", "events")).getTable();

            try (StagingLog log = StagingLog.open(staging, 1024 * 1024);
                    Capture capture = new Capture("m1", source, dialect, mapping, log)) {
                capture.start(start);
                engine.client().add_partition(HmsObjects.partition(table, List.of("d1")));
                engine.client().add_partition(HmsObjects.partition(table, List.of("d2")));
                await().atMost(Duration.ofMinutes(1)).until(() -> staged(log).stream().flatMap(t -> t.changes().stream())
                        .filter(change -> change.table().equals("PARTITIONS")).count() == 2);
                // Quiet now: capture covers the end of the binlog, from what it read or (without GTIDs) by asking where
                // its last transaction ends.
                SourcePosition end = HmsFixture.position(source);
                await().atMost(Duration.ofSeconds(30)).until(() -> capture.covers(end));
            }
            long stagedBefore;
            try (StagingLog log = StagingLog.open(staging, 1024 * 1024)) {
                List<SourceTransaction> transactions = staged(log);
                stagedBefore = transactions.size();
                assertThat(transactions).extracting(SourceTransaction::gtid).doesNotHaveDuplicates()
                        .allSatisfy(id -> assertThat(start.position().advancedTo(id).includes(id)).as(id).isTrue());
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
                    Capture capture = new Capture("m1", source, dialect, mapping, log)) {
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
                System.out.printf("Captured %s transactions touching %s from %s%n", transactions.size(), tables, dialect.describe());
            }
        }
    }
}
