package dev.ferry.replication.apply;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.capture.Capture;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourceDialect.BinlogEnd;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsWorkload;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.ShowLocksRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Backfill, capture and apply together, with two HMS engines writing to the source the whole time. */
class ReplicationFlowTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path stagingRoot;

    @BeforeAll
    static void startDatabases()
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabases()
    {
        mariaDb.close();
        postgres.close();
    }

    @Test
    void ownDatabaseConvergesOnTheSourceWhileTwoEnginesKeepWriting()
            throws Exception
    {
        SchemaMapping mapping = HmsFixture.mapping();
        SourceDatabase source = HmsFixture.source(mariaDb, "hms_flow");
        SourceDialect dialect = HmsFixture.dialect(source);
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_flow");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();

        try (Engine writerA = HmsFixture.engine(mariaDb, source); Engine writerB = HmsFixture.engine(mariaDb, source)) {
            HmsFixture.fill(writerA.client(), "seed", 2, 2, 300);
            HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(client % 2 == 0 ? writerA.client() : writerB.client()), 4, "live");

            Backfill backfill = new Backfill("flow", source, dialect, own, mapping, store, new Backfill.Options(2, 200));
            BinlogEnd start = backfill.prepare();
            try (StagingLog staging = StagingLog.open(stagingRoot.resolve("flow"), 256 * 1024);
                    Capture capture = new Capture("flow", source, dialect, mapping, staging)) {
                capture.start(start);
                backfill.run();
                long callsAtBackfillEnd = workload.calls();
                SnapshotFilter filter;
                try (Connection connection = store.connect()) {
                    filter = SnapshotFilter.of(store.snapshots(connection, "flow"));
                }
                try (Apply apply = new Apply("flow", mapping, store, staging, filter, Apply.Options.defaults())) {
                    apply.start();
                    // Streaming under load: let the writers go on well past the backfill.
                    await().atMost(Duration.ofMinutes(3)).until(() -> workload.calls() >= callsAtBackfillEnd + 800);
                    HmsWorkload.Result result = workload.stop();
                    assertThat(result.failures()).isEmpty();

                    SourcePosition fence = HmsFixture.position(source);
                    await().atMost(Duration.ofMinutes(2)).until(() -> capture.covers(fence));
                    assertThat(apply.awaitApplied(staging.end(), Duration.ofMinutes(2))).isTrue();
                    assertThat(apply.failure()).isEmpty();
                    assertThat(apply.checkpoint().applied().includesAll(fence)).isTrue();
                    System.out.printf("Replication flow: %s workload calls, %s transactions staged, %s changes applied, lag %s ms%n",
                            result.totalCalls(), capture.transactionsStaged(), apply.checkpoint().changes(), apply.lagMillis(System.currentTimeMillis()).orElse(-1L));
                }
            }

            Map<String, Long> sourceCounts = HmsFixture.sourceCounts(source, mapping);
            assertThat(HmsFixture.ownCounts(own, mapping)).isEqualTo(sourceCounts);
            try (Connection connection = store.connect()) {
                assertThat(store.restoreForeignKeys(connection, "flow")).isGreaterThan(40);
                connection.commit();
            }
            try (Engine onOwn = HmsFixture.engine(own)) {
                assertThat(onOwn.client().get_all_databases()).isEqualTo(writerA.client().get_all_databases());
                for (String database : writerA.client().get_all_databases()) {
                    for (String table : writerA.client().get_all_tables(database)) {
                        assertThat(onOwn.client().get_partition_names(database, table, (short) -1))
                                .as(database + "." + table).isEqualTo(writerA.client().get_partition_names(database, table, (short) -1));
                        assertThat(onOwn.client().get_table_req(new GetTableRequest(database, table)).getTable())
                                .isEqualTo(writerA.client().get_table_req(new GetTableRequest(database, table)).getTable());
                    }
                }
                assertThat(onOwn.client().get_open_txns()).isEqualTo(writerA.client().get_open_txns());
                assertThat(onOwn.client().show_locks(new ShowLocksRequest())).isEqualTo(writerA.client().show_locks(new ShowLocksRequest()));
            }
        }
    }
}
